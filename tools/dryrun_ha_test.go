package tools

import (
	"strings"
	"testing"
)

// The plans of calls on HA-managed and locked guests, each followed by the
// real call on the same simulator: HA takes a start, stop or shutdown (and
// leaves a locked guest as it is), a destroy needs purge, a migration is
// HA's; a lock refuses what Proxmox's call refuses and nothing else.

// lock returns a before hook that sets (or, with "", clears) guest locks.
func lock(locks map[int]string) func(e *testEnv) {
	return func(e *testEnv) {
		for id, l := range locks {
			e.sim.SetGuestLock(id, l)
		}
	}
}

// wantGuests checks the real call left every guest of the plan as the plan
// said: its state, and for a migration ("running on pve2") its node.
func wantGuests(t *testing.T, e *testEnv, p Plan) {
	t.Helper()
	if len(p.Guests) == 0 {
		t.Fatal("plan has no guests")
	}
	for _, gp := range p.Guests {
		got := e.simState(gp.VMID)
		if strings.Contains(gp.After, " on ") {
			g, _ := e.sim.Guest(gp.VMID)
			got += " on " + g.Node
		}
		if got != gp.After {
			t.Errorf("%d is %s after the call, the plan said %s", gp.VMID, got, gp.After)
		}
	}
}

// haState is the requested state of an HA resource in the simulator.
func haState(t *testing.T, e *testEnv, sid string) string {
	t.Helper()
	var r struct {
		State string `json:"state"`
	}
	if err := e.env.PVE.Get(t.Context(), "/cluster/ha/resources/"+sid, nil, &r); err != nil {
		return "none"
	}
	return r.State
}

func TestDryRunHAAndLocks(t *testing.T) {
	e := fullEnv(t)
	requested := func(sid, state string) func(t *testing.T, e *testEnv, p Plan) {
		return func(t *testing.T, e *testEnv, p Plan) {
			wantGuests(t, e, p)
			if got := haState(t, e, sid); got != state {
				t.Errorf("%s requested state %s after the call, want %s", sid, got, state)
			}
		}
	}
	runPlanCases(t, e, []planCase{
		// HA takes the request; a running VM's start is no refusal then.
		{name: "start of a running HA VM", tool: "pve_start_qemu_vm", args: map[string]any{"vmid": 100},
			want:  []string{"HA-managed (vm:100 started): HA takes the request: sets the HA state to started", `"now":"running","after":"running"`},
			after: requested("vm:100", "started")},
		{name: "stop of an HA VM", tool: "pve_stop_qemu_vm", args: map[string]any{"vmid": 100},
			want: []string{"sets the HA state to stopped", `"after":"stopped"`}, after: requested("vm:100", "stopped")},
		{name: "HA start of a locked VM", tool: "pve_start_qemu_vm", args: map[string]any{"vmid": 100}, before: lock(map[int]string{100: "backup"}),
			want:  []string{"sets the HA state to started", "locked (backup): HA leaves it as it is", `"now":"stopped","after":"stopped"`},
			after: requested("vm:100", "started")},
		{name: "shutdown of an HA CT", tool: "pve_shutdown_lxc_container", args: map[string]any{"vmid": 201},
			want: []string{"HA-managed (ct:201 started)", "sets the HA state to stopped"}, after: requested("ct:201", "stopped")},
		{name: "HA start of a running CT", tool: "pve_start_lxc_container", args: map[string]any{"vmid": 200}, before: lock(map[int]string{100: ""}),
			fail: "CT 200 already running"},

		// Locks: refused where Proxmox refuses, not where it does not.
		{name: "start of a locked VM", tool: "pve_start_qemu_vm", args: map[string]any{"vmid": 102}, before: lock(map[int]string{102: "backup"}),
			fail: "VM is locked (backup)", after: wantGuests},
		{name: "suspend under a backup", tool: "pve_suspend_qemu_vm", args: map[string]any{"vmid": 103}, before: lock(map[int]string{102: "", 103: "backup"}),
			want: []string{`"after":"paused"`}, after: wantGuests},
		{name: "resume under a backup", tool: "pve_resume_qemu_vm", args: map[string]any{"vmid": 103},
			want: []string{`"now":"paused","after":"running"`}, after: wantGuests},
		{name: "reset under a backup", tool: "pve_reset_qemu_vm", args: map[string]any{"vmid": 103}, fail: "VM is locked (backup)"},
		{name: "CT suspend under a backup", tool: "pve_suspend_lxc_container", args: map[string]any{"vmid": 202}, before: lock(map[int]string{103: "", 202: "backup"}),
			fail: "CT is locked (backup)", after: wantGuests},
		{name: "config change of a locked VM", tool: "pve_update_qemu_config", args: map[string]any{"vmid": 103, "cores": 4}, before: lock(map[int]string{202: "", 103: "snapshot"}),
			fail: "VM is locked (snapshot)"},
		{name: "config change with skiplock", tool: "pve_update_qemu_config", args: map[string]any{"vmid": 103, "cores": 4, "extra": map[string]any{"skiplock": 1}},
			want: []string{`"key":"cores"`}},
		{name: "snapshot delete of a locked VM", tool: "pve_delete_qemu_snapshot", args: map[string]any{"vmid": 101, "snapname": "pre-upgrade"},
			before: lock(map[int]string{103: "", 101: "snapshot-delete"}), fail: "VM is locked (snapshot-delete)"},
		{name: "snapshot delete redone with force", tool: "pve_delete_qemu_snapshot", args: map[string]any{"vmid": 101, "snapname": "pre-upgrade", "force": true},
			want: []string{"snapshot pre-upgrade of qemu 101"}, after: func(t *testing.T, e *testEnv, p Plan) {
				if g, _ := e.sim.Guest(101); len(g.Snapshots) != 0 || g.Lock != "" {
					t.Errorf("101 after the forced delete: %d snapshots, lock %q", len(g.Snapshots), g.Lock)
				}
			}},

		// Destroy: an HA resource needs purge, which destroys it too.
		{name: "destroy an HA VM without purge", tool: "pve_delete_qemu_vm", args: map[string]any{"vmid": 100}, before: lock(map[int]string{100: ""}),
			fail: "unable to remove VM 100 - used in HA resources (vm:100 started) and purge parameter not set"},
		{name: "destroy an HA VM with purge", tool: "pve_delete_qemu_vm", args: map[string]any{"vmid": 100, "purge": true},
			want: []string{"HA resource vm:100 started"}, after: requested("vm:100", "none")},

		// Migration: HA's, after qemu-server's own checks (lock, online).
		{name: "HA migration of a running VM", tool: "pve_migrate_qemu_vm", args: map[string]any{"vmid": 101, "target": "pve2", "online": true, "with_local_disks": true},
			want: []string{"HA-managed (vm:101 started): HA takes the request", `"after":"running on pve2"`}, after: wantGuests},
		{name: "HA migration of a locked VM", tool: "pve_migrate_qemu_vm", args: map[string]any{"vmid": 101, "target": "pve1", "online": true, "with_local_disks": true},
			before: lock(map[int]string{101: "backup"}), fail: "VM is locked (backup)"},
		{name: "HA migration of a locked CT", tool: "pve_migrate_lxc_container", args: map[string]any{"vmid": 201, "target": "pve3"},
			before: lock(map[int]string{101: "", 201: "backup"}),
			want:   []string{"locked (backup): HA leaves it as it is", `"after":"stopped on pve2"`}, after: wantGuests},
	})
}

// TestDryRunBulkHAAndLocks: a bulk action's plan, guest by guest, follows
// the rules of each guest's own call; the real call does the same.
func TestDryRunBulkHAAndLocks(t *testing.T) {
	e := fullEnv(t)
	runPlanCases(t, e, []planCase{
		{name: "shutdown: HA's and a locked VM", tool: "pve_bulk_shutdown_guests", args: map[string]any{"vms": []int{100, 103}},
			before: lock(map[int]string{103: "snapshot"}), fail: "103: locked (snapshot)",
			want:  []string{"100: HA-managed (vm:100 started): HA takes the request: sets the HA state to stopped", `"node":"pve1","now":"running","after":"stopped","ha":"started"`},
			after: wantGuests},
		{name: "start: a locked HA VM and a plain one", tool: "pve_bulk_start_guests", args: map[string]any{"vms": []int{100, 102}},
			before: lock(map[int]string{103: "", 100: "backup"}),
			want:   []string{"100: locked (backup): HA leaves it as it is", `"name":"win-ts","type":"qemu","node":"pve2","now":"stopped","after":"running"}`},
			after:  wantGuests},
		{name: "suspend to disk of an HA VM", tool: "pve_bulk_suspend_guests", args: map[string]any{"vms": []int{101}, "to_disk": true},
			before: lock(map[int]string{100: ""}), fail: "101: Cannot suspend HA managed VM to disk", after: wantGuests},
		{name: "suspend under a backup", tool: "pve_bulk_suspend_guests", args: map[string]any{"vms": []int{103}},
			before: lock(map[int]string{103: "backup"}), want: []string{`"after":"paused"`}, after: wantGuests},
		{name: "start resumes a paused VM", tool: "pve_bulk_start_guests", args: map[string]any{"vms": []int{103}},
			want: []string{"103: paused: it is resumed", `"now":"paused","after":"running"`}, after: wantGuests},
		{name: "hibernate a plain VM", tool: "pve_bulk_suspend_guests", args: map[string]any{"vms": []int{103}, "to_disk": true},
			before: lock(map[int]string{103: ""}), want: []string{"RAM is saved to disk", `"after":"stopped"`}, after: wantGuests},
		{name: "HA migration", tool: "pve_bulk_migrate_guests", args: map[string]any{"vms": []int{101}, "target": "pve2", "online": true, "with_local_disks": true},
			want:  []string{"101: HA-managed (vm:101 started): HA takes the request: the HA manager migrates it to pve2", `"after":"running on pve2"`},
			after: wantGuests},
	})
}
