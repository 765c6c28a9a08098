package tools

import (
	"context"
	"slices"

	"github.com/pve-mcp/pve-mcp/pve"
)

// The planners of the calls on a node itself: aborting a task, starting
// or stopping one of its services.

var (
	stopTaskCall = Call{"DELETE", "/nodes/{node}/tasks/{upid}"}
	servicesCall = Call{"GET", "/nodes/{node}/services"}
)

// stopTaskPlan plans aborting a task: whether it still runs, and what it is.
func stopTaskPlan(ctx context.Context, env *Env, in TaskIn) (*Plan, error) {
	in.UPID = env.PVE.RestoreUPID(in.UPID)
	if err := withTaskNode(&in); err != nil {
		return nil, err
	}
	p := &Plan{}
	var err error
	if p.Request, err = env.requestOf(ctx, stopTaskCall, &in); err != nil {
		return nil, err
	}
	path, err := pve.BuildPath(taskStatusCall.Path, map[string]string{"node": in.Node, "upid": in.UPID})
	if err != nil {
		return nil, err
	}
	var st struct {
		Status     string `json:"status"`
		ExitStatus string `json:"exitstatus"`
		Type       string `json:"type"`
		ID         string `json:"id"`
		User       string `json:"user"`
	}
	if err := env.PVE.Get(ctx, path, nil, &st); err != nil {
		p.fail("reading the task: %v", err)
		return p, nil
	}
	what := st.Type
	if st.ID != "" {
		what += " " + st.ID
	}
	what += " by " + st.User
	if st.Status != "running" {
		p.note("the task (%s) already ended (%s): nothing to abort", what, st.ExitStatus)
		return p, nil
	}
	p.Changes = []Change{{Key: "task " + what, Now: ptr("running"), To: "stopped: interrupted by signal"}}
	p.note("what the task did so far stays as it is: an aborted backup, copy or migration leaves its partial work to clean up")
	return p, nil
}

// serviceImpact says what stopping or restarting a service does beyond
// itself, for the services whose loss is felt cluster-wide.
var serviceImpact = map[string]string{
	"pveproxy":    "the node's API and web UI (this server's calls through that node fail until it runs again)",
	"pvedaemon":   "the node's API workers (calls through that node fail until it runs again)",
	"corosync":    "the node's cluster membership (it loses quorum; with HA resources its watchdog may fence it)",
	"pve-cluster": "the cluster file system /etc/pve on that node (configs cannot be read or changed there)",
	"sshd":        "SSH to the node (and migrations, which use it)",
}

// servicePlan plans a service start, stop, restart or reload.
func servicePlan(ctx context.Context, env *Env, in serviceIn) (*Plan, error) {
	p := &Plan{}
	call := Call{"POST", "/nodes/{node}/services/{service}/" + in.Command}
	var err error
	if p.Request, err = env.requestOf(ctx, call, &in); err != nil {
		return nil, err
	}
	path, err := pve.BuildPath(servicesCall.Path, map[string]string{"node": in.Node})
	if err != nil {
		return nil, err
	}
	var list []struct {
		Service string `json:"service"`
		State   string `json:"state"`
	}
	if err := env.PVE.Get(ctx, path, nil, &list); err != nil {
		p.fail("reading node %s's services: %v", in.Node, err)
		return p, nil
	}
	i := slices.IndexFunc(list, func(s struct {
		Service string `json:"service"`
		State   string `json:"state"`
	}) bool {
		return s.Service == in.Service
	})
	if i < 0 {
		p.fail("node %s has no service %s", in.Node, in.Service)
		return p, nil
	}
	// The states are systemd's: a stopped service is "dead".
	now, after := list[i].State, "running"
	if in.Command == "stop" {
		after = "dead"
	}
	to := after
	if in.Command == "restart" || in.Command == "reload" {
		to = after + " (" + in.Command + "ed)"
	}
	p.Changes = []Change{{Key: in.Service, Now: &now, To: to}}
	if now == after && (in.Command == "start" || in.Command == "stop") {
		p.note("%s is already %s: nothing changes", in.Service, now)
	} else if impact, ok := serviceImpact[in.Service]; ok && in.Command != "start" {
		p.note("%s %s interrupts %s", in.Command, in.Service, impact)
	}
	return p, nil
}
