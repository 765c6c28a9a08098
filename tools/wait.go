package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/google/jsonschema-go/jsonschema"
	"github.com/pve-mcp/pve-mcp/pve"
)

// MaxWait is the longest a tool waits for a task (seconds). Waits are also
// cut short by the request's own deadline (a Lambda invocation's, say),
// keeping a margin to answer before it.
const MaxWait = 600

// waitProperty is added to the schema of every tool that starts a task.
func waitProperty() *jsonschema.Schema {
	lo, hi := 0.0, float64(MaxWait)
	// No description: the server instructions say what wait does, once
	// for the 60-odd task tools.
	return &jsonschema.Schema{Type: "integer", Minimum: &lo, Maximum: &hi}
}

type waitKey struct{}

// commonArgs are the arguments the framework adds to a tool's own input
// (wait on task tools, verbose on lists), read in one pass so the input
// structs need not each carry them.
type commonArgs struct {
	Wait    int  `json:"wait"`
	Verbose bool `json:"verbose"`
}

func commonArgsOf(raw json.RawMessage) commonArgs {
	var a commonArgs
	if len(raw) > 0 && json.Unmarshal(raw, &a) != nil {
		return commonArgs{}
	}
	return a
}

// waitTime is the wait asked for, at most MaxWait.
func (a commonArgs) waitTime() time.Duration {
	if a.Wait <= 0 {
		return 0
	}
	return time.Duration(min(a.Wait, MaxWait)) * time.Second
}

func withWait(ctx context.Context, d time.Duration) context.Context {
	if d <= 0 {
		return ctx
	}
	return context.WithValue(ctx, waitKey{}, d)
}

func waitOf(ctx context.Context) time.Duration {
	d, _ := ctx.Value(waitKey{}).(time.Duration)
	return d
}

// TaskResult is the outcome of waiting for a task.
type TaskResult struct {
	UPID       string   `json:"upid"`
	Node       string   `json:"node"`
	Type       string   `json:"type"`
	ID         string   `json:"id,omitempty"`
	Status     string   `json:"status"` // running | stopped
	ExitStatus string   `json:"exitstatus,omitempty"`
	OK         bool     `json:"ok"`
	Seconds    float64  `json:"seconds"`       // how long the task ran (so far)
	LogTail    []string `json:"log,omitempty"` // last lines of the log when it failed
	// GuestStatus is the guest's state after a power task ended (running,
	// stopped, paused): status above is the task's, not the guest's.
	GuestStatus string `json:"guest_status,omitempty"`
	// Cluster is set with several clusters.
	Cluster string `json:"cluster,omitempty"`

	// endedBefore: the task had already ended at the first poll, so
	// Seconds (now minus start) is its age, not its duration.
	endedBefore bool
}

var (
	taskStatusCall = Call{Method: "GET", Path: "/nodes/{node}/tasks/{upid}/status"}
	taskLogCall    = Call{Method: "GET", Path: "/nodes/{node}/tasks/{upid}/log"}
)

// WaitTask polls a task until it stops or d passes (or ctx ends, less a
// margin to answer in). Polling backs off from 250 ms to 2 s.
func (env *Env) WaitTask(ctx context.Context, upid UPID, d time.Duration) (TaskResult, error) {
	deadline := time.Now().Add(d)
	if dl, ok := ctx.Deadline(); ok && dl.Add(-2*time.Second).Before(deadline) {
		deadline = dl.Add(-2 * time.Second)
	}
	path, err := pve.BuildPath(taskStatusCall.Path, map[string]string{"node": upid.Node, "upid": upid.Raw})
	if err != nil {
		return TaskResult{}, err
	}
	res := TaskResult{UPID: upid.Raw, Node: upid.Node, Type: upid.Type, ID: upid.ID}
	interval := 250 * time.Millisecond
	prog := progressOf(ctx)
	for polls := 0; ; polls++ {
		var st struct {
			Status     string `json:"status"`
			ExitStatus string `json:"exitstatus"`
			StartTime  int64  `json:"starttime"`
		}
		if err := env.PVE.Get(ctx, path, nil, &st); err != nil {
			return res, err
		}
		res.Status, res.ExitStatus = st.Status, st.ExitStatus
		res.Seconds = float64(time.Now().Unix() - st.StartTime)
		if res.Seconds < 0 {
			res.Seconds = 0
		}
		prog.report(ctx, env, upid)
		if st.Status == "stopped" {
			res.OK = st.ExitStatus == "OK" || st.ExitStatus == ""
			res.endedBefore = polls == 0
			break
		}
		if time.Now().Add(interval).After(deadline) {
			return res, nil
		}
		t := time.NewTimer(interval)
		select {
		case <-ctx.Done():
			t.Stop()
			// The client went away or cancelled: stop waiting, leave the task.
			env.logger().Info("stopped waiting for a task: the request ended; the task goes on", "upid", upid.Raw, "cause", context.Cause(ctx).Error())
			return res, nil
		case <-t.C:
		}
		interval = min(interval*2, 2*time.Second)
	}
	if !res.OK {
		res.LogTail = env.logTail(ctx, upid, 10)
	}
	return res, nil
}

// logTail reads the last n lines of a task log (best effort).
func (env *Env) logTail(ctx context.Context, upid UPID, n int) []string {
	path, err := pve.BuildPath(taskLogCall.Path, map[string]string{"node": upid.Node, "upid": upid.Raw})
	if err != nil {
		return nil
	}
	var lines []struct {
		N int    `json:"n"`
		T string `json:"t"`
	}
	// Proxmox pages logs from the start; ask for a generous page and keep the end.
	if err := env.PVE.Get(ctx, path, pve.Values{"start": {"0"}, "limit": {"5000"}}, &lines); err != nil {
		return nil
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = l.T
	}
	return out
}

// waitOutput renders a waited-for task; a failed task is a tool error.
func (env *Env) waitOutput(res TaskResult) (Output, error) {
	res.Cluster = env.multiCluster()
	out, err := JSON(res)
	if err != nil {
		return Output{}, err
	}
	switch {
	case res.Status != "stopped" && res.Cluster != "":
		out.Note = "Still running after the wait; call pve_wait_task with this upid and cluster " + res.Cluster + " to keep waiting."
	case res.Status != "stopped":
		out.Note = fmt.Sprintf("Still running after the wait; call pve_wait_task with this upid to keep waiting.")
	case !res.OK:
		return out, &TaskFailed{Result: res, Text: string(out.Data)}
	}
	return out, nil
}

// TaskFailed is returned when a waited-for task ended with an error.
type TaskFailed struct {
	Result TaskResult
	Text   string
}

func (e *TaskFailed) Error() string {
	return fmt.Sprintf("task %s on %s failed: %s\n%s", e.Result.Type, e.Result.Node, e.Result.ExitStatus, e.Text)
}

// endedDuration sets the duration of a task that had ended before the wait
// began from its end time, which only the node's task list carries (the
// status answer has none). When the list does not have it the duration
// is 0 rather than the task's age.
func (env *Env) endedDuration(ctx context.Context, upid UPID, res *TaskResult) {
	res.Seconds = 0
	path, err := pve.BuildPath(listTasksCall.Path, map[string]string{"node": upid.Node})
	if err != nil {
		return
	}
	start := strconv.FormatInt(upid.StartTime, 10)
	q := pve.Values{"since": {start}, "until": {start}, "typefilter": {upid.Type}, "limit": {"1000"}}
	if _, err := strconv.Atoi(upid.ID); err == nil && upid.ID != "" {
		q["vmid"] = []string{upid.ID}
	}
	var tasks []struct {
		UPID    string `json:"upid"`
		EndTime int64  `json:"endtime"`
	}
	if env.PVE.Get(ctx, path, q, &tasks) != nil {
		return
	}
	for _, t := range tasks {
		if env.PVE.RestoreUPID(t.UPID) == upid.Raw && t.EndTime >= upid.StartTime {
			res.Seconds = float64(t.EndTime - upid.StartTime)
			return
		}
	}
}
