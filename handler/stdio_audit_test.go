package handler

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/pve-mcp/pve-mcp/config"
	"github.com/pve-mcp/pve-mcp/internal/mcptest"
	"github.com/pve-mcp/pve-mcp/pve"
	"github.com/pve-mcp/pve-mcp/pve/pvesim"
)

// The stdio server (NewServer) writes the same audit line as HTTP, once per
// tools/call, with "stdio" as the caller.
func TestStdioAudit(t *testing.T) {
	cfg, err := config.FromEnv(func(k string) string { return map[string]string{"PVE_GUEST_EXEC": "deny", "PVE_TOOL_MODE": "all"}[k] }, true)
	if err != nil {
		t.Fatal(err)
	}
	sim := pvesim.New(pvesim.Options{TokenID: simTokenID, TokenSecret: simTokenSecret})
	ts := httptest.NewServer(sim)
	defer ts.Close()
	cfg.PVE.BaseURL, cfg.PVE.TokenID, cfg.PVE.TokenSecret, cfg.PVE.TLS = ts.URL, simTokenID, simTokenSecret, pve.TLSConfig{}
	logs := &lockedBuffer{}
	srv, err := NewServer(cfg, slog.New(slog.NewJSONHandler(logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	cs := mcptest.Connect(t, srv, nil, nil)
	if _, err := cs.ListTools(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	for _, args := range []map[string]any{{"vmid": 100}, {"vmid": 100, "command": []string{"cat", "/etc/shadow"}}} {
		name := "pve_get_qemu_status"
		if args["command"] != nil {
			name = "pve_exec_qemu_agent_command"
		}
		if _, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: name, Arguments: args}); err != nil {
			t.Fatal(err)
		}
	}
	lines := logs.auditLines(t)
	if len(lines) != 2 {
		t.Fatalf("%d audit lines, want 2:\n%s", len(lines), logs)
	}
	for _, l := range lines {
		var keys []string
		for k := range l {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range []string{"args", "audit", "caller", "duration_ms", "msg", "outcome", "pve", "request_id", "tier", "time", "tool"} {
			if !slices.Contains(keys, k) {
				t.Errorf("audit line lacks %s: %v", k, l)
			}
		}
		if l["caller"] != "stdio" || l["msg"] != "tool call" || l["request_id"] == "" {
			t.Errorf("line %v", l)
		}
	}
	if lines[0]["outcome"] != OutcomeOK || lines[1]["tool"] != "pve_exec_qemu_agent_command" || lines[1]["outcome"] != OutcomeError {
		t.Errorf("outcomes: %v / %v %v", lines[0]["outcome"], lines[1]["tool"], lines[1]["outcome"])
	}
}
