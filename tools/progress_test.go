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

// The percentage Proxmox logs (vzdump, clone, move disk) is the progress;
// a live migration logs none, so its RAM transferred of the total is.
func TestProgressPercent(t *testing.T) {
	for line, want := range map[string]float64{
		"INFO:  45% (9.0 GiB of 20.0 GiB) in 12s, read: 750.0 MiB/s, write: 700.0 MiB/s": 45,
		"transferred 1.0 GiB of 32.0 GiB (3.12%)":                                        3.12,
		"drive-scsi0: transferred 10.0 GiB of 10.0 GiB (100.00%) in 25s, ready":          100,
		"migration active, transferred 1.0 GiB of 8.0 GiB VM-state, 400.0 MiB/s":         12.5,
		"migration active, transferred 512.0 MiB of 2.0 GiB VM-state, 110.3 MiB/s":       25,
		"migration active, transferred 9.1 GiB of 8.0 GiB VM-state, 400.0 MiB/s":         -1, // dirty RAM re-sent
		"INFO: 120% nonsense": -1,
		"no percentage here":  -1,
	} {
		if got := linePercent(line); got != want {
			t.Errorf("%q: percent %v, want %v", line, got, want)
		}
	}
}

// While wait follows a clone or a live migration, progress notifications
// arrive before the task ends, their percentage rising: the simulated log
// grows as the copy runs, as a real one does.
func TestProgressArrivesWhileTaskRuns(t *testing.T) {
	t.Parallel() // waits on simulated tasks; shares nothing
	for _, tc := range []struct {
		tool string
		args map[string]any
	}{
		{"pve_clone_qemu_vm", map[string]any{"vmid": 102, "newid": 150, "wait": 10}},
		{"pve_migrate_qemu_vm", map[string]any{"vmid": 103, "target": "pve3", "online": true, "with_local_disks": true, "wait": 10}},
	} {
		t.Run(tc.tool, func(t *testing.T) {
			t.Parallel()
			sim := pvesim.New(pvesim.Options{TokenID: testTokenID, TokenSecret: testTokenSecret, TaskDuration: 2 * time.Second}) // the demo's
			ts := httptest.NewServer(sim)
			t.Cleanup(ts.Close)
			client, err := pve.New(pve.Config{BaseURL: ts.URL, TokenID: testTokenID, TokenSecret: testTokenSecret})
			if err != nil {
				t.Fatal(err)
			}
			srv, err := NewServerFor(&Env{PVE: client, Confirm: Confirmation{Policy: ConfirmOff}}, All(), ModeAll)
			if err != nil {
				t.Fatal(err)
			}
			type note struct {
				at time.Time
				p  *mcp.ProgressNotificationParams
			}
			var mu sync.Mutex
			var got []note
			cs := mcptest.Connect(t, srv, &mcp.ClientOptions{
				ProgressNotificationHandler: func(_ context.Context, req *mcp.ProgressNotificationClientRequest) {
					mu.Lock()
					got = append(got, note{time.Now(), req.Params})
					mu.Unlock()
				},
			}, nil)
			params := &mcp.CallToolParams{Name: tc.tool, Arguments: tc.args}
			params.SetProgressToken(tc.tool)
			res, err := cs.CallTool(context.Background(), params)
			if err != nil || res.IsError {
				t.Fatalf("%v %v", err, res)
			}
			upid, _ := res.StructuredContent.(map[string]any)["upid"].(string)
			task, ok := sim.TaskByUPID(upid)
			if !ok || task.Running || task.ExitStatus != "OK" {
				t.Fatalf("task %q: %+v", upid, task)
			}
			mu.Lock()
			defer mu.Unlock()
			var early []float64 // percentages notified before the task ended
			last := -1.0
			for _, n := range got {
				if n.p.Progress < last {
					t.Errorf("progress fell from %v to %v", last, n.p.Progress)
				}
				last = n.p.Progress
				if n.p.Total == 100 && n.at.Before(task.End) {
					early = append(early, n.p.Progress)
				}
			}
			if len(early) < 2 || early[0] >= early[len(early)-1] || early[len(early)-1] >= 100 {
				t.Errorf("percentages notified while the task ran: %v (of %d notifications)", early, len(got))
			}
		})
	}
}
