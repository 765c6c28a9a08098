package tools

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/pve-mcp/pve-mcp/pve/pvesim"
)

func TestWaitForTask(t *testing.T) {
	e := newTestEnvWith(t, Selection{Tier: Full}, pvesim.Options{TaskDuration: 300 * time.Millisecond})
	var res TaskResult
	e.okJSON("pve_start_qemu_vm", map[string]any{"vmid": 102, "wait": 10}, &res)
	if res.Status != "stopped" || !res.OK || res.ExitStatus != "OK" || res.Node != "pve2" {
		t.Fatalf("waited result %+v", res)
	}
	if g, _ := e.sim.Guest(102); g.Status != "running" {
		t.Errorf("VM not running after waited start: %s", g.Status)
	}
	// wait is ours: it must never reach Proxmox.
	if r := e.lastRequest("POST", "/nodes/pve2/qemu/102/status/start"); r.Params.Has("wait") {
		t.Errorf("wait sent to Proxmox: %v", r.Params)
	}
	polls := 0
	for _, r := range e.sim.Requests() {
		if strings.HasSuffix(r.Path, "/status") && strings.Contains(r.Path, "/tasks/") {
			polls++
		}
	}
	if polls < 2 || polls > 6 {
		t.Errorf("%d status polls for a 300 ms task; want a few (backoff, no busy loop)", polls)
	}
}

func TestWaitReportsFailedTask(t *testing.T) {
	e := newTestEnvWith(t, Selection{Tier: Full}, pvesim.Options{TaskDuration: 50 * time.Millisecond})
	msg := e.fails("pve_start_qemu_vm", map[string]any{"vmid": 103, "wait": 5}) // not HA-managed: see TestQemuPowerFailsAsProxmox
	for _, want := range []string{"failed", "VM 103 already running", `"log":[`, "TASK ERROR"} {
		if !strings.Contains(msg, want) {
			t.Errorf("failed-task result lacks %q: %s", want, msg)
		}
	}
}

func TestWaitTimesOut(t *testing.T) {
	e := newTestEnvWith(t, Selection{Tier: Full}, pvesim.Options{TaskDuration: time.Hour})
	start := time.Now()
	var res TaskResult
	txt := e.okJSON("pve_start_qemu_vm", map[string]any{"vmid": 102, "wait": 1}, &res)
	if res.Status != "running" || !strings.Contains(txt, "pve_wait_task") {
		t.Errorf("timed-out wait: %s", txt)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("wait of 1 s took %v", d)
	}
	// pve_wait_task follows the same task, node from the UPID.
	e.okJSON("pve_wait_task", map[string]any{"upid": res.UPID, "timeout": 1}, &res)
	if res.Status != "running" {
		t.Errorf("still running expected: %+v", res)
	}
	e.fails("pve_wait_task", map[string]any{"upid": res.UPID, "timeout": 601})
	e.fails("pve_start_qemu_vm", map[string]any{"vmid": 102, "wait": -1})
}

func TestWaitTaskTool(t *testing.T) {
	e := newTestEnvWith(t, Selection{Tier: ReadOnly}, pvesim.Options{TaskDuration: 100 * time.Millisecond})
	// A read-only server has pve_wait_task but no power tools.
	tools, err := e.session.ListTools(t.Context(), &mcp.ListToolsParams{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tl := range tools.Tools {
		if tl.Name == "pve_start_qemu_vm" {
			t.Fatal("read-only server lists a power tool")
		}
	}
	var hist []map[string]any
	e.okJSON("pve_list_tasks", map[string]any{"node": "pve3", "typefilter": "qmigrate"}, &hist)
	var res TaskResult
	e.okJSON("pve_wait_task", map[string]any{"upid": hist[0]["upid"]}, &res)
	if res.Status != "stopped" || !res.OK {
		t.Errorf("finished task: %+v", res)
	}
	// A task that ended in error is a tool error carrying its log tail.
	e.okJSON("pve_list_tasks", map[string]any{"node": "pve3", "typefilter": "vzdump"}, &hist)
	msg := e.fails("pve_wait_task", map[string]any{"upid": hist[0]["upid"]})
	if !strings.Contains(msg, "job errors") || !strings.Contains(msg, "Backup of VM 202 failed") {
		t.Errorf("failed task: %s", msg)
	}
}

func TestWaitInSchema(t *testing.T) {
	for _, tl := range All() {
		def, err := tl.MCP()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(def.InputSchema)
		has := strings.Contains(string(b), `"wait":`)
		if has != tl.Task {
			t.Errorf("%s: Task=%v but wait in schema=%v", tl.Name, tl.Task, has)
		}
	}
}
