package tools

import (
	"context"
	"slices"
	"strconv"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/pve-mcp/pve-mcp/pve"
)

// Completions offer the values an argument of a prompt or resource
// template can take: node names, vmids, storage ids, a guest's snapshot
// names. They read the cluster as the caller could with its read tools,
// and only for prompts and templates the server holds.

// maxCompletions is the most values one answer lists (the protocol's cap).
const maxCompletions = 100

// completer returns the completion handler of a server holding sel, or nil
// when it holds no prompt or resource template.
func completer(env *Env, sel toolSet) func(context.Context, *mcp.CompleteRequest) (*mcp.CompleteResult, error) {
	refs := map[string]bool{}
	for _, d := range resourceDefs {
		if sel.any(d.needs...) {
			refs["ref/resource "+d.uri] = true
		}
	}
	for _, r := range runbooks {
		if allIn(sel, r.needs()) {
			refs["ref/prompt "+r.name] = true
		}
	}
	if len(refs) == 0 {
		return nil // nothing to complete: the capability is not advertised
	}
	return func(ctx context.Context, req *mcp.CompleteRequest) (*mcp.CompleteResult, error) {
		p := req.Params
		empty := &mcp.CompleteResult{Completion: mcp.CompletionResultDetails{Values: []string{}}}
		if p.Ref == nil {
			return empty, nil
		}
		key := p.Ref.Type + " " + p.Ref.Name + p.Ref.URI
		if !refs[key] {
			return empty, nil
		}
		var ctxArgs map[string]string
		if p.Context != nil {
			ctxArgs = p.Context.Arguments
		}
		// A completion for a call to another cluster completes from it.
		env, err := env.forRequest(ctx, req.Extra, ctxArgs[clusterArg])
		if err != nil {
			return nil, err
		}
		values, err := env.completeValues(ctx, p.Argument.Name, ctxArgs)
		if err != nil {
			return nil, err
		}
		var out []string
		for _, v := range values {
			if strings.HasPrefix(v, p.Argument.Value) {
				out = append(out, v)
			}
		}
		res := &mcp.CompleteResult{Completion: mcp.CompletionResultDetails{Values: []string{}, Total: len(out)}}
		if len(out) > maxCompletions {
			out, res.Completion.HasMore = out[:maxCompletions], true
		}
		if out != nil {
			res.Completion.Values = out
		}
		return res, nil
	}
}

// completeValues lists every value of an argument, sorted.
func (env *Env) completeValues(ctx context.Context, arg string, args map[string]string) ([]string, error) {
	var out []string
	switch arg {
	case "node", "target":
		nodes, err := env.clusterNodes(ctx)
		if err != nil {
			return nil, err
		}
		for _, n := range nodes {
			out = append(out, n.Node)
		}
	case "vmid":
		gs, err := env.guests(ctx)
		if err != nil {
			return nil, err
		}
		for _, g := range gs {
			out = append(out, strconv.Itoa(g.VMID))
		}
	case "storage":
		var st []struct {
			Storage string `json:"storage"`
		}
		if err := env.PVE.Get(ctx, "/storage", nil, &st); err != nil {
			return nil, err
		}
		for _, s := range st {
			out = append(out, s.Storage)
		}
	case "snapname":
		vmid, err := strconv.Atoi(args["vmid"])
		if err != nil {
			return nil, nil // which guest's snapshots is not known yet
		}
		g, err := env.guestOf(ctx, vmid)
		if err != nil {
			return nil, nil
		}
		path, err := pve.BuildPath("/nodes/{node}/"+g.Type+"/{vmid}/snapshot", map[string]string{"node": g.Node, "vmid": args["vmid"]})
		if err != nil {
			return nil, err
		}
		var snaps []struct {
			Name string `json:"name"`
		}
		if err := env.PVE.Get(ctx, path, nil, &snaps); err != nil {
			return nil, err
		}
		for _, s := range snaps {
			if s.Name != "current" {
				out = append(out, s.Name)
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}
