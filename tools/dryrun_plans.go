package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/pve-mcp/pve-mcp/pve"
)

// The planners of the tools that take dry_run (dryrun.go). Each reads the
// target as the confirmation summary does (guestFacts) and states what the
// call would send, now → after, what it would destroy and what would make
// Proxmox refuse it.

// guestIn gives a planner the guest of any input that embeds GuestIn.
func (g GuestIn) guestIn() GuestIn { return g }

type guestInput interface{ guestIn() GuestIn }

// guestStatusReads are the reads a power plan adds to the summary's.
var guestStatusReads = []Call{
	{"GET", "/nodes/{node}/qemu/{vmid}/status/current"},
	{"GET", "/nodes/{node}/lxc/{vmid}/status/current"},
}

// planGuest reads the guest the call names and checks it is of the type
// and on the node the call says; the problems go in p.WouldFail.
func (env *Env) planGuest(ctx context.Context, p *Plan, typ string, gi GuestIn) (*guest, error) {
	g, err := env.guestFacts(ctx, gi.VMID)
	if err != nil {
		return nil, err
	}
	p.Target = g
	switch {
	case g.Missing:
		p.fail("no VM or container with vmid %d in the cluster", gi.VMID)
	case g.Type != typ:
		p.fail("vmid %d is a %s, not a %s: use the %s tool", gi.VMID, g.Type, typ, g.Type)
	case gi.Node != "" && gi.Node != g.Node:
		p.fail("vmid %d is on node %s, not %s", gi.VMID, g.Node, gi.Node)
	}
	return g, nil
}

// powerState is the guest's state as power actions see it: running,
// paused (a VM paused in RAM) or stopped.
func (env *Env) powerState(ctx context.Context, g *guest) string {
	if g.Type != "qemu" || g.Status != "running" {
		return g.Status
	}
	path, err := pve.BuildPath("/nodes/{node}/qemu/{vmid}/status/current", map[string]string{"node": g.Node, "vmid": strconv.Itoa(g.VMID)})
	if err != nil {
		return g.Status
	}
	var st struct {
		QMPStatus string `json:"qmpstatus"`
	}
	if env.PVE.Get(ctx, path, nil, &st) == nil && st.QMPStatus == "paused" {
		return "paused"
	}
	return g.Status
}

func haOf(g *guest) string { return strings.Join(g.HA, "; ") }

// haManaged is the HA resource that manages g ("vm:100 started"), or ""
// when there is none or it is ignored (PVE::HA::Config::vm_is_ha_managed).
func haManaged(g *guest) string {
	for _, h := range g.HA {
		if _, state, _ := strings.Cut(h, " "); state != "ignored" {
			return h
		}
	}
	return ""
}

// haRequestText is what a plan says when Proxmox turns a call into a
// request to HA (a hastart, hastop or hamigrate task): what HA is asked.
func haRequestText(ha, request string) string {
	return fmt.Sprintf("HA-managed (%s): HA takes the request: %s", ha, request)
}

// haLockText is what a plan says of an HA request for a locked guest: the
// task succeeds, but the HA manager leaves the guest as it is.
func haLockText(lock string) string {
	return fmt.Sprintf("locked (%s): HA leaves it as it is while the lock is held", lock)
}

// powerPlanner plans one power action (verb) of one guest type.
func powerPlanner[In guestInput](typ, verb string, call Call) Planner[In] {
	return func(ctx context.Context, env *Env, in In) (*Plan, error) {
		p, g, err := guestPlanStart(ctx, env, typ, call, &in)
		if err != nil || len(p.WouldFail) > 0 {
			return p, err
		}
		now := env.powerState(ctx, g)
		gp := GuestPlan{VMID: g.VMID, Name: g.Name, Type: g.Type, Node: g.Node, Now: now, Lock: g.Lock, HA: haOf(g)}
		var notes []string
		force := false
		if sh, ok := any(in).(shutdownIn); ok {
			force = sh.ForceStop
		}
		gp.After, gp.Problems, notes = powerAfter(verb, g, now, force)
		p.WouldFail = append(p.WouldFail, gp.Problems...)
		p.Notes = append(p.Notes, notes...)
		if verb == "reboot" {
			p.note("pending config changes are applied by the reboot")
		}
		p.Guests = []GuestPlan{gp}
		return p, nil
	}
}

// powerAfter is the state a power action leaves, what would refuse it and
// what else to know, by the rules of Proxmox's call: a start, stop or
// shutdown of an HA-managed guest is a request to HA (hastart/hastop),
// which a lock does not refuse, though HA leaves a locked guest alone; for
// the rest a lock refuses the action, except a backup's for a VM's suspend
// and resume and a hibernated VM's ("suspended") for its start or resume.
// forceStop is a shutdown's.
func powerAfter(verb string, g *guest, now string, forceStop bool) (after string, problems, notes []string) {
	word := typeWord(g.Type)
	fail := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	notRunning := func() {
		if now == "stopped" {
			fail("%s %d not running", word, g.VMID)
		}
	}
	ha := haManaged(g)
	request := "" // the HA state the call requests
	lockFree := map[string]bool{}
	after = now
	switch verb {
	case "start":
		if g.Template {
			fail("a template cannot be started (clone it)")
		}
		if g.Type == "lxc" && now != "stopped" {
			fail("CT %d already running", g.VMID) // refused before HA is asked
		}
		if ha != "" {
			request = "started"
		} else if now != "stopped" && g.Type == "qemu" {
			fail("VM %d already running", g.VMID)
		}
		lockFree["suspended"] = true
		after = "running"
	case "stop":
		if g.Type == "lxc" {
			notRunning()
		}
		if ha != "" {
			request = "stopped"
		}
		after = "stopped"
	case "shutdown":
		notRunning()
		if now == "paused" && !forceStop {
			fail("VM is paused - cannot shutdown (resume it, or forceStop)")
		}
		if ha != "" {
			request = "stopped"
		}
		after = "stopped"
	case "reboot":
		notRunning()
		if now == "paused" {
			fail("VM is paused - cannot shutdown")
		}
		after = "running"
	case "suspend":
		notRunning()
		lockFree["backup"] = g.Type == "qemu"
		after = "paused"
	case "resume":
		switch {
		case g.Type == "qemu" && g.Lock == "suspended":
			notes = append(notes, "the VM was hibernated: it starts from the RAM state saved to disk")
			lockFree["suspended"] = true
		default:
			notRunning()
		}
		// A container's resume checks no lock; a VM's lets a backup be.
		lockFree["backup"] = g.Type == "qemu"
		if g.Type == "lxc" {
			lockFree[g.Lock] = true
		}
		after = "running"
	case "reset":
		notRunning()
		after = "running"
	}
	if request != "" {
		notes = append(notes, haRequestText(ha, "sets the HA state to "+request+", and the HA manager acts on it"))
		if g.Lock != "" && len(problems) == 0 {
			notes = append(notes, haLockText(g.Lock))
			after = now
		}
	} else if g.Lock != "" && !lockFree[g.Lock] {
		fail("%s is locked (%s)", word, g.Lock)
	}
	if len(problems) > 0 {
		after = now
	}
	return after, problems, notes
}

// clusterEntry is one entry of /cluster/resources as plans read it.
type clusterEntry struct {
	Type     string `json:"type"`
	VMID     int    `json:"vmid"`
	Name     string `json:"name"`
	Node     string `json:"node"`
	Status   string `json:"status"`
	Lock     string `json:"lock"`
	Template flag   `json:"template"`
	HAState  string `json:"hastate"`
	Storage  string `json:"storage"`
	Shared   flag   `json:"shared"`
}

// clusterFacts reads what migration plans check in the cluster's
// resources: each node and whether it is online, and the shared storages.
func clusterFacts(res []clusterEntry) (online, shared map[string]bool) {
	online, shared = map[string]bool{}, map[string]bool{}
	for _, r := range res {
		switch {
		case r.Type == "node":
			online[r.Node] = r.Status == "online"
		case r.Type == "storage" && bool(r.Shared):
			shared[r.Storage] = true
		}
	}
	return online, shared
}

// bulkPlan plans a bulk action: one read of the cluster's resources (and,
// for a running VM, its QMP state; for a migration, each guest's disks).
// Proxmox's bulk worker acts on each guest through the guest's own call,
// so each guest is planned by that call's rules: HA takes the start and
// shutdown of an HA-managed guest, refuses its suspend to disk and
// migrates it itself; a lock refuses what the single call's worker would.
func bulkPlan(ctx context.Context, env *Env, action string, b *bulkIn, call Call, in any, mig *bulkMigrateIn) (*Plan, error) {
	p := &Plan{}
	var res []clusterEntry
	if err := env.PVE.Get(ctx, resourcesCall.Path, nil, &res); err != nil {
		return nil, err
	}
	var err error
	if p.Request, err = env.requestOf(ctx, call, in); err != nil {
		return nil, err
	}
	online, shared := clusterFacts(res)
	if mig != nil {
		up, found := online[mig.Target]
		switch {
		case !found:
			p.fail("no cluster node %q", mig.Target)
		case !up:
			p.fail("target node %s is not online", mig.Target)
		}
	}
	for _, id := range b.VMs {
		i := slices.IndexFunc(res, func(r clusterEntry) bool {
			return (r.Type == "qemu" || r.Type == "lxc") && r.VMID == id
		})
		if i < 0 {
			p.fail("no VM or container with vmid %d (the call refuses them all)", id)
			continue
		}
		r := res[i]
		g := &guest{VMID: id, Type: r.Type, Node: r.Node, Status: r.Status, Lock: r.Lock, Template: bool(r.Template)}
		if r.HAState != "" && r.HAState != "ignored" {
			g.HA = []string{fmt.Sprintf("%s:%d %s", map[string]string{"qemu": "vm", "lxc": "ct"}[r.Type], id, r.HAState)}
		}
		now := r.Status
		if online[r.Node] {
			now = env.powerState(ctx, g)
		}
		gp := GuestPlan{VMID: id, Name: r.Name, Type: r.Type, Node: r.Node, Now: now, After: now, Lock: r.Lock, HA: r.HAState}
		skip := func(why string) { gp.Skipped = true; p.note("%d skipped: %s", id, why) }
		problem := func(format string, args ...any) { gp.Problems = append(gp.Problems, fmt.Sprintf(format, args...)) }
		note := func(text string) { p.note("%d: %s", id, text) }
		bulkGuestPlan(action, g, now, in, mig, &gp, skip, problem, note)
		if !gp.Skipped && !online[r.Node] {
			problem("node %s is not online", r.Node)
		}
		if mig != nil && !gp.Skipped && len(gp.Problems) == 0 {
			facts, err := env.guestFacts(ctx, id)
			if err != nil {
				return nil, err
			}
			for _, d := range facts.Disks {
				_, vol, _ := strings.Cut(d, "=")
				st, _, _ := strings.Cut(vol, ":")
				if !shared[st] {
					if mig.WithLocalDisks || r.Status != "running" {
						note("local disk " + d + " is copied to " + mig.Target)
					} else {
						problem("local disk %s: needs with_local_disks", d)
					}
				}
			}
		}
		for _, pr := range gp.Problems {
			p.fail("%d: %s", id, pr)
		}
		if gp.Skipped || len(gp.Problems) > 0 {
			gp.After = gp.Now
		}
		p.Guests = append(p.Guests, gp)
	}
	return p, nil
}

// bulkGuestPlan plans one guest of a bulk action by the rules of the
// guest's own call (see bulkPlan): gp.After, and through skip, problem and
// note what the worker would do with it.
func bulkGuestPlan(action string, g *guest, now string, in any, mig *bulkMigrateIn, gp *GuestPlan,
	skip func(string), problem func(string, ...any), note func(string)) {
	ha := haManaged(g)
	lockBlocks := func(free string) {
		if g.Lock != "" && g.Lock != free {
			problem("locked (%s)", g.Lock)
		}
	}
	haRequest := func(request, after string) {
		note(haRequestText(ha, request))
		if g.Lock != "" {
			note(haLockText(g.Lock))
			return
		}
		gp.After = after
	}
	switch action {
	case "start":
		switch {
		case g.Template:
			skip("a template")
		case now == "paused":
			note("paused: it is resumed")
			lockBlocks("backup")
			gp.After = "running"
		case now != "stopped":
			skip("already running")
		case ha != "":
			haRequest("sets the HA state to started", "running")
		default:
			lockBlocks("suspended")
			gp.After = "running"
		}
	case "shutdown":
		force := true
		if sh, ok := in.(*bulkShutdownIn); ok && sh.ForceStop != nil {
			force = *sh.ForceStop
		}
		switch {
		case now == "stopped":
			skip("not running")
		case now == "paused" && !force:
			skip("paused: resume it before a shutdown (or force_stop)")
		case ha != "":
			haRequest("sets the HA state to stopped", "stopped")
		default:
			lockBlocks("")
			gp.After = "stopped"
		}
	case "suspend":
		toDisk := false
		if su, ok := in.(*bulkSuspendIn); ok {
			toDisk = su.ToDisk
		}
		switch {
		case g.Type == "lxc":
			skip("a container")
		case now == "stopped":
			skip("not running")
		case toDisk && ha != "":
			problem("Cannot suspend HA managed VM to disk (%s)", ha)
		default:
			lockBlocks("backup")
			gp.After = "paused"
			if toDisk {
				gp.After = "stopped"
				note("its RAM is saved to disk: it resumes from there on its next start")
			}
		}
	case "migrate":
		gp.Now = g.Status + " on " + g.Node
		gp.After = gp.Now
		switch {
		case g.Node == mig.Target:
			skip("already on " + mig.Target)
			return
		case g.Status == "running" && !mig.Online:
			problem("running: needs online")
		}
		if ha == "" || g.Type == "qemu" { // qemu-server checks the lock before it asks HA
			lockBlocks("")
		}
		if ha != "" {
			haRequest("the HA manager migrates it to "+mig.Target, g.Status+" on "+mig.Target)
		} else {
			gp.After = g.Status + " on " + mig.Target
		}
		if g.Type == "lxc" && g.Status == "running" {
			note("a running container restarts on " + mig.Target)
		}
	}
}

// deleteGuestPlanner plans destroying a VM or container: everything that
// goes with it.
func deleteGuestPlanner[In guestInput](typ string, call Call, purge, force func(In) bool) Planner[In] {
	return func(ctx context.Context, env *Env, in In) (*Plan, error) {
		p, g, err := guestPlanStart(ctx, env, typ, call, &in)
		if err != nil || len(p.WouldFail) > 0 {
			return p, err
		}
		word := map[string]string{"qemu": "VM", "lxc": "CT"}[typ]
		if g.Protected {
			p.fail("can't remove %s %d - protection mode enabled", word, g.VMID)
		}
		if g.Lock != "" {
			p.fail("%s is locked (%s)", word, g.Lock)
		}
		if g.Status == "running" {
			if typ == "qemu" {
				p.fail("VM %d is running - destroy failed (stop it first)", g.VMID)
			} else if !force(in) {
				p.fail("unable to destroy CT %d - container is running (stop it, or force)", g.VMID)
			} else {
				p.note("the running container is stopped first (force)")
			}
		}
		for _, d := range g.Disks {
			p.Destroys = append(p.Destroys, "volume "+d)
		}
		for _, s := range g.Snapshots {
			p.Destroys = append(p.Destroys, "snapshot "+s)
		}
		purged := purge(in)
		for _, h := range g.HA {
			// Any HA resource, even an ignored one, makes Proxmox refuse.
			if purged {
				p.Destroys = append(p.Destroys, "HA resource "+h)
			} else {
				p.fail("unable to remove %s %d - used in HA resources (%s) and purge parameter not set: pass purge", word, g.VMID, h)
			}
		}
		for _, b := range g.Backups {
			if purged {
				p.Destroys = append(p.Destroys, "this guest in backup job "+b)
			} else {
				p.note("backup job %s still names it unless purge", b)
			}
		}
		var repl []struct {
			ID     string `json:"id"`
			Guest  int    `json:"guest"`
			Target string `json:"target"`
		}
		if err := env.PVE.Get(ctx, replicationCall.Path, nil, &repl); err != nil {
			g.Unread = append(g.Unread, "replication jobs: "+err.Error())
		}
		for _, r := range repl {
			if r.Guest == g.VMID {
				p.Destroys = append(p.Destroys, "replication job "+r.ID+" (to "+r.Target+") and its replicas")
			}
		}
		p.Guests = []GuestPlan{{VMID: g.VMID, Name: g.Name, Type: g.Type, Node: g.Node, Now: g.Status, After: "destroyed", Lock: g.Lock, HA: haOf(g)}}
		if len(p.WouldFail) > 0 {
			p.Guests[0].After = g.Status
		}
		return p, nil
	}
}

var replicationCall = Call{"GET", "/cluster/replication"}

// deleteSnapshotPlanner plans deleting one snapshot.
func deleteSnapshotPlanner(typ string, call Call) Planner[deleteSnapshotIn] {
	return func(ctx context.Context, env *Env, in deleteSnapshotIn) (*Plan, error) {
		p, g, err := guestPlanStart(ctx, env, typ, call, &in)
		if err != nil || len(p.WouldFail) > 0 {
			return p, err
		}
		if !slices.Contains(g.Snapshots, in.SnapName) {
			p.fail("snapshot '%s' does not exist (snapshots: %s)", in.SnapName, strings.Join(g.Snapshots, ", "))
		}
		if g.Lock != "" && !in.Force { // force, as skiplock, lets a failed delete be redone
			p.fail("%s is locked (%s)", typeWord(g.Type), g.Lock)
		}
		p.Destroys = []string{"snapshot " + in.SnapName + " of " + g.Type + " " + strconv.Itoa(g.VMID) + " (its disk state, config and any saved RAM)"}
		return p, nil
	}
}

var storageContentCall = Call{"GET", "/nodes/{node}/storage/{storage}/content"}

// deleteVolumePlan plans deleting a file volume (backup, ISO, template).
func deleteVolumePlan(ctx context.Context, env *Env, in deleteVolumeIn) (*Plan, error) {
	p := &Plan{}
	storage, _, _ := strings.Cut(in.Volume, ":")
	var err error
	if p.Request, err = env.requestOf(ctx, deleteVolumeCall, &deleteVolumePath{Node: in.Node, Storage: storage, Volume: in.Volume}); err != nil {
		return nil, err
	}
	path, err := pve.BuildPath(storageContentCall.Path, map[string]string{"node": in.Node, "storage": storage})
	if err != nil {
		return nil, err
	}
	var vols []struct {
		VolID     string `json:"volid"`
		Size      int64  `json:"size"`
		Format    string `json:"format"`
		Protected flag   `json:"protected"`
		VMID      int    `json:"vmid"`
		Notes     string `json:"notes"`
	}
	if err := env.PVE.Get(ctx, path, nil, &vols); err != nil {
		p.fail("reading storage %s on %s: %v", storage, in.Node, err)
		return p, nil
	}
	for _, v := range vols {
		if v.VolID != in.Volume {
			continue
		}
		d := fmt.Sprintf("volume %s (%s, %d bytes)", v.VolID, v.Format, v.Size)
		if v.VMID > 0 {
			d += fmt.Sprintf(", of guest %d", v.VMID)
		}
		if v.Notes != "" {
			d += ", notes: " + v.Notes
		}
		p.Destroys = []string{d}
		if v.Protected {
			p.fail("backup %s is protected: the task would fail (unprotect it first)", v.VolID)
		}
		return p, nil
	}
	p.fail("no volume %s on storage %s of node %s", in.Volume, storage, in.Node)
	return p, nil
}

// configPlan compares the parameters a change would send with the
// settings read from get (same placeholders as call): current → proposed
// per key. The digest read is returned for the call to check.
func configPlan(ctx context.Context, env *Env, get, call Call, in any) (*Plan, map[string]any, error) {
	p := &Plan{}
	placeholders := placeholdersOf([]Call{call})
	ids, params, err := pve.Encode(in, placeholders)
	if err != nil {
		return nil, nil, err
	}
	if err := env.resolveNode(ctx, placeholders, ids); err != nil {
		return nil, nil, err
	}
	if p.Request, err = env.requestOf(ctx, call, in); err != nil {
		return nil, nil, err
	}
	path, err := pve.BuildPath(get.Path, ids)
	if err != nil {
		return nil, nil, err
	}
	cur := map[string]any{}
	if err := env.PVE.Get(ctx, path, nil, &cur); err != nil {
		return nil, nil, err
	}
	p.Digest, _ = cur["digest"].(string)
	str := func(k string) *string {
		v, ok := cur[k]
		if !ok || v == nil {
			return nil
		}
		var s string
		switch v := v.(type) {
		case string:
			s = v
		default:
			b, _ := json.Marshal(v)
			s = string(b)
		}
		if secretKey(k) {
			s = "(hidden)"
		}
		return &s
	}
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		switch k {
		case "append", "skiplock": // how the change is made, not a setting
			continue
		case "digest":
			if d := params.Get(k); p.Digest != "" && d != p.Digest {
				p.fail("digest %s does not match the current %s: the settings changed since they were read", d, p.Digest)
			}
			continue
		case "delete":
			for _, dk := range strings.Split(params.Get(k), ",") {
				if dk = strings.TrimSpace(dk); dk != "" {
					p.Changes = append(p.Changes, Change{Key: dk, Now: str(dk), Removed: true})
				}
			}
			continue
		}
		to := params.Get(k)
		if secretKey(k) {
			to = "(hidden)"
		}
		now := str(k)
		if now != nil && *now == to {
			continue // no change
		}
		p.Changes = append(p.Changes, Change{Key: k, Now: now, To: to})
	}
	if len(p.Changes) == 0 && len(p.WouldFail) == 0 {
		p.note("no setting would change")
	}
	return p, cur, nil
}

// guestConfigPlanner plans a VM or container config change.
func guestConfigPlanner[In guestInput](typ string, call Call, prep func(*In) error) Planner[In] {
	get := Call{"GET", "/nodes/{node}/" + typ + "/{vmid}/config"}
	return func(ctx context.Context, env *Env, in In) (*Plan, error) {
		if prep != nil {
			if err := prep(&in); err != nil {
				return nil, err
			}
		}
		head := &Plan{}
		g, err := env.planGuest(ctx, head, typ, in.guestIn())
		if err != nil || len(head.WouldFail) > 0 {
			return head, err
		}
		p, _, err := configPlan(ctx, env, get, call, &in)
		if err != nil {
			return nil, err
		}
		p.Target = g
		_, params, err := pve.Encode(&in, placeholdersOf([]Call{call}))
		if err != nil {
			return nil, err
		}
		if g.Lock != "" && params.Get("skiplock") != "1" {
			p.fail("%s is locked (%s)", typeWord(g.Type), g.Lock)
		}
		if g.Status == "running" && len(p.Changes) > 0 {
			p.note("the guest is running: changes that cannot be hot-plugged stay pending until it restarts")
		}
		return p, nil
	}
}

// settingsPlanner plans a change of settings read at get (cluster options,
// a storage, a user, firewall options).
func settingsPlanner[In any](get, call Call) Planner[In] {
	return func(ctx context.Context, env *Env, in In) (*Plan, error) {
		p, _, err := configPlan(ctx, env, get, call, &in)
		return p, err
	}
}

// migratePlanner plans moving a guest to another node.
func migratePlanner[In guestInput](typ string, call Call, opts func(In) (target string, online, localDisks bool)) Planner[In] {
	return func(ctx context.Context, env *Env, in In) (*Plan, error) {
		p, g, err := guestPlanStart(ctx, env, typ, call, &in)
		if err != nil || len(p.WouldFail) > 0 {
			return p, err
		}
		target, online, localDisks := opts(in)
		var res []clusterEntry
		if err := env.PVE.Get(ctx, resourcesCall.Path, nil, &res); err != nil {
			return nil, err
		}
		nodes, shared := clusterFacts(res)
		up, found := nodes[target]
		switch {
		case target == g.Node:
			p.fail("target is local node %s", target)
		case !found:
			p.fail("no such cluster node '%s'", target)
		case !up:
			p.fail("target node '%s' is not online", target)
		}
		running := g.Status == "running"
		if running && !online {
			if typ == "qemu" {
				p.fail("can't migrate running VM without online")
			} else {
				p.fail("CT is running: pass restart to stop, move and start it")
			}
		}
		ha := haManaged(g)
		switch {
		case g.Lock == "":
		case ha != "" && typ == "lxc": // pve-container leaves the lock to HA's migration
			p.note("%s", haLockText(g.Lock))
		default:
			p.fail("%s is locked (%s)", typeWord(g.Type), g.Lock)
		}
		for _, d := range g.Disks {
			_, vol, _ := strings.Cut(d, "=")
			st, _, _ := strings.Cut(vol, ":")
			if shared[st] {
				continue
			}
			if running && typ == "qemu" && !localDisks {
				p.fail("local disk %s: a live migration needs with_local_disks", d)
			} else {
				p.note("local disk %s is copied to %s", d, target)
			}
		}
		if running && typ == "lxc" && online {
			p.note("the container restarts on %s", target)
		}
		after := g.Status + " on " + target
		if len(p.WouldFail) > 0 || ha != "" && g.Lock != "" {
			after = g.Status + " on " + g.Node
		}
		p.Guests = []GuestPlan{{VMID: g.VMID, Name: g.Name, Type: g.Type, Node: g.Node, Now: g.Status + " on " + g.Node, After: after, Lock: g.Lock, HA: haOf(g)}}
		if ha != "" {
			p.note("%s", haRequestText(ha, "a hamigrate task asks the HA manager, which migrates it"))
		}
		return p, nil
	}
}

// rollbackPlanner plans reverting a guest to a snapshot: the settings that
// go back (current → the snapshot's), and the state the guest is left in.
func rollbackPlanner(typ string, call Call) Planner[rollbackIn] {
	return func(ctx context.Context, env *Env, in rollbackIn) (*Plan, error) {
		p, g, err := guestPlanStart(ctx, env, typ, call, &in)
		if err != nil || len(p.WouldFail) > 0 {
			return p, err
		}
		ids := map[string]string{"node": g.Node, "vmid": strconv.Itoa(g.VMID)}
		snapPath, err := pve.BuildPath("/nodes/{node}/"+typ+"/{vmid}/snapshot", ids)
		if err != nil {
			return nil, err
		}
		var snaps []struct {
			Name     string `json:"name"`
			VMState  flag   `json:"vmstate"`
			SnapTime int64  `json:"snaptime"`
		}
		if err := env.PVE.Get(ctx, snapPath, nil, &snaps); err != nil {
			return nil, err
		}
		i := slices.IndexFunc(snaps, func(s struct {
			Name     string `json:"name"`
			VMState  flag   `json:"vmstate"`
			SnapTime int64  `json:"snaptime"`
		}) bool {
			return s.Name == in.SnapName
		})
		if i < 0 {
			p.fail("snapshot '%s' does not exist (snapshots: %s)", in.SnapName, strings.Join(g.Snapshots, ", "))
			return p, nil
		}
		snap := snaps[i]
		if g.Lock != "" {
			p.fail("%s is locked (%s)", typeWord(g.Type), g.Lock)
		}
		cfgPath, err := pve.BuildPath("/nodes/{node}/"+typ+"/{vmid}/config", ids)
		if err != nil {
			return nil, err
		}
		var cur, old map[string]any
		if err := env.PVE.Get(ctx, cfgPath, nil, &cur); err != nil {
			return nil, err
		}
		if err := env.PVE.Get(ctx, cfgPath, pve.Values{"snapshot": {in.SnapName}}, &old); err != nil {
			return nil, err
		}
		str := func(v any) string {
			if s, ok := v.(string); ok {
				return s
			}
			b, _ := json.Marshal(v)
			return string(b)
		}
		keys := map[string]bool{}
		for k := range cur {
			keys[k] = true
		}
		for k := range old {
			keys[k] = true
		}
		sorted := make([]string, 0, len(keys))
		for k := range keys {
			switch k {
			case "digest", "snaptime", "vmstate", "parent", "snapstate", "lock":
				continue
			}
			sorted = append(sorted, k)
		}
		sort.Strings(sorted)
		for _, k := range sorted {
			c, inCur := cur[k]
			o, inOld := old[k]
			switch {
			case inCur && !inOld:
				now := str(c)
				p.Changes = append(p.Changes, Change{Key: k, Now: &now, Removed: true})
			case inOld && (!inCur || str(c) != str(o)):
				ch := Change{Key: k, To: str(o)}
				if inCur {
					now := str(c)
					ch.Now = &now
				}
				p.Changes = append(p.Changes, ch)
			}
		}
		p.Digest, _ = cur["digest"].(string)
		after := "stopped"
		switch {
		case bool(snap.VMState):
			after = "running"
			p.note("the snapshot saved RAM: the VM resumes as it ran then")
		case in.Start:
			after = "running"
		}
		p.Destroys = []string{"every change to disks and config since snapshot " + in.SnapName}
		if g.Status == "running" && !bool(snap.VMState) {
			p.Destroys = append(p.Destroys, "the running guest's memory: it is stopped first")
		}
		for _, s := range snaps {
			if s.Name != "current" && s.Name != in.SnapName && s.SnapTime > snap.SnapTime {
				p.note("later snapshot %s: some storages (ZFS, LVM-thin) refuse to roll back past it", s.Name)
			}
		}
		if len(p.WouldFail) > 0 {
			after = g.Status
		}
		p.Guests = []GuestPlan{{VMID: g.VMID, Name: g.Name, Type: g.Type, Node: g.Node, Now: g.Status, After: after, Lock: g.Lock, HA: haOf(g)}}
		return p, nil
	}
}
