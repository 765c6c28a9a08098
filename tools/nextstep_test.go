package tools

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pve-mcp/pve-mcp/pve/pvesim"
)

// Each mapped Proxmox failure, as Proxmox words it, gets its next step.
func TestNextStepHints(t *testing.T) {
	cases := []struct{ hint, msg, want string }{
		{"lock held", "Proxmox POST /nodes/pve1/qemu/100/status/start failed: 500 VM is locked (backup)", "locked by a 'backup' operation"},
		{"lock held", "Proxmox DELETE /nodes/pve1/lxc/200 failed: 500 CT 200 is locked (snapshot)", "pve_list_tasks {vmid, source: \"active\"}"},
		{"config lock timeout", "500 can't lock file '/var/lock/qemu-server/lock-100.conf' - got timeout", "holds this guest's config lock"},
		{"HA error state", "500 service 'vm:100' in error state, must be disabled and fixed first", "set its state to disabled with pve_update_ha_resource"},
		{"HA-managed guest", "500 unable to remove VM 100 - used in HA resources and purge parameter not set.", "pve_delete_ha_resource"},
		{"quorum lost", "500 cluster not ready - no quorum?", "lost quorum"},
		{"storage full", "500 error writing 'vm-100-disk-1': No space left on device", "the storage is full"},
		{"storage full", "500 lvcreate 'pve/vm-100-disk-1' error:   Volume group \"pve\" has insufficient free space (10 extents): 2560 required.", "pve_get_storage_status"},
		{"guest agent not running", "500 QEMU guest agent is not running", "pve_ping_qemu_agent"},
		{"no guest agent configured", "500 No QEMU guest agent configured", "set agent=1 with pve_update_qemu_config"},
		{"no such snapshot", "500 snapshot 'nope' does not exist", "no snapshot 'nope': list them with pve_list_qemu_snapshots"},
		{"guest not running", "500 VM 100 not running", "pve_start_qemu_vm"},
		{"guest not running", "500 CT 203 not running", "pve_start_lxc_container"},
		{"guest already running", "500 VM 100 already running", "nothing to do"},
		{"template", "500 you can't start a vm if it's a template", "pve_clone_qemu_vm"},
		{"vmid taken", "500 unable to create VM 100 - VM 100 already exists on node 'pve1'", "pve_get_next_vmid"},
		{"no such storage", "500 storage 'nope' does not exist", "no storage 'nope': pve_list_storage"},
		{"wrong content type", "500 storage 'local' does not support content-type 'images'", "does not hold images"},
		{"storage not on node", "500 storage 'nfs' is not available on node 'pve3'", "pve_list_node_storage {node}"},
		{"config changed", "500 VM config checksum missmatch (file change by other user?)", "read it again"},
		{"permission", "Proxmox POST /nodes/pve1/qemu/100/status/start failed: 403 Permission check failed (/vms/100, VM.PowerMgmt)", "lacks VM.PowerMgmt on /vms/100"},
		{"protection", "500 can't remove VM 100 - protection mode enabled", "protection false"},
		{"guest running", "500 VM 100 is running - destroy failed", "pve_shutdown_qemu_vm with wait"},
		{"guest running", "500 unable to destroy CT 200 - container is running", "pve_shutdown_lxc_container with wait"},
		{"paused", "500 VM is paused - cannot shutdown", "pve_resume_qemu_vm"},
		{"not on this node", "500 Configuration file 'nodes/pve2/qemu-server/100.conf' does not exist", "guest 100 has no config of this type on node pve2"},
		{"node unreachable", "Proxmox GET /nodes/pve3/tasks failed: 595 Connection refused", "pve_list_nodes"},
		{"node unreachable", "500 target node 'pve3' is not online", "pve_get_cluster_status"},
		{"local disks", "500 Can't clone to other node if VM uses local storage", "pve_move_qemu_disk"},
		{"no free vmid", "500 unable to get any free VMID in range [100, 200]", "vmid range is exhausted"},
		{"unknown task", "500 no such task", "pve_list_tasks {node}"},
	}
	covered := map[string]bool{}
	for _, c := range cases {
		got := nextStep(c.msg)
		if !strings.Contains(got, c.want) {
			t.Errorf("%s: nextStep(%q) = %q, want it to contain %q", c.hint, c.msg, got, c.want)
		}
		for _, h := range failureHints {
			if h.re.MatchString(c.msg) {
				if h.name != c.hint {
					t.Errorf("%q matched hint %q first, want %q", c.msg, h.name, c.hint)
				}
				break
			}
		}
		covered[c.hint] = true
	}
	if len(failureHints) < 15 {
		t.Errorf("%d failures mapped, want at least 15", len(failureHints))
	}
	for _, h := range failureHints {
		if !covered[h.name] {
			t.Errorf("hint %q has no test case", h.name)
		}
	}
	if got := nextStep("500 something nobody has seen"); got != "" {
		t.Errorf("unknown failure got a step: %q", got)
	}
}

// Every tool a next step names exists.
func TestNextStepToolsExist(t *testing.T) {
	known := map[string]bool{}
	for _, tool := range All() {
		known[tool.Name] = true
	}
	name := regexp.MustCompile(`pve_[a-z_{}]+`)
	for _, h := range failureHints {
		for _, n := range name.FindAllString(h.next, -1) {
			for _, kind := range [][2]string{{"qemu_vm", "qemu"}, {"lxc_container", "lxc"}} {
				expanded := strings.NewReplacer("{guest}", kind[0], "{kind}", kind[1]).Replace(n)
				if !known[expanded] {
					t.Errorf("hint %q names %s, which is no tool", h.name, expanded)
				}
			}
		}
	}
}

// A failure reaching the agent carries its next step.
func TestErrorsSayWhatToDo(t *testing.T) {
	e := fullEnv(t)
	e.wantFail("pve_rollback_qemu_snapshot", map[string]any{"vmid": 100, "snapname": "nope", "wait": 5},
		"Next step: there is no snapshot 'nope': list them with pve_list_qemu_snapshots")
	e.wantFail("pve_start_qemu_vm", map[string]any{"vmid": 9000}, "Next step: this guest is a template")
	e.wantFail("pve_ping_qemu_agent", map[string]any{"vmid": 102}, "Next step: guest 102 is not running")
}

// A container's vmid given to a VM tool (and a VM's to a container tool)
// says what the guest is and which tool fits, with or without node.
func TestWrongGuestKind(t *testing.T) {
	e := fullEnv(t)
	e.wantFail("pve_start_qemu_vm", map[string]any{"vmid": 203},
		"vmid 203 is a container (on node pve1), not a VM: use the container tools (pve_*_lxc_*); pve_start_lxc_container makes this call for a container")
	e.wantFail("pve_get_qemu_status", map[string]any{"vmid": 200, "node": "pve1"}, "pve_get_lxc_status makes this call for a container")
	e.wantFail("pve_shutdown_lxc_container", map[string]any{"vmid": 101}, "vmid 101 is a VM (on node pve1), not a container: use the VM tools (pve_*_qemu_*); pve_shutdown_qemu_vm")
	// No counterpart: the kind is still named.
	e.wantFail("pve_ping_qemu_agent", map[string]any{"vmid": 200}, "vmid 200 is a container (on node pve1), not a VM: use the container tools (pve_*_lxc_*)")
	// A guest of the right kind on another node keeps Proxmox's answer and its step.
	e.wantFail("pve_get_qemu_status", map[string]any{"vmid": 102, "node": "pve1"}, "Next step: guest 102 has no config of this type on node pve1")
}

// pve_list_tasks across nodes applies start and limit to the merged list,
// not per node.
func TestListTasksPagesMergedList(t *testing.T) {
	e := fullEnv(t)
	var all, one, page []map[string]any
	e.okJSON("pve_list_tasks", nil, &all)
	if len(all) < 4 {
		t.Fatalf("want several tasks across nodes, got %d", len(all))
	}
	e.okJSON("pve_list_tasks", map[string]any{"limit": 1}, &one)
	if len(one) != 1 || one[0]["upid"] != all[0]["upid"] {
		t.Errorf("limit 1 gave %d tasks, want the newest: %v", len(one), one)
	}
	e.okJSON("pve_list_tasks", map[string]any{"start": 1, "limit": 2}, &page)
	if len(page) != 2 || page[0]["upid"] != all[1]["upid"] || page[1]["upid"] != all[2]["upid"] {
		t.Errorf("start 1 limit 2 gave %v, want tasks 2 and 3 of %v", page, all)
	}
	for _, r := range e.sim.Requests() {
		if r.Path == "/nodes/pve1/tasks" && r.Params.Get("limit") == "3" && r.Params.Has("start") {
			t.Errorf("start sent per node: %v", r.Params)
		}
	}
}

// A start with wait answers the guest's state next to the task's.
func TestWaitShowsGuestStatus(t *testing.T) {
	t.Parallel() // waits on simulated tasks; shares nothing
	e := newTestEnvWith(t, Selection{Tier: Full}, pvesim.Options{TaskDuration: 300 * time.Millisecond})
	var res TaskResult
	e.okJSON("pve_start_qemu_vm", map[string]any{"vmid": 102, "wait": 10}, &res)
	if res.Status != "stopped" || !res.OK || res.GuestStatus != "running" {
		t.Errorf("start with wait: %+v, want task stopped, ok, guest running", res)
	}
	e.okJSON("pve_suspend_qemu_vm", map[string]any{"vmid": 102, "wait": 10}, &res)
	if res.GuestStatus != "paused" {
		t.Errorf("suspend with wait: guest_status %q, want paused", res.GuestStatus)
	}
	e.okJSON("pve_shutdown_lxc_container", map[string]any{"vmid": 200, "wait": 10}, &res)
	if res.GuestStatus != "stopped" {
		t.Errorf("shutdown with wait: guest_status %q, want stopped", res.GuestStatus)
	}
	// Tasks that are not power actions carry no guest state.
	res = TaskResult{}
	e.okJSON("pve_create_qemu_snapshot", map[string]any{"vmid": 100, "snapname": "s1", "wait": 10}, &res)
	if res.GuestStatus != "" {
		t.Errorf("snapshot with wait: guest_status %q, want none", res.GuestStatus)
	}
}

// pve_wait_task on a task that ended long ago reports how long it ran, not
// how long ago it started.
func TestWaitTaskEndedUsesEndTime(t *testing.T) {
	e := fullEnv(t)
	var tasks []struct {
		UPID      string `json:"upid"`
		StartTime int64  `json:"starttime"`
		EndTime   int64  `json:"endtime"`
	}
	e.okJSON("pve_list_tasks", map[string]any{"node": "pve1", "typefilter": "vzdump"}, &tasks)
	if len(tasks) == 0 || tasks[0].EndTime == 0 {
		t.Fatalf("no ended vzdump task: %v", tasks)
	}
	var res TaskResult
	e.okJSON("pve_wait_task", map[string]any{"upid": tasks[0].UPID}, &res)
	if want := float64(tasks[0].EndTime - tasks[0].StartTime); res.Seconds != want || res.Status != "stopped" {
		t.Errorf("wait on an ended task: %+v, want seconds %v", res, want)
	}
}

// pve_get_next_vmid answers a number, though Proxmox sends a string.
func TestNextVMIDIsANumber(t *testing.T) {
	e := fullEnv(t)
	for _, args := range []map[string]any{nil, {"vmid": 4242}} {
		txt := e.ok("pve_get_next_vmid", args)
		var v any
		if err := json.Unmarshal([]byte(txt), &v); err != nil {
			t.Fatalf("%v: %v in %s", args, err, txt)
		}
		if _, ok := v.(float64); !ok {
			t.Errorf("%v: answered %s (%T), want a number", args, txt, v)
		}
	}
}

// The server's instructions teach wait and pve_wait_task.
func TestInstructionsMentionWait(t *testing.T) {
	e := fullEnv(t)
	got := e.session.InitializeResult().Instructions
	for _, want := range []string{"wait", "pve_wait_task"} {
		if !strings.Contains(got, want) {
			t.Errorf("instructions %q do not mention %s", got, want)
		}
	}
}
