package tools

import (
	"context"
	"fmt"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// declarations lists each category's tools; each comes from the file named
// for the category, or for a group of tools beyond the reference server.
var declarations = []struct {
	cat   Category
	tools func() []*Tool
}{
	{Nodes, nodeTools},
	{QEMU, qemuTools},
	{LXC, lxcTools},
	{Storage, storageTools},
	{Cluster, clusterTools},
	{Cluster, findTools},
	{Access, accessTools},
	{Pools, poolTools},
	{Network, networkTools},
	{Firewall, firewallTools},
	{Backup, backupTools},
	{Tasks, taskTools},
	{HA, haTools},
	// Beyond the reference server (issue 6).
	{QEMU, agentTools},
	{QEMU, cloudinitTools},
	{QEMU, diskTools},
	{Storage, templateTools},
	{Firewall, guestFirewallTools},
	{LXC, lxcInterfaceMigrateTools},
	{Cluster, healthTools},
	{Backup, restoreTools},
	{QEMU, pendingTools},
	// Several clusters (issue 15).
	{Cluster, fleetTools},
}

var (
	allOnce  sync.Once
	allTools []*Tool
)

// All returns every declared tool, by category, in declaration order.
func All() []*Tool {
	allOnce.Do(func() {
		seen := map[string]bool{}
		for _, d := range declarations {
			for _, t := range d.tools() {
				if seen[t.Name] {
					panic("tool declared twice: " + t.Name)
				}
				seen[t.Name] = true
				if t.Category == "" {
					t.Category = d.cat
				}
				allTools = append(allTools, t)
			}
		}
	})
	return allTools
}

// In files the tool under category c, for files that declare tools of
// several categories.
func (t *Tool) In(c Category) *Tool {
	t.Category = c
	return t
}

// Selection chooses the tools a server holds.
type Selection struct {
	Tier       Tier
	Categories []Category // empty: all
	Allow      []string   // PVE_TOOL_WHITELIST: if set, only these (still within tier and categories)
	Deny       []string   // PVE_TOOL_BLACKLIST: never these; wins over Allow
	// ManyClusters: the deployment has several clusters, so the tools that
	// exist only then (Spec.ManyClusters) are selected too.
	ManyClusters bool
}

// Select returns the tools of sel. An unknown name in Allow or Deny is an
// error naming it, so a typo cannot silently expose or hide a tool.
func Select(sel Selection) ([]*Tool, error) {
	all := All()
	known := map[string]bool{}
	for _, t := range all {
		known[t.Name] = true
	}
	var unknown []string
	for _, n := range append(slices.Clone(sel.Allow), sel.Deny...) {
		if !known[n] {
			unknown = append(unknown, n)
		}
	}
	if len(unknown) > 0 {
		return nil, fmt.Errorf("unknown tool name(s) in PVE_TOOL_WHITELIST/PVE_TOOL_BLACKLIST: %s", strings.Join(unknown, ", "))
	}
	var out []*Tool
	for _, t := range all {
		switch {
		case t.Tier > sel.Tier:
		case len(sel.Categories) > 0 && !slices.Contains(sel.Categories, t.Category):
		case len(sel.Allow) > 0 && !slices.Contains(sel.Allow, t.Name):
		case slices.Contains(sel.Deny, t.Name):
		case t.ManyClusters && !sel.ManyClusters:
		default:
			out = append(out, t)
		}
	}
	return out, nil
}

// ParseList splits a comma list of tool names.
func ParseList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// Version is reported to clients in serverInfo; set by the linker for releases.
var Version = "0.1.0-dev"

// listTTL is how long a client may reuse a tools/list answer. A caller's
// list changes only when the deployment does, so an hour; "private", since
// another caller (another tier) may get another list.
const listTTL = time.Hour

func cacheLists(_ context.Context, req mcp.Request, c *mcp.Cacheable) {
	if _, ok := req.(*mcp.ListToolsRequest); ok {
		c.TTLMs, c.CacheScope = int(listTTL.Milliseconds()), "private"
	}
}

func instructionsFor(m Mode, env *Env, selected []*Tool) string {
	s := instructions
	if m == ModeCompact {
		s += compactInstructions
	}
	if slices.ContainsFunc(selected, env.needsConfirm) {
		s += confirmInstructions
	}
	if slices.ContainsFunc(selected, (*Tool).DryRun) {
		s += dryRunInstructions
	}
	if env.Fleet.Multi() {
		s += clusterInstructions(env)
	}
	return s
}

// NewServer builds an MCP server listing exactly the given tools (mode all).
func NewServer(env *Env, tools []*Tool) (*mcp.Server, error) {
	return NewServerFor(env, tools, ModeAll)
}

// NewServerFor builds the MCP server of a selection in mode m: in compact
// mode it lists the selected core tools, pve_search_tools and the
// dispatchers, and serves every selected tool through them.
func NewServerFor(env *Env, selected []*Tool, m Mode) (*mcp.Server, error) {
	selected = env.Usable(selected) // clusters.go
	m = m.For(len(selected))
	// Building the server allocates a few MiB of short-lived garbage on a
	// tiny heap; collecting less often until it is built cuts cold start (see
	// bench/), then collection goes back to normal.
	defer debug.SetGCPercent(debug.SetGCPercent(400))
	sel := toolSetOf(selected) // resources, prompts, completions: see capabilities.go
	s := mcp.NewServer(&mcp.Implementation{Name: "pve-mcp", Version: Version}, &mcp.ServerOptions{
		Instructions: instructionsFor(m, env, selected),
		SetCacheable: cacheLists,
		Logger:       env.Log,

		CompletionHandler: completer(env, sel),
	})
	s.AddReceivingMiddleware(callGuards(env)) // tools/recover.go
	for _, t := range Listed(selected, m) {
		// The compact list is paid for in every conversation: it keeps the
		// input schemas an agent needs to call and leaves out the output
		// schemas (a third of its size); results still carry
		// structuredContent, and mode all lists both.
		def, err := t.wireFor(env, m != ModeCompact)
		if err != nil {
			return nil, err
		}
		t.register(s, env, def)
	}
	if m == ModeCompact {
		if err := addCompact(s, env, selected); err != nil {
			return nil, err
		}
	}
	addCapabilities(s, env, sel)
	return s, nil
}

const instructions = "Proxmox VE cluster tools. vmid is a guest's (VM's or container's) ID; guest tools find its node when node is omitted. " +
	"Tools that start a task take wait: seconds (up to 600) to wait for the task to end and return its outcome; without it they return the UPID, which pve_wait_task follows. " +
	"Lists answer their main fields; verbose: true returns every field."

// compactInstructions are added in compact mode, where most tools are
// reached through search and the dispatchers.
const compactInstructions = " Most tools are not listed: find them with pve_search_tools (words, e.g. \"snapshot a VM\"), " +
	"then call one through the dispatcher its result names (pve_read, pve_change or pve_destroy) with {\"tool\": name, \"arguments\": {...}}."
