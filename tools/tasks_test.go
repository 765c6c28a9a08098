package tools

import (
	"strings"
	"testing"
	"time"

	"github.com/pve-mcp/pve-mcp/pve/pvesim"
)

func TestParseUPID(t *testing.T) {
	u, err := ParseUPID("UPID:pve2:000186A7:004C4BB7:6B066842:qmstart:102:root@pam!mcp:")
	if err != nil {
		t.Fatal(err)
	}
	if u.Node != "pve2" || u.Type != "qmstart" || u.ID != "102" || u.User != "root@pam!mcp" || u.StartTime != 0x6B066842 {
		t.Errorf("parsed %+v", u)
	}
	for _, bad := range []string{"", "UPID:", "UPID::1:2:3:t:i:u:", "upid:pve1:1:2:3:t:i:u:", "UPID:pve1:1:2:zz:t:i:u:"} {
		if _, err := ParseUPID(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

func TestTaskLifecycle(t *testing.T) {
	e := newTestEnvWith(t, Selection{Tier: Full}, pvesim.Options{TaskDuration: time.Hour})
	var task UPID
	e.okJSON("pve_start_qemu_vm", map[string]any{"vmid": 102}, &task)
	if task.Node != "pve2" || task.Type != "qmstart" {
		t.Fatalf("task %+v", task)
	}
	// The UPID shown to the agent names the token id in clear (it is no
	// secret) and works when handed back, node taken from the UPID.
	if !strings.Contains(task.Raw, testTokenID) || strings.Contains(task.Raw, "[REDACTED]") {
		t.Errorf("token id not shown in %s", task.Raw)
	}
	var st map[string]any
	e.okJSON("pve_get_task_status", map[string]any{"upid": task.Raw}, &st)
	if st["status"] != "running" {
		t.Errorf("status %v", st)
	}
	e.lastRequest("GET", "/nodes/pve2/tasks/"+strings.ReplaceAll(strings.ReplaceAll(
		strings.Replace(task.Raw, "[REDACTED]", testTokenID, 1), "!", "%21"), "@", "@")+"/status")

	e.ok("pve_stop_task", map[string]any{"upid": task.Raw})
	e.okJSON("pve_get_task_status", map[string]any{"upid": task.Raw, "node": "pve2"}, &st)
	if st["status"] != "stopped" || st["exitstatus"] != "interrupted by signal" {
		t.Errorf("after stop: %v", st)
	}
	if g, _ := e.sim.Guest(102); g.Status != "stopped" {
		t.Errorf("aborted start must not start the VM, status %s", g.Status)
	}
	var log []struct {
		N int    `json:"n"`
		T string `json:"t"`
	}
	e.okJSON("pve_get_task_log", map[string]any{"upid": task.Raw, "start": 0, "limit": 10}, &log)
	if len(log) == 0 || !strings.Contains(log[len(log)-1].T, "interrupted") {
		t.Errorf("log %v", log)
	}
}

func TestListTasksFilters(t *testing.T) {
	e := fullEnv(t)
	var tasks []map[string]any
	e.okJSON("pve_list_tasks", map[string]any{"node": "pve1", "typefilter": "vzdump", "limit": 5, "vmid": 101}, &tasks)
	if len(tasks) != 1 || tasks[0]["type"] != "vzdump" {
		t.Errorf("tasks %v", tasks)
	}
	r := e.lastRequest("GET", "/nodes/pve1/tasks")
	if r.Params.Get("typefilter") != "vzdump" || r.Params.Get("vmid") != "101" || r.Params.Get("limit") != "5" {
		t.Errorf("params %v", r.Params)
	}
	e.okJSON("pve_list_tasks", map[string]any{"node": "pve2", "errors": true}, &tasks)
	if len(tasks) != 1 || !strings.Contains(tasks[0]["status"].(string), "QEMU exited") {
		t.Errorf("failed tasks %v", tasks)
	}
	e.fails("pve_list_tasks", map[string]any{"node": "pve1", "source": "everything"})
}

func TestTaskToolsRejectBadUPIDs(t *testing.T) {
	e := fullEnv(t)
	for _, upid := range []string{"nope", "UPID:../../access:1:2:3:t:i:u:", "UPID:pve1:0:0:zz:x::u:"} {
		e.sim.ResetRequests()
		e.fails("pve_get_task_status", map[string]any{"upid": upid})
		if n := len(e.sim.Requests()); n != 0 {
			t.Errorf("%q: %d requests reached Proxmox", upid, n)
		}
	}
	msg := e.fails("pve_get_task_status", map[string]any{"upid": "UPID:pve1:00000001:00000002:00000003:qmstart:100:root@pam:"})
	if !strings.Contains(msg, "no such task") {
		t.Errorf("unknown task: %s", msg)
	}
}
