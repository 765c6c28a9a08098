package tools

import (
	"context"
	"encoding/json"
	"sort"
	"time"
)

type listTasksIn struct {
	Node       string `json:"node,omitempty" jsonschema:"Default all online nodes"`
	Start      *int   `json:"start,omitempty" jsonschema:"Offset" min:"0"`
	Limit      *int   `json:"limit,omitempty" jsonschema:"Max tasks (default 50)" min:"0" max:"1000"`
	VMID       int    `json:"vmid,omitempty" jsonschema:"Only this guest" min:"100" max:"999999999"`
	TypeFilter string `json:"typefilter,omitempty" jsonschema:"Only this type, e.g. vzdump"`
	Errors     bool   `json:"errors,omitempty" jsonschema:"Only failed"`
	Source     string `json:"source,omitempty" jsonschema:"Default archive (finished)" enum:"archive|active|all"`
}

// TaskIn names a task by UPID; the node is read from the UPID when omitted.
type TaskIn struct {
	Node string `json:"node,omitempty" jsonschema:"Default: the UPID's"`
	UPID string `json:"upid" jsonschema:"Task UPID" pattern:"^UPID:"`
}

type taskLogIn struct {
	TaskIn
	Start *int `json:"start,omitempty" jsonschema:"First line" min:"0"`
	Limit *int `json:"limit,omitempty" jsonschema:"Max lines (default 50)" min:"0" max:"5000"`
}

// withTaskNode fills the node from the UPID, so an agent never has to guess it.
func withTaskNode(t *TaskIn) error {
	if t.Node != "" {
		return nil
	}
	u, err := ParseUPID(t.UPID)
	if err != nil {
		return err
	}
	t.Node = u.Node
	return nil
}

// taskEndpoint declares a task tool whose node defaults to the UPID's.
func taskEndpoint[In any](spec Spec, method, path string, task func(*In) *TaskIn) *Tool {
	call := Call{Method: method, Path: path}
	return Custom(spec, []Call{call}, func(ctx context.Context, env *Env, in In) (Output, error) {
		t := task(&in)
		t.UPID = env.PVE.RestoreUPID(t.UPID)
		if err := withTaskNode(t); err != nil {
			return Output{}, err
		}
		return env.Call(ctx, call, &in)
	})
}

func self(t *TaskIn) *TaskIn       { return t }
func logTask(t *taskLogIn) *TaskIn { return &t.TaskIn }

type waitTaskIn struct {
	TaskIn
	Timeout int `json:"timeout,omitempty" jsonschema:"Seconds (default 60)" min:"1" max:"600" pve:"-"`
}

var listTasksCall = Call{Method: "GET", Path: "/nodes/{node}/tasks"}

// pageTasks orders merged task lists newest first, as Proxmox orders one
// node's, and keeps limit tasks from start.
func pageTasks(out Output, start, limit int) (Output, error) {
	var items []map[string]any
	if err := json.Unmarshal(out.Data, &items); err != nil {
		return out, err
	}
	sort.SliceStable(items, func(i, j int) bool {
		a, _ := items[i]["starttime"].(float64)
		b, _ := items[j]["starttime"].(float64)
		return a > b
	})
	items = items[min(start, len(items)):]
	items = items[:min(limit, len(items))]
	data, err := json.Marshal(items)
	out.Data = data
	return out, err
}

// taskFields leave out pid and pstart, which the UPID already carries.
var taskFields = []string{"upid", "node", "type", "id", "user", "status", "starttime", "endtime"}

func taskTools() []*Tool {
	return []*Tool{
		Custom(Spec{Name: "pve_wait_task", Title: "Wait for task", Tier: ReadOnly, Kind: Read,
			Desc: "Wait for a task to end: status, exitstatus, duration and, on failure, the log tail."},
			[]Call{taskStatusCall, taskLogCall, listTasksCall},
			func(ctx context.Context, env *Env, in waitTaskIn) (Output, error) {
				in.UPID = env.PVE.RestoreUPID(in.UPID)
				if err := withTaskNode(&in.TaskIn); err != nil {
					return Output{}, err
				}
				u, err := ParseUPID(in.UPID)
				if err != nil {
					return Output{}, err
				}
				u.Node = in.Node
				d := time.Duration(in.Timeout) * time.Second
				if d <= 0 {
					d = 60 * time.Second
				}
				res, err := env.WaitTask(ctx, u, d)
				if err != nil {
					return Output{}, err
				}
				if res.endedBefore {
					env.endedDuration(ctx, u, &res)
				}
				return env.waitOutput(res)
			}),
		Custom(Spec{Name: "pve_list_tasks", Title: "List tasks", Keywords: []string{"recent", "history", "failed"}, Tier: ReadOnly, Kind: Read, Fields: taskFields,
			Desc: "List tasks newest first: type, guest, user, start/end, status."},
			[]Call{listTasksCall, nodesCall}, func(ctx context.Context, env *Env, in listTasksIn) (Output, error) {
				if in.Node != "" {
					return env.Call(ctx, listTasksCall, &in)
				}
				// Each node pages its own list: ask every node for the
				// first start+limit tasks, then page the merged list.
				start, limit := 0, 50
				if in.Start != nil {
					start = *in.Start
				}
				if in.Limit != nil {
					limit = *in.Limit
				}
				perNode := start + limit
				in.Start, in.Limit = nil, &perNode
				out, err := env.acrossNodes(ctx, listTasksCall, &in)
				if err != nil {
					return out, err
				}
				return pageTasks(out, start, limit)
			}),
		taskEndpoint(Spec{Name: "pve_get_task_status", Title: "Task status", Tier: ReadOnly, Kind: Read,
			Desc: "A task's status: running or stopped, and exitstatus (OK or the error)."}, "GET", "/nodes/{node}/tasks/{upid}/status", self),
		taskEndpoint(Spec{Name: "pve_get_task_log", Title: "Task log", Tier: ReadOnly, Kind: Read,
			Desc: "A task's log as lines {n,t}; page with start/limit."}, "GET", "/nodes/{node}/tasks/{upid}/log", logTask),
		planned(taskEndpoint(Spec{Name: "pve_stop_task", Title: "Abort task", Tier: ReadExecute, Kind: Destroy,
			Desc: "Abort a running task."}, stopTaskCall.Method, stopTaskCall.Path, self), []Call{taskStatusCall}, stopTaskPlan),
	}
}
