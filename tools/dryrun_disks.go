package tools

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// The planners of the disk tools: grow, move or reassign, detach. Each
// reads the guest's config and states the disk now and after, the space
// the target storage has, and what Proxmox would refuse.

// planDisk reads the guest and its config, and the drive key: problems go
// in p.WouldFail, and a nil config means the plan is complete.
func planDisk[In guestInput](ctx context.Context, env *Env, typ string, call Call, in *In, key string) (*Plan, *guest, map[string]any, string, error) {
	p, g, err := guestPlanStart(ctx, env, typ, call, in)
	if err != nil || len(p.WouldFail) > 0 {
		return p, g, nil, "", err
	}
	cfg, err := env.configOf(ctx, g, "")
	if err != nil {
		return nil, nil, nil, "", err
	}
	v, ok := cfg[key].(string)
	switch {
	case !ok:
		p.fail("disk '%s' does not exist", key)
	case strings.Contains(v, "media=cdrom"):
		p.fail("%s is a CD-ROM drive, not a disk", key)
	}
	if g.Lock != "" {
		p.fail("%s is locked (%s)", typeWord(typ), g.Lock)
	}
	return p, g, cfg, v, nil
}

var reResizeReq = regexp.MustCompile(`^(\+?)(\d+(?:\.\d+)?)([KMGT]?)$`)

// resizePlanner plans growing a disk: its size now and after, and the
// room the storage has for the growth.
func resizePlanner[In guestInput](typ string, call Call, opts func(In) (disk, size string)) Planner[In] {
	return func(ctx context.Context, env *Env, in In) (*Plan, error) {
		disk, size := opts(in)
		p, g, cfg, v, err := planDisk(ctx, env, typ, call, &in, disk)
		if err != nil || cfg == nil || len(p.WouldFail) > 0 {
			return p, err
		}
		m := reResizeReq.FindStringSubmatch(size)
		if m == nil {
			return nil, fmt.Errorf("size %q is not [+]N[KMGT]", size)
		}
		cur, to := volumeSize(v), sizeBytes(m[2], m[3])
		if m[1] == "+" {
			to += cur
		}
		switch {
		case to < cur:
			p.fail("shrinking disks is not supported (%s is %s)", disk, sizeText(cur))
			return p, nil
		case to == cur:
			p.note("%s is already %s: nothing changes", disk, sizeText(cur))
			return p, nil
		}
		p.Changes = []Change{{Key: disk, Now: ptr(sizeText(cur)), To: sizeText(to)}}
		c, err := env.readCluster(ctx)
		if err != nil {
			return nil, err
		}
		st, _, _ := strings.Cut(v, ":")
		c.checkStorage(p, g.Node, st, "", to-cur)
		if typ == "qemu" {
			p.note("the guest OS must grow its partition and filesystem itself")
		}
		return p, nil
	}
}

func ptr[T any](v T) *T { return &v }

// moveOpts are the inputs of a disk move a plan needs.
type moveOpts struct {
	Disk, Storage, Format string
	Delete                bool
	TargetVMID            int
	TargetKey             string
}

// movePlanner plans copying a disk to another storage, or handing it to
// another guest of the same node.
func movePlanner[In guestInput](typ string, call Call, opts func(In) moveOpts) Planner[In] {
	return func(ctx context.Context, env *Env, in In) (*Plan, error) {
		o := opts(in)
		p, g, cfg, v, err := planDisk(ctx, env, typ, call, &in, o.Disk)
		if err != nil || cfg == nil || len(p.WouldFail) > 0 {
			return p, err
		}
		word := typeWord(typ)
		reassign := o.TargetVMID != 0 && o.TargetVMID != g.VMID
		switch {
		case o.Storage != "" && reassign:
			p.fail("moving to another storage and to another %s at once is not supported", word)
			return p, nil
		case o.Storage == "" && !reassign:
			p.fail("give storage (to copy the disk) or target_vmid (to hand it to another %s)", word)
			return p, nil
		}
		vol, _, _ := strings.Cut(v, ",")
		inSnapshot, err := env.inSnapshots(ctx, g, vol)
		if err != nil {
			return nil, err
		}
		c, err := env.readCluster(ctx)
		if err != nil {
			return nil, err
		}
		if reassign {
			return p, env.planReassign(ctx, p, c, g, o, vol, inSnapshot)
		}
		if typ == "lxc" && g.Status == "running" {
			p.fail("cannot move volumes of a running container")
		}
		from, name, _ := strings.Cut(vol, ":")
		if from == o.Storage && (o.Format == "" || strings.HasSuffix(name, "."+o.Format)) {
			p.fail("you can't move to the same storage with same format")
		}
		if o.Delete && inSnapshot {
			p.fail("you can't move a disk with snapshots and delete the source")
		}
		c.checkStorage(p, g.Node, o.Storage, diskContent(typ), volumeSize(v))
		if i := slices.IndexFunc(c, func(r resourceEntry) bool { return r.Type == "storage" && r.Storage == o.Storage }); i >= 0 &&
			o.Format != "" && o.Format != "raw" && !slices.Contains([]string{"dir", "nfs", "cifs", "btrfs", "cephfs"}, c[i].PluginType) {
			p.fail("storage '%s' does not support format '%s'", o.Storage, o.Format)
		}
		p.Changes = []Change{{Key: o.Disk, Now: ptr(vol), To: "a copy on " + o.Storage}}
		if o.Delete {
			p.Destroys = []string{"volume " + vol + " (the source, once copied)"}
		} else {
			p.note("the source %s stays, as an unusedN disk", vol)
		}
		if g.Status == "running" {
			p.note("the running VM's disk is mirrored live")
		}
		return p, nil
	}
}

// planReassign plans handing a disk to another guest on the same node.
func (env *Env) planReassign(ctx context.Context, p *Plan, c clusterView, g *guest, o moveOpts, vol string, inSnapshot bool) error {
	word := typeWord(g.Type)
	t := c.guest(o.TargetVMID)
	if t == nil || t.Type != g.Type || t.Node != g.Node {
		p.fail("no %s %d on node %s: a disk moves only to a %s of the same node", word, o.TargetVMID, g.Node, word)
		return nil
	}
	key := o.TargetKey
	if key == "" {
		key = o.Disk
	}
	tcfg, err := env.configOf(ctx, &guest{VMID: t.VMID, Type: t.Type, Node: t.Node}, "")
	if err != nil {
		return err
	}
	if _, used := tcfg[key]; used {
		p.fail("Target disk key '%s' is already in use for %s '%d'", key, word, t.VMID)
	}
	switch {
	case g.Template || bool(t.Template):
		p.fail("Can't move disks from or to template %ss", word)
	case inSnapshot:
		p.fail("Can't move disk used by a snapshot to another %s", word)
	case g.Status == "running" && !strings.HasPrefix(o.Disk, "unused"):
		p.fail("Cannot move disk to another %s while the source %s is running - detach first", word, word)
	case g.Type == "lxc" && t.Status == "running":
		p.fail("Cannot move volume to a running container")
	}
	p.Changes = []Change{
		{Key: o.Disk, Now: ptr(vol), Removed: true},
		{Key: strconv.Itoa(t.VMID) + ":" + key, To: vol + ", renamed for " + strconv.Itoa(t.VMID)},
	}
	return nil
}

// inSnapshots reports whether a snapshot of g still uses volume vol.
func (env *Env) inSnapshots(ctx context.Context, g *guest, vol string) (bool, error) {
	for _, s := range g.Snapshots {
		cfg, err := env.configOf(ctx, g, s)
		if err != nil {
			return false, err
		}
		for _, d := range disksOf(cfg) {
			if d.Volume == vol {
				return true, nil
			}
		}
	}
	return false, nil
}

// unlinkPlan plans detaching VM disks: which stay as unusedN, which are
// destroyed.
func unlinkPlan(ctx context.Context, env *Env, in unlinkQemuDiskIn) (*Plan, error) {
	p, g, err := guestPlanStart(ctx, env, "qemu", unlinkCall, &in)
	if err != nil || len(p.WouldFail) > 0 {
		return p, err
	}
	cfg, err := env.configOf(ctx, g, "")
	if err != nil {
		return nil, err
	}
	if g.Lock != "" {
		p.fail("VM is locked (%s)", g.Lock)
	}
	for _, k := range in.IDList {
		v, ok := cfg[k].(string)
		if !ok {
			p.note("%s is not set: nothing to detach", k)
			continue
		}
		p.Changes = append(p.Changes, Change{Key: k, Now: ptr(v), Removed: true})
		vol, _, _ := strings.Cut(v, ",")
		switch {
		case strings.Contains(v, "media=cdrom"):
		case strings.HasPrefix(k, "unused") || in.Force:
			p.Destroys = append(p.Destroys, "volume "+vol+" ("+k+")")
		default:
			p.note("%s's volume %s is kept as an unusedN disk", k, vol)
		}
	}
	if g.Status == "running" && len(p.Changes) > 0 {
		p.note("the VM is running: a drive it cannot hot-unplug stays pending until it restarts")
	}
	return p, nil
}

var unlinkCall = Call{"PUT", "/nodes/{node}/qemu/{vmid}/unlink"}
