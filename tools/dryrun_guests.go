package tools

import (
	"context"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/pve-mcp/pve-mcp/pve"
)

// The planners of the calls that make guests (create, clone, restore),
// turn them into templates or snapshot them: the ID free, the node online,
// each storage there with room, the source, archive or template there,
// and the guest's state now and after.

// typeWord is how Proxmox names a guest type in its messages.
func typeWord(typ string) string { return map[string]string{"qemu": "VM", "lxc": "CT"}[typ] }

// diskContent is the content type a guest type's disks need on a storage.
func diskContent(typ string) string {
	return map[string]string{"qemu": "images", "lxc": "rootdir"}[typ]
}

// createGuestPlanner plans creating a VM or container from scratch.
func createGuestPlanner[In any](typ string, call Call, prep func(*In) error) Planner[In] {
	return func(ctx context.Context, env *Env, in In) (*Plan, error) {
		if prep != nil {
			if err := prep(&in); err != nil {
				return nil, err
			}
		}
		p := &Plan{}
		ids, params, err := pve.Encode(&in, placeholdersOf([]Call{call}))
		if err != nil {
			return nil, err
		}
		if p.Request, err = env.requestOf(ctx, call, &in); err != nil {
			return nil, err
		}
		c, err := env.readCluster(ctx)
		if err != nil {
			return nil, err
		}
		node := ids["node"]
		vmid, _ := strconv.Atoi(params.Get("vmid"))
		c.checkFreeID(p, vmid)
		if c.checkNode(p, node) {
			need, files := newDisks(params)
			if typ == "lxc" && params.Get("rootfs") == "" {
				st := params.Get("storage")
				if st == "" {
					st = "local"
				}
				need[st] += 4 << 30 // Proxmox's default root disk
			}
			for _, st := range slices.Sorted(maps.Keys(need)) {
				c.checkStorage(p, node, st, diskContent(typ), need[st])
			}
			for _, f := range files {
				env.findVolume(ctx, p, node, f) // an ISO, or a container's template
			}
		}
		if err := env.checkPool(ctx, p, params.Get("pool")); err != nil {
			return nil, err
		}
		gp := GuestPlan{VMID: vmid, Name: params.Get(map[string]string{"qemu": "name", "lxc": "hostname"}[typ]), Type: typ, Node: node, Now: "absent", After: "stopped"}
		if params.Get("start") == "1" {
			gp.After = "running"
		}
		if len(p.WouldFail) > 0 {
			gp.After = "absent"
		}
		p.Guests = []GuestPlan{gp}
		return p, nil
	}
}

// guestDisk is one volume in a guest's config.
type guestDisk struct {
	Key, Volume, Storage string
	Size                 int64
}

// disksOf lists the volumes a config holds (not CD-ROMs), sorted by key.
func disksOf(cfg map[string]any) []guestDisk {
	var out []guestDisk
	for _, k := range slices.Sorted(maps.Keys(cfg)) {
		v, ok := cfg[k].(string)
		if !ok || !diskKey.MatchString(k) || strings.Contains(v, "media=cdrom") || strings.HasPrefix(v, "none") {
			continue
		}
		vol, _, _ := strings.Cut(v, ",")
		st, _, _ := strings.Cut(vol, ":")
		out = append(out, guestDisk{Key: k, Volume: vol, Storage: st, Size: volumeSize(v)})
	}
	return out
}

// configOf reads a guest's config (or a snapshot's, when snap is given).
func (env *Env) configOf(ctx context.Context, g *guest, snap string) (map[string]any, error) {
	path, err := pve.BuildPath("/nodes/{node}/"+g.Type+"/{vmid}/config", map[string]string{"node": g.Node, "vmid": strconv.Itoa(g.VMID)})
	if err != nil {
		return nil, err
	}
	var q pve.Values
	if snap != "" {
		q = pve.Values{"snapshot": {snap}}
	}
	cfg := map[string]any{}
	err = env.PVE.Get(ctx, path, q, &cfg)
	return cfg, err
}

// guestPlanStart begins the plan of a call on one guest: the guest read
// and checked (type, node), and the request. A plan with would_fail is
// complete.
func guestPlanStart[In guestInput](ctx context.Context, env *Env, typ string, call Call, in *In) (*Plan, *guest, error) {
	p := &Plan{}
	g, err := env.planGuest(ctx, p, typ, (*in).guestIn())
	if err != nil || len(p.WouldFail) > 0 {
		return p, g, err
	}
	p.Request, err = env.requestOf(ctx, call, in)
	return p, g, err
}

// cloneOpts are the inputs of a clone a plan needs.
type cloneOpts struct {
	NewID                           int
	Name, Target, Storage, SnapName string
	Pool                            string
	Full                            *bool
}

// clonePlanner plans copying a guest or template to a new ID.
func clonePlanner[In guestInput](typ string, call Call, opts func(In) cloneOpts) Planner[In] {
	return func(ctx context.Context, env *Env, in In) (*Plan, error) {
		p, g, err := guestPlanStart(ctx, env, typ, call, &in)
		if err != nil || len(p.WouldFail) > 0 {
			return p, err
		}
		o := opts(in)
		c, err := env.readCluster(ctx)
		if err != nil {
			return nil, err
		}
		c.checkFreeID(p, o.NewID)
		if g.Lock != "" {
			p.fail("%s is locked (%s)", typeWord(typ), g.Lock)
		}
		if o.SnapName != "" && !slices.Contains(g.Snapshots, o.SnapName) {
			p.fail("snapshot '%s' does not exist", o.SnapName)
			return p, nil
		}
		cfg, err := env.configOf(ctx, g, o.SnapName)
		if err != nil {
			return nil, err
		}
		full := !g.Template
		if o.Full != nil {
			if g.Template {
				full = *o.Full
			} else if !*o.Full {
				p.fail("linked clone feature not supported for a %s that is not a template", typeWord(typ))
			}
		}
		if o.Storage != "" && !full {
			p.fail("parameter 'storage' not allowed for linked clones")
		}
		if typ == "lxc" && full && g.Status == "running" && o.SnapName == "" {
			p.fail("Cannot do full clones on a running container without snapshots")
		}
		target := g.Node
		if o.Target != "" && o.Target != g.Node && c.checkNode(p, o.Target) {
			target = o.Target
		}
		shared := func(st string) bool {
			return slices.ContainsFunc(c, func(r resourceEntry) bool { return r.Type == "storage" && r.Storage == st && bool(r.Shared) })
		}
		need := map[string]int64{}
		for _, d := range disksOf(cfg) {
			if strings.HasPrefix(d.Key, "unused") {
				continue // a clone leaves unused disks behind
			}
			st := d.Storage
			if full && o.Storage != "" {
				st = o.Storage
			}
			if target != g.Node && !shared(st) {
				p.fail("Can't clone to other node if %s uses local storage (%s on %s)", typeWord(typ), d.Key, d.Storage)
			}
			if full {
				need[st] += d.Size
			}
		}
		for _, st := range slices.Sorted(maps.Keys(need)) {
			c.checkStorage(p, target, st, diskContent(typ), need[st])
		}
		if !full {
			p.note("linked clone: its disks are based on the template's and keep it needed")
		}
		if err := env.checkPool(ctx, p, o.Pool); err != nil {
			return nil, err
		}
		name := o.Name
		if name == "" && typ == "qemu" {
			name = "Copy-of-VM-" + g.Name
		}
		gp := GuestPlan{VMID: o.NewID, Name: name, Type: typ, Node: target, Now: "absent", After: "stopped"}
		if len(p.WouldFail) > 0 {
			gp.After = "absent"
		}
		p.Guests = []GuestPlan{gp}
		return p, nil
	}
}

var extractConfigCall = Call{"GET", "/nodes/{node}/vzdump/extractconfig"}

// restorePlanner plans restoring a backup: the archive, what it holds,
// where its disks go, and the guest it would replace (force).
func restorePlanner[In any](typ string, call Call, of func(In) (archive string, r restoreIn), sent func(In) any) Planner[In] {
	return func(ctx context.Context, env *Env, in In) (*Plan, error) {
		archive, r := of(in)
		p := &Plan{}
		var err error
		if p.Request, err = env.requestOf(ctx, call, sent(in)); err != nil {
			return nil, err
		}
		c, err := env.readCluster(ctx)
		if err != nil {
			return nil, err
		}
		if !c.checkNode(p, r.Node) {
			return p, nil
		}
		if old := c.guest(r.VMID); old != nil {
			if !r.Force || old.Node != r.Node || old.Type != typ {
				c.checkFreeID(p, r.VMID)
			} else if err := env.planReplaced(ctx, p, r.VMID); err != nil {
				return nil, err
			}
		}
		v := env.findVolume(ctx, p, r.Node, archive)
		if v == nil {
			return p, nil
		}
		kind, origID := archiveOf(archive)
		if v.Subtype != "" {
			kind = v.Subtype
		}
		if v.VMID > 0 {
			origID = v.VMID
		}
		p.note("archive %s: %s, of guest %d", archive, sizeText(v.Size), origID)
		if kind != "" && kind != typ {
			p.fail("'%s' is a %s backup: use the %s restore tool", archive, typeWord(kind), typeWord(kind))
			return p, nil
		}
		// The config the archive carries: its disks and their sizes.
		var conf string
		confPath, err := pve.BuildPath(extractConfigCall.Path, map[string]string{"node": r.Node})
		if err != nil {
			return nil, err
		}
		if err := env.PVE.Get(ctx, confPath, pve.Values{"volume": {archive}}, &conf); err != nil {
			p.fail("reading archive %s on %s: %v", archive, r.Node, err)
			return p, nil
		}
		need := map[string]int64{}
		for _, line := range strings.Split(conf, "\n") {
			if strings.HasPrefix(line, "[") {
				break // the snapshot sections follow the current config
			}
			k, val, ok := strings.Cut(line, ": ")
			if !ok || !diskKey.MatchString(k) || strings.Contains(val, "media=cdrom") || strings.HasPrefix(k, "unused") {
				continue
			}
			st, _, _ := strings.Cut(val, ":")
			if r.Storage != "" {
				st = r.Storage
			}
			need[st] += volumeSize(val)
		}
		for _, st := range slices.Sorted(maps.Keys(need)) {
			c.checkStorage(p, r.Node, st, diskContent(typ), need[st])
		}
		if r.Storage != "" && len(need) == 0 {
			c.checkStorage(p, r.Node, r.Storage, diskContent(typ), 0)
		}
		if err := env.checkPool(ctx, p, r.Pool); err != nil {
			return nil, err
		}
		after := "stopped"
		if r.Start {
			after = "running"
		}
		now := "absent"
		if c.guest(r.VMID) != nil {
			now = "stopped"
		}
		if len(p.WouldFail) > 0 {
			after = now
		}
		p.Guests = []GuestPlan{{VMID: r.VMID, Type: typ, Node: r.Node, Now: now, After: after}}
		if orig := c.guest(origID); orig != nil && origID != r.VMID && !r.Unique {
			p.note("%s %d, the backup's original, still exists: the copy keeps its MAC addresses unless unique", typeWord(orig.Type), origID)
		}
		return p, nil
	}
}

// reArchive reads the guest type and vmid from a backup's volid: vzdump's
// vzdump-qemu-102-<time>.vma.zst, or PBS's backup/vm/102/<time>.
var reArchive = regexp.MustCompile(`(?:vzdump-(qemu|lxc)-|/(vm|ct)/)(\d+)`)

// archiveOf is the guest type and vmid of a backup, or "" and 0.
func archiveOf(volid string) (string, int) {
	m := reArchive.FindStringSubmatch(volid)
	if m == nil {
		return "", 0
	}
	id, _ := strconv.Atoi(m[3])
	kind := m[1]
	if kind == "" {
		kind = map[string]string{"vm": "qemu", "ct": "lxc"}[m[2]]
	}
	return kind, id
}

// planReplaced adds to p what a forced restore destroys of the guest now
// at vmid, and why Proxmox would refuse to replace it.
func (env *Env) planReplaced(ctx context.Context, p *Plan, vmid int) error {
	g, err := env.guestFacts(ctx, vmid)
	if err != nil {
		return err
	}
	p.Target = g
	word := typeWord(g.Type)
	switch {
	case g.Protected:
		p.fail("%s %d: protection mode enabled", word, vmid)
	case g.Status == "running":
		p.fail("%s %d is running: stop it first", word, vmid)
	case g.Lock != "":
		p.fail("%s is locked (%s)", word, g.Lock)
	}
	for _, d := range g.Disks {
		p.Destroys = append(p.Destroys, "volume "+d)
	}
	for _, s := range g.Snapshots {
		p.Destroys = append(p.Destroys, "snapshot "+s)
	}
	return nil
}

// templatePlanner plans converting a guest (or one VM disk) to a template.
func templatePlanner[In guestInput](typ string, call Call, disk func(In) string) Planner[In] {
	return func(ctx context.Context, env *Env, in In) (*Plan, error) {
		p, g, err := guestPlanStart(ctx, env, typ, call, &in)
		if err != nil || len(p.WouldFail) > 0 {
			return p, err
		}
		only := disk(in)
		word := typeWord(typ)
		switch {
		case g.Template && only == "":
			p.fail("you can't convert a template to a template")
		case g.Status == "running":
			p.fail("you can't convert a %s to template if %s is running", word, word)
		case g.Lock != "":
			p.fail("%s is locked (%s)", word, g.Lock)
		}
		found := false
		for _, d := range g.Disks {
			if only == "" || strings.HasPrefix(d, only+"=") {
				found = true
				p.note("%s becomes a read-only base image", d)
			}
		}
		if only != "" && !found {
			p.fail("disk '%s' does not exist", only)
		}
		gp := GuestPlan{VMID: g.VMID, Name: g.Name, Type: g.Type, Node: g.Node, Now: g.Status, After: "template", Lock: g.Lock, HA: haOf(g)}
		if len(p.WouldFail) > 0 {
			gp.After = gp.Now
		} else if only == "" {
			p.Destroys = []string{"the guest's ability to start: a template can only be cloned (irreversible)"}
		}
		p.Guests = []GuestPlan{gp}
		return p, nil
	}
}

// noSnapshotStorage are the storage types whose volumes cannot be
// snapshotted; on file storages only qcow2 volumes (and no container's).
var noSnapshotStorage = []string{"lvm", "iscsi", "iscsidirect", "cifs", "nfs", "dir"}

// snapshotPlanner plans taking a snapshot: the name is free, the guest can
// be snapshotted, and each disk's storage supports it.
func snapshotPlanner[In guestInput](typ string, call Call, opts func(In) (name string, vmstate bool)) Planner[In] {
	return func(ctx context.Context, env *Env, in In) (*Plan, error) {
		p, g, err := guestPlanStart(ctx, env, typ, call, &in)
		if err != nil || len(p.WouldFail) > 0 {
			return p, err
		}
		name, vmstate := opts(in)
		switch {
		case strings.EqualFold(name, "current") || strings.EqualFold(name, "pending"):
			p.fail("unable to use snapshot name '%s' (reserved name)", name)
		case slices.Contains(g.Snapshots, name):
			p.fail("snapshot name '%s' already used", name)
		case g.Template:
			p.fail("you can't take a snapshot if it's a template")
		case g.Lock != "":
			p.fail("%s is locked (%s)", typeWord(typ), g.Lock)
		}
		c, err := env.readCluster(ctx)
		if err != nil {
			return nil, err
		}
		cfg, err := env.configOf(ctx, g, "")
		if err != nil {
			return nil, err
		}
		for _, d := range disksOf(cfg) {
			i := slices.IndexFunc(c, func(r resourceEntry) bool { return r.Type == "storage" && r.Node == g.Node && r.Storage == d.Storage })
			if i < 0 || strings.HasPrefix(d.Key, "unused") {
				continue
			}
			if pt := c[i].PluginType; slices.Contains(noSnapshotStorage, pt) && !(typ == "qemu" && strings.HasSuffix(d.Volume, ".qcow2")) {
				p.fail("snapshot feature is not available: %s is on %s storage %s", d.Key, pt, d.Storage)
			}
		}
		if len(g.Snapshots) > 0 {
			p.note("the new snapshot follows %s", g.Snapshots[len(g.Snapshots)-1])
		}
		switch {
		case vmstate && g.Status == "running":
			p.note("the VM's RAM is saved too (a state volume the size of its memory)")
		case vmstate:
			p.note("the VM is stopped: there is no RAM to save")
		}
		p.Guests = []GuestPlan{{VMID: g.VMID, Name: g.Name, Type: g.Type, Node: g.Node, Now: g.Status, After: g.Status, Lock: g.Lock, HA: haOf(g)}}
		return p, nil
	}
}
