package tools

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// dryRun calls a tool with dry_run: true, checks that only GETs reached
// Proxmox and that nothing changed, and returns the plan.
func (e *testEnv) dryRun(name string, args map[string]any) Plan {
	e.t.Helper()
	a := map[string]any{"dry_run": true}
	for k, v := range args {
		a[k] = v
	}
	e.sim.ResetRequests()
	var p Plan
	txt := e.okJSON(name, a, &p)
	e.onlyGETs(name)
	if !p.DryRun || !strings.Contains(txt, "DRY RUN: nothing was changed.") {
		e.t.Fatalf("%s: not a dry run answer: %s", name, txt)
	}
	return p
}

// onlyGETs fails the test if anything but a GET reached the simulator
// since the last ResetRequests.
func (e *testEnv) onlyGETs(what string) {
	e.t.Helper()
	for _, r := range e.sim.Requests() {
		if r.Method != "GET" {
			e.t.Errorf("%s: dry run sent %s %s", what, r.Method, r.Path)
		}
	}
}

// simState is a guest's power state as the plans name it.
func (e *testEnv) simState(vmid int) string {
	g, ok := e.sim.Guest(vmid)
	switch {
	case !ok:
		return "destroyed"
	case g.Paused:
		return "paused"
	}
	return g.Status
}

func joined(p Plan) string {
	return strings.Join(slices.Concat(p.WouldFail, p.Notes, p.Destroys), "\n")
}

// TestDryRunPower: each power action's plan states now → after and the
// preconditions; the real call then leaves the guest in the planned
// state, or fails where the plan said it would.
func TestDryRunPower(t *testing.T) {
	e := fullEnv(t)
	for _, c := range []struct {
		tool       string
		vmid       int
		now, after string
		fail       string // in would_fail; the real call fails too
		note       string
	}{
		{tool: "pve_start_qemu_vm", vmid: 102, now: "stopped", after: "running"},
		// 103, not HA-managed: Proxmox turns a start of an HA guest into a hastart request.
		{tool: "pve_start_qemu_vm", vmid: 103, now: "running", after: "running", fail: "already running"},
		{tool: "pve_start_qemu_vm", vmid: 9000, now: "stopped", after: "stopped", fail: "template"},
		{tool: "pve_suspend_qemu_vm", vmid: 103, now: "running", after: "paused"},
		{tool: "pve_reboot_qemu_vm", vmid: 103, now: "paused", after: "paused", fail: "paused"},
		{tool: "pve_resume_qemu_vm", vmid: 103, now: "paused", after: "running"},
		{tool: "pve_reset_qemu_vm", vmid: 103, now: "running", after: "running"},
		{tool: "pve_shutdown_qemu_vm", vmid: 102, now: "running", after: "stopped"},
		{tool: "pve_shutdown_qemu_vm", vmid: 102, now: "stopped", after: "stopped", fail: "not running"},
		{tool: "pve_stop_qemu_vm", vmid: 104, now: "running", after: "stopped", note: "HA-managed (vm:104 started)"},
		{tool: "pve_start_lxc_container", vmid: 203, now: "stopped", after: "running"},
		{tool: "pve_reboot_lxc_container", vmid: 203, now: "running", after: "running", note: "pending config changes"},
		{tool: "pve_stop_lxc_container", vmid: 203, now: "running", after: "stopped"},
		{tool: "pve_stop_lxc_container", vmid: 203, now: "stopped", after: "stopped", fail: "CT 203 not running"},
		{tool: "pve_suspend_lxc_container", vmid: 202, now: "running", after: "paused"},
		// A frozen container is listed as running: the plan cannot tell.
		{tool: "pve_resume_lxc_container", vmid: 202, now: "running", after: "running"},
		{tool: "pve_shutdown_lxc_container", vmid: 200, now: "running", after: "stopped"},
	} {
		args := map[string]any{"vmid": c.vmid}
		p := e.dryRun(c.tool, args)
		if len(p.Guests) != 1 {
			t.Fatalf("%s %d: plan has %d guests: %+v", c.tool, c.vmid, len(p.Guests), p)
		}
		g := p.Guests[0]
		if g.Now != c.now || g.After != c.after {
			t.Errorf("%s %d: plan %s → %s, want %s → %s", c.tool, c.vmid, g.Now, g.After, c.now, c.after)
		}
		if p.Target == nil || p.Target.VMID != c.vmid || p.Target.Name == "" {
			t.Errorf("%s %d: plan lacks the guest summary: %+v", c.tool, c.vmid, p.Target)
		}
		if !strings.Contains(p.Request, "POST /nodes/") {
			t.Errorf("%s %d: request %q", c.tool, c.vmid, p.Request)
		}
		if c.note != "" && !strings.Contains(joined(p), c.note) {
			t.Errorf("%s %d: plan lacks %q: %s", c.tool, c.vmid, c.note, joined(p))
		}
		if c.fail != "" {
			if !strings.Contains(strings.Join(p.WouldFail, "\n"), c.fail) {
				t.Errorf("%s %d: would_fail %v, want %q", c.tool, c.vmid, p.WouldFail, c.fail)
			}
			e.fails(c.tool, map[string]any{"vmid": c.vmid, "wait": 30})
		} else {
			if len(p.WouldFail) > 0 {
				t.Errorf("%s %d: would_fail %v", c.tool, c.vmid, p.WouldFail)
			}
			e.ok(c.tool, map[string]any{"vmid": c.vmid, "wait": 30})
		}
		if got := e.simState(c.vmid); got != c.after {
			t.Errorf("%s %d: after the real call the guest is %s, the plan said %s", c.tool, c.vmid, got, c.after)
		}
	}
	// A container's vmid to a VM tool: the plan says so, and reads only.
	p := e.dryRun("pve_start_qemu_vm", map[string]any{"vmid": 200})
	if !strings.Contains(strings.Join(p.WouldFail, ""), "is a lxc") {
		t.Errorf("wrong type: %v", p.WouldFail)
	}
}

// TestPowerAfterPreconditions: the rules of each power call on a locked,
// hibernated or HA-managed guest, where the simulator's seed has none
// (TestDryRunLocks proves them against the simulator).
func TestPowerAfterPreconditions(t *testing.T) {
	for _, c := range []struct {
		verb, typ, lock, now string
		ha                   string
		force                bool
		after, fail, note    string
	}{
		{verb: "shutdown", typ: "qemu", lock: "backup", now: "running", after: "running", fail: "VM is locked (backup)"},
		{verb: "start", typ: "qemu", lock: "suspended", now: "stopped", after: "running"},
		{verb: "resume", typ: "qemu", lock: "suspended", now: "stopped", after: "running", note: "hibernated"},
		{verb: "suspend", typ: "qemu", lock: "backup", now: "running", after: "paused"},
		{verb: "resume", typ: "qemu", lock: "backup", now: "paused", after: "running"},
		{verb: "suspend", typ: "lxc", lock: "backup", now: "running", after: "running", fail: "CT is locked (backup)"},
		{verb: "resume", typ: "lxc", lock: "backup", now: "running", after: "running"},
		{verb: "reset", typ: "qemu", lock: "snapshot", now: "running", after: "running", fail: "VM is locked (snapshot)"},
		{verb: "shutdown", typ: "qemu", now: "paused", after: "paused", fail: "VM is paused"},
		{verb: "shutdown", typ: "qemu", now: "paused", force: true, after: "stopped"},
		// HA-managed: the request is taken, the lock refuses nothing, HA leaves the guest.
		{verb: "start", typ: "qemu", ha: "vm:100 stopped", now: "running", after: "running", note: "sets the HA state to started"},
		{verb: "start", typ: "qemu", ha: "vm:100 stopped", lock: "backup", now: "stopped", after: "stopped", note: "HA leaves it as it is"},
		{verb: "stop", typ: "lxc", ha: "ct:201 started", lock: "backup", now: "running", after: "running", note: "sets the HA state to stopped"},
		{verb: "start", typ: "lxc", ha: "ct:201 started", now: "running", after: "running", fail: "CT 201 already running"},
		{verb: "start", typ: "qemu", ha: "vm:100 ignored", now: "running", after: "running", fail: "VM 100 already running"},
		{verb: "reboot", typ: "qemu", ha: "vm:100 started", lock: "backup", now: "running", after: "running", fail: "VM is locked (backup)"},
	} {
		g := &guest{VMID: 100, Type: c.typ, Lock: c.lock}
		if c.typ == "lxc" {
			g.VMID = 201
		}
		if c.ha != "" {
			g.HA = []string{c.ha}
		}
		after, probs, notes := powerAfter(c.verb, g, c.now, c.force)
		name := c.verb + " " + c.typ + " " + c.lock + " " + c.ha
		if after != c.after {
			t.Errorf("%s: after %s, want %s", name, after, c.after)
		}
		if fails := strings.Join(probs, "; "); c.fail == "" && fails != "" || !strings.Contains(fails, c.fail) {
			t.Errorf("%s: problems %q, want %q", name, fails, c.fail)
		}
		if !strings.Contains(strings.Join(notes, "; "), c.note) {
			t.Errorf("%s: notes %q, want %q", name, notes, c.note)
		}
	}
}

// TestDryRunBulk: per guest now → after, the skipped ones named; the real
// call does the same.
func TestDryRunBulk(t *testing.T) {
	e := fullEnv(t)
	p := e.dryRun("pve_bulk_start_guests", map[string]any{"vms": []int{102, 100, 9000, 203}})
	want := map[int][2]string{102: {"stopped", "running"}, 100: {"running", "running"}, 9000: {"stopped", "stopped"}, 203: {"stopped", "running"}}
	for _, g := range p.Guests {
		w := want[g.VMID]
		if g.Now != w[0] || g.After != w[1] || g.Skipped != (g.VMID == 100 || g.VMID == 9000) {
			t.Errorf("bulk start %d: %+v, want %v", g.VMID, g, w)
		}
	}
	if len(p.Guests) != 4 || len(p.WouldFail) > 0 || !strings.Contains(joined(p), "100 skipped: already running") {
		t.Errorf("bulk start plan: %+v", p)
	}
	e.ok("pve_bulk_start_guests", map[string]any{"vms": []int{102, 100, 9000, 203}, "wait": 30})
	for id, w := range want {
		if got := e.simState(id); got != w[1] {
			t.Errorf("after bulk start %d is %s, plan said %s", id, got, w[1])
		}
	}

	p = e.dryRun("pve_bulk_suspend_guests", map[string]any{"vms": []int{103, 200}})
	if p.Guests[0].After != "paused" || !p.Guests[1].Skipped || !strings.Contains(joined(p), "200 skipped: a container") {
		t.Errorf("bulk suspend plan: %+v", p)
	}
	e.ok("pve_bulk_suspend_guests", map[string]any{"vms": []int{103, 200}, "wait": 30})
	if e.simState(103) != "paused" || e.simState(200) != "running" {
		t.Errorf("after bulk suspend: 103 %s, 200 %s", e.simState(103), e.simState(200))
	}

	p = e.dryRun("pve_bulk_shutdown_guests", map[string]any{"vms": []int{102, 105}})
	if !strings.Contains(strings.Join(p.WouldFail, ""), "no VM or container with vmid 105") {
		t.Errorf("unknown vmid: %v", p.WouldFail)
	}
	e.fails("pve_bulk_shutdown_guests", map[string]any{"vms": []int{102, 105}})

	// Migration: a running guest without online, local disks, the target offline.
	e = fullEnv(t)
	p = e.dryRun("pve_bulk_migrate_guests", map[string]any{"vms": []int{101, 203}, "target": "pve3"})
	fails := strings.Join(p.WouldFail, "\n")
	if !strings.Contains(fails, "101: running: needs online") || strings.Contains(fails, "203") {
		t.Errorf("bulk migrate would_fail: %v", p.WouldFail)
	}
	if g := p.Guests[1]; g.After != "stopped on pve3" || g.Problems != nil {
		t.Errorf("bulk migrate 203: %+v", g)
	}
	e.sim.SetNodeOnline("pve3", false)
	p = e.dryRun("pve_bulk_migrate_guests", map[string]any{"vms": []int{203}, "target": "pve3"})
	if !strings.Contains(strings.Join(p.WouldFail, ""), "target node pve3 is not online") {
		t.Errorf("offline target: %v", p.WouldFail)
	}
	e.sim.SetNodeOnline("pve3", true)
	p = e.dryRun("pve_bulk_migrate_guests", map[string]any{"vms": []int{203}, "target": "pve3"})
	if len(p.WouldFail) > 0 {
		t.Fatalf("bulk migrate 203: %v", p.WouldFail)
	}
	e.ok("pve_bulk_migrate_guests", map[string]any{"vms": []int{203}, "target": "pve3", "wait": 30})
	if g, _ := e.sim.Guest(203); g.Node != "pve3" {
		t.Errorf("203 is on %s after the migration, plan said pve3", g.Node)
	}
}

// TestDryRunDeletes: everything that would go; the real call removes it.
func TestDryRunDeletes(t *testing.T) {
	e := fullEnv(t)
	// A running VM with a snapshot, HA and a replication job.
	p := e.dryRun("pve_delete_qemu_vm", map[string]any{"vmid": 101})
	all := joined(p)
	for _, w := range []string{"VM 101 is running", "volume scsi0=local-lvm:vm-101-disk-0 (200G)", "snapshot pre-upgrade",
		"replication job 101-0 (to pve2)", "unable to remove VM 101 - used in HA resources (vm:101 started) and purge parameter not set"} {
		if !strings.Contains(all, w) {
			t.Errorf("delete 101 plan lacks %q:\n%s", w, all)
		}
	}
	e.fails("pve_delete_qemu_vm", map[string]any{"vmid": 101, "wait": 30})

	p = e.dryRun("pve_delete_qemu_vm", map[string]any{"vmid": 102, "purge": true})
	if len(p.WouldFail) > 0 || p.Guests[0].After != "destroyed" || !strings.Contains(joined(p), "volume scsi0=local-lvm:vm-102-disk-0 (120G)") {
		t.Fatalf("delete 102 plan: %+v", p)
	}
	if !strings.Contains(p.Request, "DELETE /nodes/pve2/qemu/102 purge=1") {
		t.Errorf("request %q", p.Request)
	}
	e.ok("pve_delete_qemu_vm", map[string]any{"vmid": 102, "purge": true, "wait": 30})
	if e.simState(102) != "destroyed" {
		t.Error("102 still there after the delete the plan announced")
	}

	p = e.dryRun("pve_delete_lxc_container", map[string]any{"vmid": 200})
	if !strings.Contains(joined(p), "container is running (stop it, or force)") {
		t.Errorf("running CT: %v", p.WouldFail)
	}
	p = e.dryRun("pve_delete_lxc_container", map[string]any{"vmid": 200, "force": true, "purge": true})
	all = joined(p)
	if len(p.WouldFail) > 0 || !strings.Contains(all, "stopped first (force)") || !strings.Contains(all, "replication job 200-0") {
		t.Errorf("forced CT delete: %s", all)
	}
	e.ok("pve_delete_lxc_container", map[string]any{"vmid": 200, "force": true, "purge": true, "wait": 30})
	if e.simState(200) != "destroyed" {
		t.Error("200 still there")
	}

	// Snapshots.
	p = e.dryRun("pve_delete_qemu_snapshot", map[string]any{"vmid": 101, "snapname": "nope"})
	if !strings.Contains(joined(p), "snapshot 'nope' does not exist (snapshots: pre-upgrade)") {
		t.Errorf("missing snapshot: %v", p.WouldFail)
	}
	p = e.dryRun("pve_delete_qemu_snapshot", map[string]any{"vmid": 101, "snapname": "pre-upgrade"})
	if len(p.WouldFail) > 0 || !strings.Contains(joined(p), "snapshot pre-upgrade of qemu 101") {
		t.Fatalf("snapshot plan: %+v", p)
	}
	e.ok("pve_delete_qemu_snapshot", map[string]any{"vmid": 101, "snapname": "pre-upgrade", "wait": 30})
	if g, _ := e.sim.Guest(101); len(g.Snapshots) != 0 {
		t.Error("snapshot still there")
	}

	e.ok("pve_create_lxc_snapshot", map[string]any{"vmid": 201, "snapname": "before", "wait": 30})
	p = e.dryRun("pve_delete_lxc_snapshot", map[string]any{"vmid": 201, "snapname": "before"})
	if len(p.WouldFail) > 0 || !strings.Contains(joined(p), "snapshot before of lxc 201") {
		t.Fatalf("CT snapshot plan: %+v", p)
	}
	e.ok("pve_delete_lxc_snapshot", map[string]any{"vmid": 201, "snapname": "before", "wait": 30})
	if p = e.dryRun("pve_delete_lxc_snapshot", map[string]any{"vmid": 201, "snapname": "before"}); !strings.Contains(joined(p), "does not exist") {
		t.Errorf("deleted CT snapshot still planned: %+v", p)
	}

	// Storage volumes: size and the protection the task would trip on.
	protected := e.backupOf("pve1", "local", 101)
	p = e.dryRun("pve_delete_storage_volume", map[string]any{"node": "pve1", "volume": protected})
	if !strings.Contains(joined(p), "is protected") || !strings.Contains(joined(p), "of guest 101") {
		t.Errorf("protected backup plan: %s", joined(p))
	}
	iso := "local:iso/virtio-win-0.1.262.iso"
	p = e.dryRun("pve_delete_storage_volume", map[string]any{"node": "pve2", "volume": iso})
	if len(p.WouldFail) > 0 || len(p.Destroys) != 1 || !strings.Contains(p.Destroys[0], iso+" (iso, ") {
		t.Fatalf("ISO plan: %+v", p)
	}
	e.ok("pve_delete_storage_volume", map[string]any{"node": "pve2", "volume": iso, "wait": 30})
	p = e.dryRun("pve_delete_storage_volume", map[string]any{"node": "pve2", "volume": iso})
	if !strings.Contains(joined(p), "no volume "+iso) {
		t.Errorf("deleted ISO still planned: %+v", p)
	}
}

// TestDryRunConfig: current → proposed per key and the digest; the real
// call with that digest makes exactly those changes.
func TestDryRunConfig(t *testing.T) {
	e := fullEnv(t)
	p := e.dryRun("pve_update_qemu_config", map[string]any{"vmid": 102, "memory": 4096, "cores": 4, "delete": []string{"tags"}})
	byKey := map[string]Change{}
	for _, c := range p.Changes {
		byKey[c.Key] = c
	}
	if c := byKey["memory"]; c.Now == nil || *c.Now != "8192" || c.To != "4096" {
		t.Errorf("memory: %+v", c)
	}
	if _, same := byKey["cores"]; same {
		t.Error("cores 4 → 4 listed as a change")
	}
	if c := byKey["tags"]; !c.Removed || c.Now == nil || *c.Now != "windows" {
		t.Errorf("tags: %+v", c)
	}
	if p.Digest == "" || p.Target == nil || p.Digest != p.Target.Digest {
		t.Fatalf("digest %q, target %+v", p.Digest, p.Target)
	}
	bad := e.dryRun("pve_update_qemu_config", map[string]any{"vmid": 102, "memory": 4096, "digest": strings.Repeat("0", 40)})
	if !strings.Contains(joined(bad), "does not match the current") {
		t.Errorf("stale digest: %v", bad.WouldFail)
	}
	e.ok("pve_update_qemu_config", map[string]any{"vmid": 102, "memory": 4096, "cores": 4, "delete": []string{"tags"}, "digest": p.Digest})
	g, _ := e.sim.Guest(102)
	if g.Config["memory"] != "4096" || g.Config["tags"] != "" {
		t.Errorf("after the change: memory %q tags %q", g.Config["memory"], g.Config["tags"])
	}

	p = e.dryRun("pve_update_lxc_config", map[string]any{"vmid": 200, "memory": 1024})
	if len(p.Changes) != 1 || p.Changes[0].To != "1024" || *p.Changes[0].Now != "512" || !strings.Contains(joined(p), "running") {
		t.Errorf("lxc plan: %+v", p)
	}
	e.ok("pve_update_lxc_config", map[string]any{"vmid": 200, "memory": 1024, "digest": p.Digest})

	// Settings outside guests.
	p = e.dryRun("pve_update_cluster_options", map[string]any{"console": "xtermjs"})
	if len(p.Changes) != 1 || p.Changes[0].Key != "console" || p.Changes[0].To != "xtermjs" {
		t.Errorf("cluster options plan: %+v", p)
	}
	e.ok("pve_update_cluster_options", map[string]any{"console": "xtermjs"})
	if p = e.dryRun("pve_update_cluster_options", map[string]any{"console": "xtermjs"}); len(p.Changes) != 0 || !strings.Contains(joined(p), "no setting would change") {
		t.Errorf("after the change, the same plan changes %+v", p.Changes)
	}
	// Each settings tool: the plan's change, the real call, then nothing left to change.
	for _, c := range []struct {
		tool string
		args map[string]any
		key  string
	}{
		{"pve_update_firewall_options", map[string]any{"enable": 0}, "enable"},
		{"pve_update_user", map[string]any{"userid": "root@pam", "email": "ops@example.com"}, "email"},
		{"pve_update_storage", map[string]any{"storage": "local", "content": []string{"iso", "backup"}}, "content"},
	} {
		p = e.dryRun(c.tool, c.args)
		if len(p.Changes) != 1 || p.Changes[0].Key != c.key || len(p.WouldFail) > 0 {
			t.Errorf("%s plan: %+v", c.tool, p)
			continue
		}
		e.ok(c.tool, c.args)
		if p = e.dryRun(c.tool, c.args); len(p.Changes) != 0 {
			t.Errorf("%s: after the real call the plan still changes %+v", c.tool, p.Changes)
		}
	}
}

// TestDryRunMigrate: source → target, the target's state, local disks.
func TestDryRunMigrate(t *testing.T) {
	e := fullEnv(t)
	p := e.dryRun("pve_migrate_qemu_vm", map[string]any{"vmid": 100, "target": "pve2"})
	if !strings.Contains(joined(p), "can't migrate running VM without online") {
		t.Errorf("running VM: %v", p.WouldFail)
	}
	p = e.dryRun("pve_migrate_qemu_vm", map[string]any{"vmid": 100, "target": "pve2", "online": true})
	if !strings.Contains(joined(p), "local disk scsi0=local-lvm:vm-100-disk-0 (32G): a live migration needs with_local_disks") {
		t.Errorf("local disks: %v", p.WouldFail)
	}
	e.sim.SetNodeOnline("pve3", false)
	p = e.dryRun("pve_migrate_qemu_vm", map[string]any{"vmid": 102, "target": "pve3"})
	if !strings.Contains(joined(p), "target node 'pve3' is not online") {
		t.Errorf("offline target: %v", p.WouldFail)
	}
	e.fails("pve_migrate_qemu_vm", map[string]any{"vmid": 102, "target": "pve3"})
	e.sim.SetNodeOnline("pve3", true)
	p = e.dryRun("pve_migrate_qemu_vm", map[string]any{"vmid": 102, "target": "pve3"})
	if len(p.WouldFail) > 0 || p.Guests[0].Now != "stopped on pve2" || p.Guests[0].After != "stopped on pve3" {
		t.Fatalf("migrate 102: %+v", p)
	}
	e.ok("pve_migrate_qemu_vm", map[string]any{"vmid": 102, "target": "pve3", "wait": 30})
	if g, _ := e.sim.Guest(102); g.Node != "pve3" {
		t.Errorf("102 on %s, plan said pve3", g.Node)
	}
	p = e.dryRun("pve_migrate_lxc_container", map[string]any{"vmid": 200, "target": "pve2"})
	if !strings.Contains(joined(p), "pass restart") {
		t.Errorf("running CT: %v", p.WouldFail)
	}
	p = e.dryRun("pve_migrate_lxc_container", map[string]any{"vmid": 203, "target": "pve2"})
	if len(p.WouldFail) > 0 || p.Guests[0].After != "stopped on pve2" {
		t.Fatalf("migrate 203: %+v", p)
	}
	e.ok("pve_migrate_lxc_container", map[string]any{"vmid": 203, "target": "pve2", "wait": 30})
	if g, _ := e.sim.Guest(203); g.Node != "pve2" {
		t.Errorf("203 on %s, plan said pve2", g.Node)
	}
}

// TestDryRunListing: dry_run is listed, without description, exactly on
// the planner tools; the instructions explain it; a read-only tool
// refuses it.
func TestDryRunListing(t *testing.T) {
	e := fullEnv(t)
	res, err := e.session.ListTools(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	var with []string
	for _, tool := range res.Tools {
		b, _ := json.Marshal(tool.InputSchema)
		if strings.Contains(string(b), `"dry_run":{"type":"boolean"}`) {
			with = append(with, tool.Name)
		}
	}
	var want []string
	for _, tool := range All() {
		if tool.DryRun() {
			want = append(want, tool.Name)
		}
	}
	slices.Sort(with)
	slices.Sort(want)
	if !slices.Equal(with, want) || len(want) < 30 {
		t.Errorf("dry_run listed on %v, want %v", with, want)
	}
	if !strings.Contains(e.session.InitializeResult().Instructions, "dry_run: true changes nothing") {
		t.Error("instructions do not explain dry_run")
	}
	e.sim.ResetRequests()
	// Every write tool plans; a read-only one refuses dry_run as unknown.
	e.fails("pve_get_qemu_status", map[string]any{"vmid": 100, "dry_run": true})
	if len(e.sim.Requests()) != 0 {
		t.Error("a refused dry_run reached Proxmox")
	}
}

// TestDryRunNeverConfirms: under PVE_CONFIRM=writes a dry run answers its
// plan at once, directly and through the compact dispatchers, and reads only.
func TestDryRunNeverConfirms(t *testing.T) {
	e := fullEnv(t)
	for _, policy := range []ConfirmPolicy{ConfirmDestructive, ConfirmWrites} {
		e.env.Confirm = Confirmation{Policy: policy}
		p := e.dryRun("pve_stop_qemu_vm", map[string]any{"vmid": 100})
		if p.Guests[0].After != "stopped" {
			t.Errorf("%s: plan %+v", policy, p)
		}
		p = e.dryRun("pve_start_qemu_vm", map[string]any{"vmid": 102})
		if p.Guests[0].After != "running" {
			t.Errorf("%s: plan %+v", policy, p)
		}
	}
	if e.simState(100) != "running" || e.simState(102) != "stopped" {
		t.Error("a dry run changed a guest")
	}

	// Compact mode, confirmation on for writes.
	selected, err := Select(Selection{Tier: Full})
	if err != nil {
		t.Fatal(err)
	}
	env := &Env{PVE: e.env.PVE, Confirm: Confirmation{Policy: ConfirmWrites}}
	srv, err := NewServerFor(env, selected, ModeCompact)
	if err != nil {
		t.Fatal(err)
	}
	ct, st := mcp.NewInMemoryTransports()
	ctx := context.Background()
	ss, err := srv.Connect(ctx, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ss.Close()
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "test", Version: "1"}, nil).Connect(ctx, ct, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	e.sim.ResetRequests()
	for _, c := range []struct {
		name string
		args map[string]any
	}{
		{"pve_destroy", map[string]any{"tool": "pve_delete_qemu_vm", "arguments": map[string]any{"vmid": 102, "dry_run": true}}},
		{"pve_change", map[string]any{"tool": "pve_update_qemu_config", "arguments": map[string]any{"vmid": 102, "memory": 1024, "dry_run": true}}},
		{"pve_start_qemu_vm", map[string]any{"vmid": 102, "dry_run": true}},
	} {
		res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: c.name, Arguments: c.args})
		if err != nil {
			t.Fatal(err)
		}
		if txt := resultText(res); res.IsError || !strings.Contains(txt, "DRY RUN") || strings.Contains(txt, confirmNeeded) {
			t.Errorf("%s: %s", c.name, txt)
		}
	}
	e.onlyGETs("compact dry runs")
}

// TestDryRunRollback: the settings that go back and the state left; the
// real rollback does exactly that.
func TestDryRunRollback(t *testing.T) {
	e := fullEnv(t)
	p := e.dryRun("pve_rollback_qemu_snapshot", map[string]any{"vmid": 101, "snapname": "nope"})
	if !strings.Contains(joined(p), "snapshot 'nope' does not exist") {
		t.Errorf("missing snapshot: %v", p.WouldFail)
	}
	p = e.dryRun("pve_rollback_qemu_snapshot", map[string]any{"vmid": 101, "snapname": "pre-upgrade"})
	if len(p.WouldFail) > 0 || p.Guests[0].Now != "running" || p.Guests[0].After != "stopped" {
		t.Fatalf("rollback plan: %+v", p)
	}
	var mem *Change
	for i, c := range p.Changes {
		if c.Key == "memory" {
			mem = &p.Changes[i]
		}
	}
	if mem == nil || mem.Now == nil || *mem.Now != "16384" || mem.To != "8192" || len(p.Changes) != 1 {
		t.Errorf("rollback changes: %+v", p.Changes)
	}
	if !strings.Contains(joined(p), "memory: it is stopped first") {
		t.Errorf("rollback destroys: %v", p.Destroys)
	}
	e.ok("pve_rollback_qemu_snapshot", map[string]any{"vmid": 101, "snapname": "pre-upgrade", "wait": 30})
	if g, _ := e.sim.Guest(101); g.Config["memory"] != "8192" || g.Status != "stopped" {
		t.Errorf("after the rollback: memory %s, %s", g.Config["memory"], g.Status)
	}

	e.ok("pve_create_lxc_snapshot", map[string]any{"vmid": 203, "snapname": "clean", "wait": 30})
	e.ok("pve_update_lxc_config", map[string]any{"vmid": 203, "cores": 2})
	p = e.dryRun("pve_rollback_lxc_snapshot", map[string]any{"vmid": 203, "snapname": "clean", "start": true})
	if len(p.WouldFail) > 0 || p.Guests[0].After != "running" || len(p.Changes) != 1 || p.Changes[0].Key != "cores" || p.Changes[0].To != "1" {
		t.Fatalf("CT rollback plan: %+v", p)
	}
	e.ok("pve_rollback_lxc_snapshot", map[string]any{"vmid": 203, "snapname": "clean", "start": true, "wait": 30})
	if g, _ := e.sim.Guest(203); g.Config["cores"] != "1" || g.Status != "running" {
		t.Errorf("after the CT rollback: cores %s, %s", g.Config["cores"], g.Status)
	}
}

// Every tool that changes something takes dry_run (issue 13): a new write
// tool without a planner fails here.
func TestEveryWriteToolPlans(t *testing.T) {
	for _, tool := range All() {
		if tool.Kind != Read && !tool.DryRun() {
			t.Errorf("%s changes something but has no planner (see planned in dryrun.go)", tool.Name)
		}
	}
}
