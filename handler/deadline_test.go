package handler

import (
	"strings"
	"testing"
	"time"
)

// A tool's wait for a task ends before the HTTP request's deadline, with an
// answer (task still running, how to go on) rather than a timeout error.
func TestWaitEndsBeforeRequestDeadline(t *testing.T) {
	e := newSecEnv(t, map[string]string{"MCP_AUTH_TOKENS": "admin:full:" + tokAdmin,
		"MCP_REQUEST_TIMEOUT": "4", "SIM_TASK_DURATION": "1h"})
	start := time.Now()
	res, err := e.call(tokAdmin, "pve_start_qemu_vm", map[string]any{"vmid": 102, "wait": 600})
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d >= 4*time.Second || d < 300*time.Millisecond {
		t.Errorf("answer after %v; want a real wait that ends before the 4 s request deadline", d)
	}
	txt := res.text()
	if res.IsError || !strings.Contains(txt, `"status":"running"`) || !strings.Contains(txt, "pve_wait_task") {
		t.Errorf("want a running task and a hint to keep waiting, got %s", txt)
	}
}
