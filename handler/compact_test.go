package handler

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/google/jsonschema-go/jsonschema"
	"github.com/pve-mcp/pve-mcp/tools"
)

// compactEnv is the fixture in compact mode, with every kind of caller.
func compactEnv(t *testing.T, extra map[string]string) *secEnv {
	t.Helper()
	env := map[string]string{"MCP_AUTH_TOKENS": allTokens, "PVE_TOOL_MODE": "compact", "SIM_NOW": "2026-06-01T12:00:00Z"}
	for k, v := range extra {
		env[k] = v
	}
	return newSecEnv(t, env)
}

// viaDispatcher is the tools/call params that run tool through its dispatcher.
func viaDispatcher(tool *tools.Tool, args map[string]any) map[string]any {
	d := map[tools.Class]string{tools.ClassRead: "pve_read", tools.ClassChange: "pve_change", tools.ClassDestroy: "pve_destroy"}[tool.Class()]
	return map[string]any{"name": d, "arguments": map[string]any{"tool": tool.Name, "arguments": args}}
}

// Every tool, called through its dispatcher in compact mode, answers exactly
// what the same call answers directly in mode all: the same bytes, errors,
// notes and structuredContent included. Two simulated clusters with a pinned
// clock get the same calls in the same order, so they stay alike.
func TestDispatchMatchesDirectCall(t *testing.T) {
	exec := map[string]string{"PVE_GUEST_EXEC": "allow", "PVE_GUEST_EXEC_ALLOW": ".*"}
	compact := compactEnv(t, exec)
	direct := newSecEnv(t, map[string]string{"MCP_AUTH_TOKENS": allTokens, "PVE_TOOL_MODE": "all", "SIM_NOW": "2026-06-01T12:00:00Z",
		"PVE_GUEST_EXEC": "allow", "PVE_GUEST_EXEC_ALLOW": ".*"})
	succeeded := 0
	// Reads first and destroys last, so the guests the calls name still
	// exist for most of them.
	order := oneClusterTools(t)
	slices.SortStableFunc(order, func(a, b *tools.Tool) int { return int(a.Class()) - int(b.Class()) })
	for _, tl := range order {
		def, err := tl.MCP()
		if err != nil {
			t.Fatal(err)
		}
		args := minimalArgs(def.InputSchema.(*jsonschema.Schema))
		if _, ok := args["vmid"]; ok && strings.Contains(tl.Name, "lxc") {
			args["vmid"] = 201 // a running container of the demo
		}
		for k, v := range sampleOverrides[tl.Name] {
			args[k] = v
		}
		// jsonschema-go reports one of several invalid properties, picked
		// in map order; give this tool arguments with at most one.
		if tl.Name == "pve_create_ha_rule" {
			args["rule"], args["resources"] = "keep-apart", []any{"vm:100", "vm:101"}
		}
		want := direct.rpc(tokAdmin, "tools/call", map[string]any{"name": tl.Name, "arguments": args})
		got := compact.rpc(tokAdmin, "tools/call", viaDispatcher(tl, args))
		if want.Error != nil || got.Error != nil {
			t.Errorf("%s: JSON-RPC errors: direct %v, dispatched %v", tl.Name, want.Error, got.Error)
			continue
		}
		if string(got.Result) != string(want.Result) {
			t.Errorf("%s: dispatched result differs\n direct:     %.400s\n dispatched: %.400s", tl.Name, want.Result, got.Result)
		}
		var r toolResult
		if json.Unmarshal(want.Result, &r) == nil && !r.IsError {
			succeeded++
		} else {
			t.Logf("%s failed both ways: %.200s", tl.Name, r.text())
		}
	}
	t.Logf("%d tools compared, %d of them succeeded", len(oneClusterTools(t)), succeeded)
	// Most calls must do real work, or equal answers would prove little.
	if succeeded < len(oneClusterTools(t))*3/5 {
		t.Fatalf("only %d of %d calls succeeded: the sample arguments are too weak", succeeded, len(oneClusterTools(t)))
	}
}

// What each caller sees in compact mode: its core tools, the search and the
// dispatchers of the classes it has; a small selection is listed in full.
func TestCompactSurfacePerCaller(t *testing.T) {
	e := newSecEnv(t, map[string]string{"MCP_AUTH_TOKENS": allTokens, "PVE_TOOL_MODE": "auto"})
	for _, c := range []struct {
		token      string
		want, not  []string
		minN, maxN int
	}{
		{tokAdmin, []string{"pve_search_tools", "pve_read", "pve_change", "pve_destroy", "pve_find_guests", "pve_stop_qemu_vm", "pve_wait_task"}, []string{"pve_delete_qemu_vm"}, 12, 16},
		{tokOperator, []string{"pve_search_tools", "pve_read", "pve_change", "pve_destroy", "pve_start_lxc_container"}, []string{"pve_update_qemu_config"}, 12, 16},
		{tokReader, []string{"pve_search_tools", "pve_read", "pve_get_qemu_status"}, []string{"pve_change", "pve_destroy", "pve_start_qemu_vm"}, 5, 8},
		// Read-only and qemu only: few enough to list them all (auto).
		{tokQemuOnly, []string{"pve_get_qemu_config", "pve_list_qemu_snapshots"}, []string{"pve_search_tools", "pve_read", "pve_list_nodes"}, 10, tools.AutoAllMax},
	} {
		names := e.listTools(c.token)
		if len(names) < c.minN || len(names) > c.maxN {
			t.Errorf("%s: %d tools listed, want %d to %d: %v", c.token[:8], len(names), c.minN, c.maxN, names)
		}
		for _, n := range c.want {
			if !slices.Contains(names, n) {
				t.Errorf("%s: %s not listed: %v", c.token[:8], n, names)
			}
		}
		for _, n := range c.not {
			if slices.Contains(names, n) {
				t.Errorf("%s: %s listed", c.token[:8], n)
			}
		}
	}
}

// The dispatchers apply the caller's rules as a direct call does: a tool
// outside the caller's tier does not exist for it, a tool of another class
// is refused with the dispatcher to use, bad arguments get the inner tool's
// own message. None of these reaches Proxmox; the audit names the inner tool.
func TestDispatchRules(t *testing.T) {
	e := compactEnv(t, nil)
	all := newSecEnv(t, map[string]string{"MCP_AUTH_TOKENS": allTokens, "PVE_TOOL_MODE": "all"})
	for _, c := range []struct {
		name, token, dispatcher, tool string
		args                          map[string]any
		want                          string
	}{
		{"other class", tokAdmin, "pve_read", "pve_delete_qemu_vm", map[string]any{"vmid": 100}, "pve_delete_qemu_vm is a destroy tool: call it through pve_destroy, not pve_read"},
		{"change via destroy", tokAdmin, "pve_destroy", "pve_start_qemu_vm", map[string]any{"vmid": 100}, "call it through pve_change"},
		{"above the tier", tokReader, "pve_read", "pve_delete_qemu_vm", map[string]any{"vmid": 100}, `unknown tool "pve_delete_qemu_vm"`},
		{"outside the tier, right class", tokOperator, "pve_destroy", "pve_delete_qemu_vm", map[string]any{"vmid": 100}, `unknown tool "pve_delete_qemu_vm"`},
		{"no such tool", tokAdmin, "pve_read", "pve_list_everything", nil, `unknown tool "pve_list_everything"`},
	} {
		e.wire.reset()
		params := map[string]any{"name": c.dispatcher, "arguments": map[string]any{"tool": c.tool, "arguments": c.args}}
		r := e.rpc(c.token, "tools/call", params)
		var res toolResult
		if r.Error != nil || json.Unmarshal(r.Result, &res) != nil || !res.IsError || !strings.Contains(res.text(), c.want) {
			t.Errorf("%s: got %s %v, want an isError result with %q", c.name, r.Result, r.Error, c.want)
		}
		if calls := e.wire.all(); len(calls) > 0 {
			t.Errorf("%s: reached Proxmox: %v", c.name, calls)
		}
		line := e.logs.auditLines(t)
		last := line[len(line)-1]
		if last["tool"] != c.tool || last["via"] != c.dispatcher || last["outcome"] != OutcomeError && last["outcome"] != OutcomeRefused {
			t.Errorf("%s: audit line %v", c.name, last)
		}
	}
	// A refusal for a tool the caller lacks reads as one in the audit.
	lines := e.logs.auditLines(t)
	if lines[2]["outcome"] != OutcomeRefused {
		t.Errorf("a reader's destroy attempt is audited as %v, want %s", lines[2]["outcome"], OutcomeRefused)
	}

	// Invalid arguments: the same message as the direct call.
	for _, args := range []map[string]any{{}, {"vmid": 5}, {"vmid": "100"}, {"vmid": 100, "bogus": 1}} {
		want, _ := all.call(tokAdmin, "pve_start_qemu_vm", args)
		r := e.rpc(tokAdmin, "tools/call", map[string]any{"name": "pve_change", "arguments": map[string]any{"tool": "pve_start_qemu_vm", "arguments": args}})
		var got toolResult
		if err := json.Unmarshal(r.Result, &got); err != nil || !got.IsError || got.text() != want.text() {
			t.Errorf("args %v: dispatched %q, direct %q", args, got.text(), want.text())
		}
	}
	// The dispatcher's own input is checked too.
	for _, bad := range []map[string]any{{}, {"tool": "rm -rf"}, {"tool": "pve_list_nodes", "arguments": "x"}, {"tool": "pve_list_nodes", "extra": 1}} {
		r := e.rpc(tokAdmin, "tools/call", map[string]any{"name": "pve_read", "arguments": bad})
		var got toolResult
		if err := json.Unmarshal(r.Result, &got); err != nil || !got.IsError || !strings.Contains(got.text(), "pve_read") {
			t.Errorf("pve_read %v: %s %v", bad, r.Result, r.Error)
		}
	}
	// A tool that is not listed cannot be called by name either.
	if r := e.rpc(tokAdmin, "tools/call", map[string]any{"name": "pve_list_nodes", "arguments": map[string]any{}}); r.Error == nil {
		t.Errorf("pve_list_nodes called directly in compact mode: %s", r.Result)
	}
}

// Search shows only what the caller can call: a reader never sees a change,
// and the guest-exec tools are hidden while PVE_GUEST_EXEC is off.
func TestSearchShowsOnlyCallableTools(t *testing.T) {
	e := compactEnv(t, nil)
	search := func(token string, args map[string]any) []map[string]any {
		t.Helper()
		r := e.rpc(token, "tools/call", map[string]any{"name": "pve_search_tools", "arguments": args})
		var res toolResult
		if r.Error != nil || json.Unmarshal(r.Result, &res) != nil || res.IsError {
			t.Fatalf("search %v: %s %v", args, r.Result, r.Error)
		}
		var hits []map[string]any
		data, _, _ := strings.Cut(res.text(), "\n")
		if err := json.Unmarshal([]byte(data), &hits); err != nil {
			t.Fatalf("search %v: %v: %s", args, err, res.text())
		}
		return hits
	}
	for _, h := range search(tokReader, map[string]any{"query": "delete VM destroy stop", "limit": 20}) {
		if h["via"] != "pve_read" {
			t.Errorf("a reader's search offers %v via %v", h["name"], h["via"])
		}
	}
	for _, h := range search(tokAdmin, map[string]any{"query": "run a command in a VM guest agent exec", "limit": 20}) {
		if h["name"] == "pve_exec_qemu_agent_command" || h["name"] == "pve_write_qemu_agent_file" {
			t.Errorf("search offers %v while PVE_GUEST_EXEC is off", h["name"])
		}
	}
	hits := search(tokAdmin, map[string]any{"query": "snapshot a VM"})
	if len(hits) == 0 || hits[0]["name"] != "pve_create_qemu_snapshot" || hits[0]["inputSchema"] == nil || hits[0]["annotations"] == nil || hits[0]["via"] != "pve_change" {
		t.Errorf("search for a VM snapshot: %v", hits)
	}
	if len(hits) != 5 {
		t.Errorf("%d hits by default, want 5", len(hits))
	}
	cats := search(tokReader, map[string]any{})
	if len(cats) != len(tools.Categories) || cats[0]["category"] != "nodes" || cats[0]["tools"] == nil {
		t.Errorf("empty query: %v", cats)
	}
	for _, h := range search(tokAdmin, map[string]any{"category": "ha", "kind": "destroy"}) {
		if !strings.Contains(h["name"].(string), "ha") || h["via"] != "pve_destroy" {
			t.Errorf("ha/destroy browse offers %v", h)
		}
	}

	exec := compactEnv(t, map[string]string{"PVE_GUEST_EXEC": "allow", "PVE_GUEST_EXEC_ALLOW": "uptime"})
	r := exec.rpc(tokAdmin, "tools/call", map[string]any{"name": "pve_search_tools", "arguments": map[string]any{"query": "pve_exec_qemu_agent_command"}})
	if !strings.Contains(string(r.Result), `pve_exec_qemu_agent_command`) {
		t.Errorf("with PVE_GUEST_EXEC=allow the exec tool is not found: %s", r.Result)
	}
}
