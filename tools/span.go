package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/pve-mcp/pve-mcp/pve"
)

var nodesCall = Call{Method: "GET", Path: "/nodes"}

// clusterNode is a node as GET /nodes lists it, reduced to what the
// cross-node tools need.
type clusterNode struct {
	Node   string `json:"node"`
	Status string `json:"status"`
}

// clusterNodes lists the cluster's nodes sorted by name.
func (env *Env) clusterNodes(ctx context.Context) ([]clusterNode, error) {
	var nodes []clusterNode
	if err := env.PVE.Get(ctx, nodesCall.Path, nil, &nodes); err != nil {
		return nil, err
	}
	sort.Slice(nodes, func(i, j int) bool { return nodes[i].Node < nodes[j].Node })
	return nodes, nil
}

// acrossNodes runs one per-node list call on every online node and merges
// the answers. A node Proxmox cannot reach (595/596, or listed offline) is
// skipped and named in the note instead of failing the whole call: one dead
// node must not blind an agent to the rest of the cluster.
func (env *Env) acrossNodes(ctx context.Context, call Call, in any) (Output, error) {
	nodes, err := env.clusterNodes(ctx)
	if err != nil {
		return Output{}, err
	}
	placeholders := placeholdersOf([]Call{call})
	pathVals, params, err := pve.Encode(in, placeholders)
	if err != nil {
		return Output{}, err
	}
	merged := []json.RawMessage{}
	var skipped []string
	for _, n := range nodes {
		if n.Status != "online" {
			skipped = append(skipped, n.Node+" (offline)")
			continue
		}
		pathVals["node"] = n.Node
		path, err := pve.BuildPath(call.Path, pathVals)
		if err != nil {
			return Output{}, err
		}
		var items []map[string]json.RawMessage
		if err := env.PVE.Do(ctx, call.Method, path, params, &items); err != nil {
			if st := pve.StatusOf(err); st == 595 || st == 596 {
				skipped = append(skipped, fmt.Sprintf("%s (%d unreachable)", n.Node, st))
				continue
			}
			return Output{}, err
		}
		nodeJSON, _ := json.Marshal(n.Node)
		for _, it := range items {
			if _, ok := it["node"]; !ok {
				it["node"] = nodeJSON
			}
			b, err := json.Marshal(it)
			if err != nil {
				return Output{}, err
			}
			merged = append(merged, b)
		}
	}
	out, err := JSON(merged)
	if err != nil {
		return Output{}, err
	}
	if len(skipped) > 0 {
		out.Note = "Skipped nodes: " + strings.Join(skipped, ", ") + "; results are from the other nodes only."
	}
	return out, nil
}

// AnyNodeIn names a node, or none for every online node.
type AnyNodeIn struct {
	Node string `json:"node,omitempty" jsonschema:"Node; all online nodes if omitted"`
}

// perNodeList declares a list tool over a per-node endpoint that, without
// node, lists every online node and names the ones it had to skip.
func perNodeList(spec Spec, path string) *Tool {
	call := Call{Method: "GET", Path: path}
	return Custom(spec, []Call{call, nodesCall}, func(ctx context.Context, env *Env, in AnyNodeIn) (Output, error) {
		if in.Node != "" {
			return env.Call(ctx, call, &in)
		}
		return env.acrossNodes(ctx, call, &in)
	})
}
