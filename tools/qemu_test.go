package tools

import (
	"strings"
	"testing"
	"time"

	"github.com/pve-mcp/pve-mcp/pve/pvesim"
)

func TestQemuReadTools(t *testing.T) {
	e := fullEnv(t)
	cases := []struct {
		tool   string
		args   map[string]any
		path   string
		params map[string]string
		want   string
	}{
		{"pve_list_qemu_vms", map[string]any{"node": "pve1"}, "/nodes/pve1/qemu", nil, `"name":"db01"`},
		{"pve_get_qemu_status", map[string]any{"node": "pve1", "vmid": 100}, "/nodes/pve1/qemu/100/status/current", nil, `"qmpstatus":"running"`},
		{"pve_get_qemu_config", map[string]any{"vmid": 101}, "/nodes/pve1/qemu/101/config", nil, `"name":"db01"`},
		{"pve_get_qemu_config", map[string]any{"vmid": 101, "snapshot": "pre-upgrade"}, "/nodes/pve1/qemu/101/config", map[string]string{"snapshot": "pre-upgrade"}, `"memory":"8192"`},
		{"pve_get_qemu_rrddata", map[string]any{"vmid": 103, "timeframe": "day", "cf": "MAX"}, "/nodes/pve2/qemu/103/rrddata", map[string]string{"timeframe": "day", "cf": "MAX"}, `"maxcpu":8`},
		{"pve_list_qemu_snapshots", map[string]any{"vmid": 101}, "/nodes/pve1/qemu/101/snapshot", nil, `"name":"pre-upgrade"`},
	}
	for _, c := range cases {
		t.Run(c.tool, func(t *testing.T) {
			txt := e.ok(c.tool, c.args)
			if !strings.Contains(txt, c.want) {
				t.Errorf("result lacks %s: %.300s", c.want, txt)
			}
			r := e.lastRequest("GET", c.path)
			if len(r.Params) != len(c.params) {
				t.Errorf("params %v, want %v", r.Params, c.params)
			}
			for k, v := range c.params {
				if r.Params.Get(k) != v {
					t.Errorf("param %s = %q, want %q", k, r.Params.Get(k), v)
				}
			}
		})
	}
}

func TestGuestNodeResolution(t *testing.T) {
	e := fullEnv(t)
	e.sim.ResetRequests()
	e.ok("pve_get_qemu_status", map[string]any{"vmid": 104})
	reqs := e.sim.Requests()
	if len(reqs) != 2 || reqs[0].Path != "/cluster/resources" || reqs[0].Params.Get("type") != "vm" || reqs[1].Path != "/nodes/pve3/qemu/104/status/current" {
		t.Fatalf("want one resources lookup then the call, got %+v", reqs)
	}
	msg := e.fails("pve_get_qemu_status", map[string]any{"vmid": 777})
	if !strings.Contains(msg, "no VM or container with vmid 777") {
		t.Errorf("unknown vmid: %s", msg)
	}
	// An explicit but wrong node answers as Proxmox does.
	msg = e.fails("pve_get_qemu_status", map[string]any{"vmid": 104, "node": "pve1"})
	if !strings.Contains(msg, "does not exist") {
		t.Errorf("wrong node: %s", msg)
	}
	for _, bad := range []any{99, -1, 1e12, "100"} {
		e.fails("pve_get_qemu_status", map[string]any{"vmid": bad})
	}
}

// TestQemuPowerCycle drives one VM through every power action and checks
// the request Proxmox received and the state it ended in.
func TestQemuPowerCycle(t *testing.T) {
	e := fullEnv(t)
	steps := []struct {
		tool   string
		args   map[string]any
		path   string
		params map[string]string
		status string
		paused bool
	}{
		{"pve_start_qemu_vm", nil, "status/start", nil, "running", false},
		{"pve_suspend_qemu_vm", nil, "status/suspend", nil, "running", true},
		{"pve_resume_qemu_vm", nil, "status/resume", nil, "running", false},
		{"pve_reboot_qemu_vm", map[string]any{"timeout": 0}, "status/reboot", map[string]string{"timeout": "0"}, "running", false},
		{"pve_reset_qemu_vm", nil, "status/reset", nil, "running", false},
		{"pve_shutdown_qemu_vm", map[string]any{"timeout": 30, "forceStop": true}, "status/shutdown", map[string]string{"timeout": "30", "forceStop": "1"}, "stopped", false},
		{"pve_start_qemu_vm", nil, "status/start", nil, "running", false},
		{"pve_stop_qemu_vm", map[string]any{"overrule_shutdown": true}, "status/stop", map[string]string{"overrule-shutdown": "1"}, "stopped", false},
	}
	for _, s := range steps {
		args := map[string]any{"vmid": 102, "node": "pve2"}
		for k, v := range s.args {
			args[k] = v
		}
		txt := e.ok(s.tool, args)
		if !strings.Contains(txt, "UPID:pve2:") {
			t.Fatalf("%s: no task in %s", s.tool, txt)
		}
		r := e.lastRequest("POST", "/nodes/pve2/qemu/102/"+s.path)
		if len(r.Params) != len(s.params) {
			t.Errorf("%s: params %v, want %v", s.tool, r.Params, s.params)
		}
		for k, v := range s.params {
			if r.Params.Get(k) != v {
				t.Errorf("%s: %s=%q, want %q", s.tool, k, r.Params.Get(k), v)
			}
		}
		g, _ := e.sim.Guest(102)
		if g.Status != s.status || g.Paused != s.paused {
			t.Errorf("after %s: status %s paused %v, want %s %v", s.tool, g.Status, g.Paused, s.status, s.paused)
		}
	}
}

func TestQemuPowerFailsAsProxmox(t *testing.T) {
	e := newTestEnvWith(t, Selection{Tier: Full}, pvesim.Options{})
	// Starting a running VM: the task fails, as in Proxmox (103: a start
	// of an HA-managed VM is a hastart request, which succeeds).
	var task UPID
	e.okJSON("pve_start_qemu_vm", map[string]any{"vmid": 103}, &task)
	var st map[string]any
	e.okJSON("pve_get_task_status", map[string]any{"upid": task.Raw}, &st)
	if st["exitstatus"] != "VM 103 already running" {
		t.Errorf("exitstatus %v", st["exitstatus"])
	}
	// Shutting down a stopped VM is refused at once.
	msg := e.fails("pve_shutdown_qemu_vm", map[string]any{"vmid": 102})
	if !strings.Contains(msg, "500 VM 102 not running") {
		t.Errorf("shutdown stopped VM: %s", msg)
	}
	// Templates cannot start.
	msg = e.fails("pve_start_qemu_vm", map[string]any{"vmid": 9000})
	if !strings.Contains(msg, "template") {
		t.Errorf("start template: %s", msg)
	}
}

func TestQemuMigrate(t *testing.T) {
	e := newTestEnvWith(t, Selection{Tier: Full}, pvesim.Options{TaskDuration: 20 * time.Millisecond})
	msg := e.fails("pve_migrate_qemu_vm", map[string]any{"vmid": 100, "target": "pve2"})
	if !strings.Contains(msg, "online") {
		t.Errorf("running VM without online: %s", msg)
	}
	e.ok("pve_migrate_qemu_vm", map[string]any{"vmid": 100, "target": "pve2", "online": true, "with_local_disks": true, "bwlimit": 51200})
	r := e.lastRequest("POST", "/nodes/pve1/qemu/100/migrate")
	want := map[string]string{"target": "pve2", "online": "1", "with-local-disks": "1", "bwlimit": "51200"}
	for k, v := range want {
		if r.Params.Get(k) != v {
			t.Errorf("%s=%q, want %q (all: %v)", k, r.Params.Get(k), v, r.Params)
		}
	}
	deadline := time.Now().Add(2 * time.Second)
	for {
		g, _ := e.sim.Guest(100)
		if g.Node == "pve2" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("VM did not move to pve2")
		}
		time.Sleep(10 * time.Millisecond)
	}
	e.fails("pve_migrate_qemu_vm", map[string]any{"vmid": 100, "target": "pve2", "online": true})
	e.fails("pve_migrate_qemu_vm", map[string]any{"vmid": 100, "target": "nowhere", "online": true})
}
