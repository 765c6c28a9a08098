package tools

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"

	"github.com/pve-mcp/pve-mcp/pve"
)

// Env is what a tool handler needs at call time. One Env serves every
// request; it holds no per-request state.
type Env struct {
	PVE *pve.Client
	Log *slog.Logger
	// MaxResultBytes caps the JSON text of one result (DefaultMaxResultBytes if zero).
	MaxResultBytes int
	// GuestExec gates the guest-agent exec and file-write tools.
	GuestExec GuestExecPolicy
	// Confirm is which tools ask for a yes first, and how (confirm.go).
	Confirm Confirmation
	// Fleet, when set, is every cluster the deployment talks to
	// (clusters.go); PVE is then the default's client, and each call is
	// bound to its own cluster and caller before it runs.
	Fleet *Fleet
	// Reach lists the clusters this server's callers may use (nil: all).
	Reach []string
	// cluster is the cluster a bound Env talks to.
	cluster string
}

var resourcesCall = Call{Method: "GET", Path: "/cluster/resources"}

// logger is env.Log, or a logger to nowhere when none is set (tests).
func (env *Env) logger() *slog.Logger {
	if env.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return env.Log
}

// Call makes one Proxmox call built from an input struct (see Endpoint) and
// returns Proxmox's data, or the task it started.
func (env *Env) Call(ctx context.Context, call Call, in any) (Output, error) {
	placeholders := placeholdersOf([]Call{call})
	path, params, err := pve.Encode(in, placeholders)
	if err != nil {
		return Output{}, err
	}
	if err := env.resolveNode(ctx, placeholders, path); err != nil {
		return Output{}, err
	}
	built, err := pve.BuildPath(call.Path, path)
	if err != nil {
		return Output{}, err
	}
	var raw json.RawMessage
	if err := env.PVE.Do(ctx, call.Method, built, params, &raw); err != nil {
		return Output{}, env.wrongKind(ctx, call, path, err)
	}
	raw = unquirk(call, raw)
	return env.data(ctx, raw, in)
}

// data turns Proxmox's answer into an Output: a UPID becomes a task result,
// anything else is returned as it came.
func (env *Env) data(ctx context.Context, raw json.RawMessage, in any) (Output, error) {
	var s string
	if len(raw) > 0 && raw[0] == '"' && json.Unmarshal(raw, &s) == nil {
		// The client redacted our token id inside the UPID; restore it to follow the task.
		if upid, err := ParseUPID(env.PVE.RestoreUPID(s)); err == nil {
			return env.taskOutput(ctx, upid, in)
		}
	}
	return Output{Data: raw}, nil
}

// resolveNode fills path["node"] from /cluster/resources when the agent gave
// a vmid but no node: one call, and a clear error when the vmid is unknown.
func (env *Env) resolveNode(ctx context.Context, placeholders []string, path map[string]string) error {
	needNode, haveVMID := false, false
	for _, p := range placeholders {
		needNode = needNode || (p == "node" && path["node"] == "")
		haveVMID = haveVMID || (p == "vmid" && path["vmid"] != "")
	}
	if !needNode || !haveVMID {
		return nil
	}
	vmid, err := strconv.Atoi(path["vmid"])
	if err != nil {
		return fmt.Errorf("vmid %q is not a number", path["vmid"])
	}
	node, err := env.NodeOf(ctx, vmid)
	if err != nil {
		return err
	}
	path["node"] = node
	return nil
}

// NodeOf finds the node a guest runs on.
func (env *Env) NodeOf(ctx context.Context, vmid int) (string, error) {
	var res []struct {
		VMID int    `json:"vmid"`
		Node string `json:"node"`
	}
	if err := env.PVE.Get(ctx, "/cluster/resources", pve.Values{"type": {"vm"}}, &res); err != nil {
		return "", fmt.Errorf("looking up the node of guest %d: %w", vmid, err)
	}
	var nodes []string
	for _, r := range res {
		if r.VMID == vmid {
			nodes = append(nodes, r.Node)
		}
	}
	switch len(nodes) {
	case 0:
		where := "the cluster"
		if env.cluster != "" && env.Fleet.Multi() {
			where = "cluster " + env.cluster
		}
		return "", fmt.Errorf("no VM or container with vmid %d in %s (see pve_list_cluster_resources)", vmid, where)
	case 1:
		return nodes[0], nil
	}
	return "", fmt.Errorf("vmid %d is listed on several nodes %v: pass node explicitly", vmid, nodes)
}

// errRedacted makes sure no credential survives in an error shown to an agent.
func (env *Env) errText(err error) string {
	msg := err.Error()
	var ce *pve.ConnError
	multi := env.cluster != "" && env.Fleet.Multi()
	switch {
	case errors.As(err, &ce) && multi:
		msg += " (check the url of cluster " + env.cluster + " in PVE_CLUSTERS, the network path to it and its TLS settings)"
	case errors.As(err, &ce):
		msg += " (check PVE_BASE_URL, the network path to Proxmox and its TLS settings)"
	}
	if multi && (pve.StatusOf(err) != 0 || errors.As(err, &ce)) {
		// What Proxmox (or the way to it) said: which one said it.
		msg = "cluster " + env.cluster + ": " + msg
	}
	if step := nextStep(msg); step != "" {
		msg += "\nNext step: " + step
	}
	return env.PVE.Redactor().String(msg)
}
