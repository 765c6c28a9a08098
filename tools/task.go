package tools

import (
	"context"
	"fmt"
	"strconv"
	"strings"
)

// UPID is a parsed Proxmox task id:
// UPID:node:pid:pstart:starttime:type:id:user: (pid, pstart, starttime in hex).
type UPID struct {
	Raw       string `json:"upid"`
	Node      string `json:"node"`
	Type      string `json:"type"`
	ID        string `json:"id,omitempty"`
	User      string `json:"user"`
	StartTime int64  `json:"starttime"`
	// Cluster is set with several clusters: a task is followed there.
	Cluster string `json:"cluster,omitempty"`
}

// ParseUPID parses a UPID, so task tools can take the node from it.
func ParseUPID(s string) (UPID, error) {
	parts := strings.Split(s, ":")
	if len(parts) < 9 || parts[0] != "UPID" || parts[1] == "" {
		return UPID{}, fmt.Errorf("%q is not a Proxmox task id (UPID:node:pid:pstart:starttime:type:id:user:)", s)
	}
	start, err := strconv.ParseInt(parts[4], 16, 64)
	if err != nil {
		return UPID{}, fmt.Errorf("%q is not a Proxmox task id: bad start time", s)
	}
	return UPID{Raw: s, Node: parts[1], Type: parts[5], ID: parts[6], User: strings.Join(parts[7:len(parts)-1], ":"), StartTime: start}, nil
}

// taskOutput is the answer of a tool that started a task: the UPID and how
// to follow it, or, when the agent passed wait, the task's outcome.
func (env *Env) taskOutput(ctx context.Context, upid UPID, in any) (Output, error) {
	if d := waitOf(ctx); d > 0 {
		res, err := env.WaitTask(ctx, upid, d)
		if err != nil {
			return Output{}, fmt.Errorf("task %s started, but following it failed: %w", upid.Raw, err)
		}
		env.guestAfter(ctx, upid, &res)
		return env.waitOutput(res)
	}
	upid.Cluster = env.multiCluster()
	out, err := JSON(upid)
	if err != nil {
		return Output{}, err
	}
	out.Note = "Task started; it runs in the background. Follow it with pve_wait_task or pve_get_task_status."
	if upid.Cluster != "" {
		out.Note = "Task started on cluster " + upid.Cluster + "; it runs in the background. Follow it with pve_wait_task or pve_get_task_status, passing cluster " + upid.Cluster + "."
	}
	return out, nil
}
