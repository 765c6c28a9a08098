package tools

import (
	"context"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/pve-mcp/pve-mcp/internal/mcptest"
	"github.com/pve-mcp/pve-mcp/pve"
	"github.com/pve-mcp/pve-mcp/pve/pvesim"
)

// While wait follows a task, a client that sent a progress token gets the
// task's log as it grows, with a progress value that only increases; a
// client without one gets none. Both get the same result.
func TestWaitSendsProgress(t *testing.T) {
	t.Parallel() // waits on simulated tasks; shares nothing
	sim := pvesim.New(pvesim.Options{TokenID: testTokenID, TokenSecret: testTokenSecret, TaskDuration: 600 * time.Millisecond})
	ts := httptest.NewServer(sim)
	t.Cleanup(ts.Close)
	client, err := pve.New(pve.Config{BaseURL: ts.URL, TokenID: testTokenID, TokenSecret: testTokenSecret})
	if err != nil {
		t.Fatal(err)
	}
	for _, mode := range []Mode{ModeAll, ModeCompact} {
		// Confirmation off: the stop below checks progress, not confirmation.
		srv, err := NewServerFor(&Env{PVE: client, Confirm: Confirmation{Policy: ConfirmOff}}, All(), mode)
		if err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		var got []*mcp.ProgressNotificationParams
		cs := mcptest.Connect(t, srv, &mcp.ClientOptions{
			ProgressNotificationHandler: func(_ context.Context, req *mcp.ProgressNotificationClientRequest) {
				mu.Lock()
				got = append(got, req.Params)
				mu.Unlock()
			},
		}, nil)
		args := map[string]any{"vmid": 102, "wait": 10}
		params := &mcp.CallToolParams{Name: "pve_start_qemu_vm", Arguments: args}
		if mode == ModeCompact {
			params = &mcp.CallToolParams{Name: "pve_change", Arguments: map[string]any{"tool": "pve_start_qemu_vm", "arguments": args}}
		}
		params.SetProgressToken("start-102")
		res, err := cs.CallTool(context.Background(), params)
		if err != nil || res.IsError {
			t.Fatalf("%v: start: %v %v", mode, err, res)
		}
		// Notifications are handled apart from the result: give the last
		// one a moment to arrive.
		for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
			mu.Lock()
			done := len(got) > 0 && strings.Contains(got[len(got)-1].Message, "TASK OK")
			mu.Unlock()
			if done {
				break
			}
		}
		mu.Lock()
		if len(got) == 0 {
			t.Errorf("%v: no progress notification while waiting", mode)
		}
		last := -1.0
		var log []string
		for _, p := range got {
			if p.ProgressToken != "start-102" || p.Progress < last {
				t.Errorf("%v: progress %+v after %v", mode, p, last)
			}
			last = p.Progress
			log = append(log, p.Message)
		}
		if !strings.Contains(strings.Join(log, "\n"), "TASK OK") {
			t.Errorf("%v: progress messages do not carry the task log: %q", mode, log)
		}
		mu.Unlock()

		// Without a token, nothing is sent.
		mu.Lock()
		got = nil
		mu.Unlock()
		stop := &mcp.CallToolParams{Name: "pve_stop_qemu_vm", Arguments: map[string]any{"vmid": 102, "wait": 10}}
		if res, err := cs.CallTool(context.Background(), stop); err != nil || res.IsError {
			t.Fatalf("%v: stop: %v %v", mode, err, res)
		}
		time.Sleep(100 * time.Millisecond)
		mu.Lock()
		if len(got) != 0 {
			t.Errorf("%v: %d progress notifications without a progress token", mode, len(got))
		}
		mu.Unlock()
	}
}

// The percentage Proxmox logs (vzdump, clone, move disk) is the progress.
func TestProgressPercent(t *testing.T) {
	for line, want := range map[string]string{
		"INFO:  45% (9.0 GiB of 20.0 GiB) in 12s, read: 750.0 MiB/s": "45",
		"transferred 1.0 GiB of 32.0 GiB (3.12%)":                    "3.12",
		"drive-scsi0: transferred 10.0 GiB of 10.0 GiB (100.00%)":    "100.00",
		"no percentage here": "",
	} {
		m := percent.FindAllStringSubmatch(line, -1)
		got := ""
		if m != nil {
			got = m[len(m)-1][1]
		}
		if got != want {
			t.Errorf("%q: percent %q, want %q", line, got, want)
		}
	}
}
