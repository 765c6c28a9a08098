package pvesim

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

// newTaskSim is newClSim with tasks that run until the test ends them
// (finish), so what a guest shows while one runs can be read.
func newTaskSim(t *testing.T) *clSim {
	t.Helper()
	return newClSimTasks(t, time.Hour)
}

// finish ends a running task now, as its timer would.
func (c *clSim) finish(upid string) {
	c.t.Helper()
	c.sim.mu.Lock()
	defer c.sim.mu.Unlock()
	tk := c.sim.tasks[upid]
	if tk == nil || !tk.Running {
		c.t.Fatalf("task %s is not running", upid)
	}
	tk.timer.Stop()
	c.sim.finishTask(tk)
}

// unmanageHA removes the seeded HA resources, so power actions act on
// their guests themselves instead of asking the CRM (see TestHAPowerRequests).
func (c *clSim) unmanageHA() {
	c.t.Helper()
	for _, sid := range []string{"vm:100", "vm:101", "vm:104", "ct:201"} {
		c.ok("DELETE", "/cluster/ha/resources/"+sid, nil, nil)
	}
}

// running reports whether a task still runs (its first step passed).
func (c *clSim) running(upid string) bool {
	c.t.Helper()
	tk, ok := c.sim.TaskByUPID(upid)
	if !ok {
		c.t.Fatalf("no task %s", upid)
	}
	return tk.Running
}

// locks reads the lock a guest shows in its three views: status/current,
// config and /cluster/resources.
func (c *clSim) locks(base string, vmid int) (status, config, resource string) {
	c.t.Helper()
	var st, cfg struct {
		Lock string `json:"lock"`
	}
	c.ok("GET", base+"/status/current", nil, &st)
	c.ok("GET", base+"/config", nil, &cfg)
	var res []struct {
		VMID int    `json:"vmid"`
		Lock string `json:"lock"`
	}
	c.ok("GET", "/cluster/resources", url.Values{"type": {"vm"}}, &res)
	for _, r := range res {
		if r.VMID == vmid {
			resource = r.Lock
		}
	}
	return st.Lock, cfg.Lock, resource
}

// A task that holds a guest lock shows it in every view while it runs,
// refuses a config change with Proxmox's message, makes a power action's
// task fail at once, and leaves no lock behind when it ends.
func TestGuestLockHeldWhileTaskRuns(t *testing.T) {
	for _, tc := range []struct {
		name, base   string
		vmid         int
		method, path string
		params       url.Values
		lock, power  string // the lock shown; a power action that meets it
		after        string // the guest's path when the task has ended, if it moved
		afterLock    string
	}{
		{name: "VM snapshot", base: "/nodes/pve1/qemu/100", vmid: 100, method: "POST", path: "/snapshot",
			params: url.Values{"snapname": {"s1"}}, lock: "snapshot", power: "stop"},
		{name: "VM rollback", base: "/nodes/pve1/qemu/101", vmid: 101, method: "POST", path: "/snapshot/pre-upgrade/rollback",
			lock: "rollback", power: "start"},
		{name: "VM snapshot delete", base: "/nodes/pve1/qemu/101", vmid: 101, method: "DELETE", path: "/snapshot/pre-upgrade",
			lock: "snapshot-delete", power: "stop"},
		{name: "VM backup", base: "/nodes/pve1/qemu/100", vmid: 100, method: "POST", path: "/nodes/pve1/vzdump",
			params: url.Values{"vmid": {"100"}, "storage": {"nfs-backup"}}, lock: "backup", power: "shutdown"},
		{name: "VM hibernation", base: "/nodes/pve2/qemu/103", vmid: 103, method: "POST", path: "/status/suspend",
			params: url.Values{"todisk": {"1"}}, lock: "suspending", power: "reset", afterLock: "suspended"},
		{name: "VM migration", base: "/nodes/pve2/qemu/102", vmid: 102, method: "POST", path: "/migrate",
			params: url.Values{"target": {"pve1"}}, lock: "migrate", power: "start", after: "/nodes/pve1/qemu/102"},
		{name: "VM clone source", base: "/nodes/pve2/qemu/102", vmid: 102, method: "POST", path: "/clone",
			params: url.Values{"newid": {"150"}}, lock: "clone", power: "start"},
		{name: "CT snapshot", base: "/nodes/pve1/lxc/200", vmid: 200, method: "POST", path: "/snapshot",
			params: url.Values{"snapname": {"s1"}}, lock: "snapshot", power: "reboot"},
		{name: "CT backup", base: "/nodes/pve1/lxc/200", vmid: 200, method: "POST", path: "/nodes/pve1/vzdump",
			params: url.Values{"vmid": {"200"}, "storage": {"nfs-backup"}}, lock: "backup", power: "suspend"},
		{name: "CT clone source", base: "/nodes/pve1/lxc/203", vmid: 203, method: "POST", path: "/clone",
			params: url.Values{"newid": {"250"}}, lock: "disk", power: "start"},
		{name: "CT migration", base: "/nodes/pve1/lxc/203", vmid: 203, method: "POST", path: "/migrate",
			params: url.Values{"target": {"pve2"}}, lock: "migrate", power: "start", after: "/nodes/pve2/lxc/203"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newTaskSim(t)
			c.unmanageHA()
			path := tc.path
			if !strings.HasPrefix(path, "/nodes") {
				path = tc.base + path
			}
			var upid string
			c.ok(tc.method, path, tc.params, &upid)
			if st, cfg, res := c.locks(tc.base, tc.vmid); st != tc.lock || cfg != tc.lock || res != tc.lock {
				t.Fatalf("while it runs: status %q, config %q, resources %q; want %q", st, cfg, res, tc.lock)
			}
			want := map[bool]string{true: "CT", false: "VM"}[strings.Contains(tc.base, "/lxc/")] + " is locked (" + tc.lock + ")"
			c.fails("PUT", tc.base+"/config", url.Values{"description": {"x"}}, 500, want)
			var power string
			c.ok("POST", tc.base+"/status/"+tc.power, nil, &power)
			if exit, _ := c.task(power); exit != want {
				t.Errorf("%s under the lock: task exit %q, want %q", tc.power, exit, want)
			}
			c.finish(upid)
			if exit, log := c.task(upid); exit != "OK" {
				t.Fatalf("the locking task failed: %s %v", exit, log)
			}
			after := tc.base
			if tc.after != "" {
				after = tc.after
			}
			if st, cfg, res := c.locks(after, tc.vmid); st != tc.afterLock || cfg != tc.afterLock || res != tc.afterLock {
				t.Errorf("after the task: status %q, config %q, resources %q; want %q", st, cfg, res, tc.afterLock)
			}
		})
	}
}

// Which power actions a lock stops: a backup leaves suspend and resume be
// (vm_suspend and vm_resume let it), skiplock passes any lock, and the
// others fail in their task's first step, as a refusal a client reads from
// the task and not from the call.
func TestPowerActionsUnderBackupLock(t *testing.T) {
	for _, tc := range []struct {
		base, action string
		params       url.Values
		refused      bool
	}{
		{"/nodes/pve1/qemu/100", "stop", nil, true},
		{"/nodes/pve1/qemu/100", "stop", url.Values{"skiplock": {"1"}}, false},
		{"/nodes/pve1/qemu/100", "shutdown", nil, true},
		{"/nodes/pve1/qemu/100", "reboot", nil, true},
		{"/nodes/pve1/qemu/100", "reset", nil, true},
		{"/nodes/pve1/qemu/100", "suspend", nil, false},
		{"/nodes/pve1/qemu/100", "resume", nil, false},
		{"/nodes/pve1/lxc/200", "stop", nil, true},
		{"/nodes/pve1/lxc/200", "stop", url.Values{"skiplock": {"1"}}, false},
		{"/nodes/pve1/lxc/200", "shutdown", nil, true},
		{"/nodes/pve1/lxc/200", "suspend", nil, true},
	} {
		c := newTaskSim(t)
		c.unmanageHA()
		vmid := tc.base[strings.LastIndex(tc.base, "/")+1:]
		var backup, upid string
		c.ok("POST", "/nodes/pve1/vzdump", url.Values{"vmid": {vmid}, "storage": {"nfs-backup"}}, &backup)
		c.ok("POST", tc.base+"/status/"+tc.action, tc.params, &upid)
		if got := !c.running(upid); got != tc.refused {
			exit, _ := c.task(upid)
			t.Errorf("%s %s %v during a backup: refused %v (%s), want %v", tc.base, tc.action, tc.params, got, exit, tc.refused)
		}
	}
}

// powerStep is a power action and the status the guest shows after it:
// want is status, qmpstatus (- when absent) and lock (- when none); busy
// says whether it uses CPU.
type powerStep struct {
	action string
	params url.Values
	want   string
	busy   bool
}

// A VM paused in RAM and a frozen container still count as running to
// Proxmox: status stays "running"; only a VM's qmpstatus says "paused". A
// hibernated VM is stopped with the "suspended" lock, and resume starts it.
// Each guest's steps run in order on one simulator.
func TestPausedFrozenAndHibernatedStatus(t *testing.T) {
	for _, guest := range []struct {
		base  string
		steps []powerStep
	}{
		{"/nodes/pve1/qemu/100", []powerStep{
			{"suspend", nil, "running paused -", false},
			{"resume", nil, "running running -", true},
		}},
		{"/nodes/pve2/qemu/103", []powerStep{
			{"suspend", url.Values{"todisk": {"1"}}, "stopped stopped suspended", false},
			{"resume", nil, "running running -", true},
		}},
		{"/nodes/pve1/lxc/200", []powerStep{
			{"suspend", nil, "running - -", false},
			{"resume", nil, "running - -", true},
		}},
	} {
		c := newClSim(t)
		for _, st := range guest.steps {
			var upid string
			c.ok("POST", guest.base+"/status/"+st.action, st.params, &upid)
			if exit, log := c.task(upid); exit != "OK" {
				t.Fatalf("%s %s: %s %v", guest.base, st.action, exit, log)
			}
			var got struct {
				Status    string  `json:"status"`
				QMPStatus string  `json:"qmpstatus"`
				Lock      string  `json:"lock"`
				CPU       float64 `json:"cpu"`
			}
			c.ok("GET", guest.base+"/status/current", nil, &got)
			dash := func(v string) string {
				if v == "" {
					return "-"
				}
				return v
			}
			if line := got.Status + " " + dash(got.QMPStatus) + " " + dash(got.Lock); line != st.want || (got.CPU > 0) != st.busy {
				t.Errorf("%s after %s: %q cpu %v, want %q busy %v", guest.base, st.action, line, got.CPU, st.want, st.busy)
			}
		}
	}
}
