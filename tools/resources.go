package tools

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/pve-mcp/pve-mcp/pve"
)

// Resources give clients that browse context (rather than call tools) the
// same reads: the cluster's resources, a node's status, a guest's config
// and snapshots, a task's log. Each exists on a server only when the tool
// making the same read is selected for it, so a caller's tier and
// categories bound resources exactly as they bound tools.

// resourceDef is one resource or resource template.
type resourceDef struct {
	uri, name, title, desc string
	template               bool
	// needs: the resource exists when any of these tools is selected.
	needs []string
	read  func(ctx context.Context, env *Env, sel toolSet, args []string) (any, error)
}

// toolSet is the names of the tools a server holds.
type toolSet map[string]bool

func (s toolSet) any(names ...string) bool {
	return slices.ContainsFunc(names, func(n string) bool { return s[n] })
}

var resourceDefs = []resourceDef{
	{uri: "pve://cluster/resources", name: "cluster-resources", title: "Cluster resources",
		desc:  "Every node, guest, storage and pool with status and usage (GET /cluster/resources).",
		needs: []string{"pve_list_cluster_resources"},
		read: func(ctx context.Context, env *Env, _ toolSet, _ []string) (any, error) {
			return env.getRaw(ctx, "/cluster/resources", nil)
		}},
	{uri: "pve://node/{node}/status", name: "node-status", title: "Node status", template: true,
		desc:  "A node's CPU, memory, load, kernel and PVE version (GET /nodes/{node}/status).",
		needs: []string{"pve_get_node_status"},
		read: func(ctx context.Context, env *Env, _ toolSet, a []string) (any, error) {
			p, err := pve.BuildPath("/nodes/{node}/status", map[string]string{"node": a[0]})
			if err != nil {
				return nil, err
			}
			return env.getRaw(ctx, p, nil)
		}},
	{uri: "pve://guest/{vmid}/config", name: "guest-config", title: "Guest config", template: true,
		desc:  "A VM's or container's config, pending changes applied; found by vmid alone.",
		needs: []string{"pve_get_qemu_config", "pve_get_lxc_config"},
		read: func(ctx context.Context, env *Env, sel toolSet, a []string) (any, error) {
			return env.guestRead(ctx, sel, a[0], "config", nil)
		}},
	{uri: "pve://guest/{vmid}/snapshots", name: "guest-snapshots", title: "Guest snapshots", template: true,
		desc:  "A guest's snapshots ('current' is the live state).",
		needs: []string{"pve_list_qemu_snapshots", "pve_list_lxc_snapshots"},
		read: func(ctx context.Context, env *Env, sel toolSet, a []string) (any, error) {
			return env.guestRead(ctx, sel, a[0], "snapshot", nil)
		}},
	{uri: "pve://guest/{vmid}/snapshot/{snapname}/config", name: "snapshot-config", title: "Snapshot config", template: true,
		desc:  "A guest's config as one snapshot saved it.",
		needs: []string{"pve_get_qemu_config", "pve_get_lxc_config"},
		read: func(ctx context.Context, env *Env, sel toolSet, a []string) (any, error) {
			return env.guestRead(ctx, sel, a[0], "config", pve.Values{"snapshot": {a[1]}})
		}},
	// {+upid}: a UPID's colons and @ may come as they are or percent-encoded.
	{uri: "pve://task/{+upid}/log", name: "task-log", title: "Task log", template: true,
		desc:  "A task's log lines (node taken from the UPID).",
		needs: []string{"pve_get_task_log"},
		read: func(ctx context.Context, env *Env, _ toolSet, a []string) (any, error) {
			u, err := ParseUPID(env.PVE.RestoreUPID(a[0]))
			if err != nil {
				return nil, err
			}
			p, err := pve.BuildPath(taskLogCall.Path, map[string]string{"node": u.Node, "upid": u.Raw})
			if err != nil {
				return nil, err
			}
			return env.getRaw(ctx, p, pve.Values{"start": {"0"}, "limit": {"5000"}})
		}},
}

func (env *Env) getRaw(ctx context.Context, path string, q pve.Values) (json.RawMessage, error) {
	var raw json.RawMessage
	err := env.PVE.Get(ctx, path, q, &raw)
	return raw, err
}

// guestRead reads /nodes/{node}/{qemu|lxc}/{vmid}/<what> for a vmid alone,
// if the server holds the tool for that guest's kind.
func (env *Env) guestRead(ctx context.Context, sel toolSet, vmidText, what string, q pve.Values) (any, error) {
	vmid, err := strconv.Atoi(vmidText)
	if err != nil {
		return nil, fmt.Errorf("vmid %q is not a number", vmidText)
	}
	g, err := env.guestOf(ctx, vmid)
	if err != nil {
		return nil, err
	}
	tool := map[string]string{"config": "pve_get_%s_config", "snapshot": "pve_list_%s_snapshots"}[what]
	if !sel[fmt.Sprintf(tool, g.Type)] {
		return nil, fmt.Errorf("guest %d is a %s, and this server has no %s tools", vmid, guestKinds[g.Type].noun, g.Type)
	}
	p, err := pve.BuildPath("/nodes/{node}/"+g.Type+"/{vmid}/"+what, map[string]string{"node": g.Node, "vmid": vmidText})
	if err != nil {
		return nil, err
	}
	return env.getRaw(ctx, p, q)
}

// guestRef is a guest as /cluster/resources names it.
type guestRef struct {
	VMID int    `json:"vmid"`
	Node string `json:"node"`
	Type string `json:"type"`
	Name string `json:"name"`
}

func (env *Env) guests(ctx context.Context) ([]guestRef, error) {
	var res []guestRef
	err := env.PVE.Get(ctx, resourcesCall.Path, pve.Values{"type": {"vm"}}, &res)
	return res, err
}

func (env *Env) guestOf(ctx context.Context, vmid int) (guestRef, error) {
	all, err := env.guests(ctx)
	if err != nil {
		return guestRef{}, err
	}
	for _, g := range all {
		if g.VMID == vmid && guestKinds[g.Type].noun != "" {
			return g, nil
		}
	}
	return guestRef{}, fmt.Errorf("no VM or container with vmid %d in the cluster", vmid)
}

// templateArgs returns the values of a URI's {placeholders} under tmpl, or
// false when the URI does not fit.
func templateArgs(tmpl, uri string) ([]string, bool) {
	ts, us := strings.Split(tmpl, "/"), strings.Split(uri, "/")
	if len(ts) != len(us) {
		return nil, false
	}
	var out []string
	for i, t := range ts {
		if strings.HasPrefix(t, "{") {
			v, err := url.PathUnescape(us[i])
			if err != nil || v == "" {
				return nil, false
			}
			out = append(out, v)
		} else if t != us[i] {
			return nil, false
		}
	}
	return out, true
}

// addResources registers the resources and templates whose tools the
// server holds.
func addResources(s *mcp.Server, env *Env, sel toolSet) {
	multi := env.Fleet.Multi()
	for _, d := range resourceDefs {
		if !sel.any(d.needs...) {
			continue
		}
		handler := func(ctx context.Context, req *mcp.ReadResourceRequest) (*mcp.ReadResourceResult, error) {
			uri := req.Params.URI
			path, cluster, ok := clusterQuery(uri, multi)
			if !ok {
				return nil, mcp.ResourceNotFoundError(uri)
			}
			args, ok := templateArgs(d.uri, path)
			if !ok {
				return nil, mcp.ResourceNotFoundError(uri)
			}
			// The named cluster, else the default one (clusters.go).
			env, err := env.forRequest(ctx, req.Extra, cluster)
			if err != nil {
				return nil, err
			}
			data, err := d.read(ctx, env, sel, args)
			if err != nil {
				if pve.StatusOf(err) == 404 || strings.Contains(err.Error(), "no VM or container") || strings.Contains(err.Error(), "does not exist") {
					return nil, mcp.ResourceNotFoundError(uri)
				}
				return nil, fmt.Errorf("%s", env.errText(err))
			}
			b, err := json.Marshal(data)
			if err != nil {
				return nil, err
			}
			text := env.PVE.Redactor().String(string(b))
			return &mcp.ReadResourceResult{Contents: []*mcp.ResourceContents{{URI: uri, MIMEType: "application/json", Text: text}}}, nil
		}
		if !d.template {
			s.AddResource(&mcp.Resource{URI: d.uri, Name: d.name, Title: d.title, Description: d.desc, MIMEType: "application/json"}, handler)
		}
		switch {
		case multi:
			// With several clusters every resource also takes ?cluster=NAME.
			s.AddResourceTemplate(&mcp.ResourceTemplate{URITemplate: d.uri + "{?cluster}", Name: d.name + "-by-cluster", Title: d.title,
				Description: d.desc + " ?cluster=NAME reads that cluster (default: " + cmp.Or(env.Fleet.Default, "the first") + ").", MIMEType: "application/json"}, handler)
		case d.template:
			s.AddResourceTemplate(&mcp.ResourceTemplate{URITemplate: d.uri, Name: d.name, Title: d.title, Description: d.desc, MIMEType: "application/json"}, handler)
		}
	}
}

// clusterQuery splits a resource URI into its path and the cluster its
// ?cluster= names; any other query, or one without several clusters, does
// not name a resource.
func clusterQuery(uri string, multi bool) (path, cluster string, ok bool) {
	path, query, hasQuery := strings.Cut(uri, "?")
	if !hasQuery {
		return uri, "", true
	}
	q, err := url.ParseQuery(query)
	if err != nil || !multi || len(q) != 1 || len(q[clusterArg]) != 1 {
		return "", "", false
	}
	return path, q.Get(clusterArg), true
}
