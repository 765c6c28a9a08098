package tools

import (
	"bytes"
	"context"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/pve-mcp/pve-mcp/internal/mcptest"
	"github.com/pve-mcp/pve-mcp/pve"
	"github.com/pve-mcp/pve-mcp/pve/pvesim"
)

// A tool that panics answers an isError "internal error" (details only in
// the log, secret redacted) and the server goes on serving every caller.
func TestPanicInToolIsContained(t *testing.T) {
	sim := pvesim.New(pvesim.Options{TokenID: testTokenID, TokenSecret: testTokenSecret})
	ts := httptest.NewServer(sim)
	defer ts.Close()
	client, err := pve.New(pve.Config{BaseURL: ts.URL, TokenID: testTokenID, TokenSecret: testTokenSecret})
	if err != nil {
		t.Fatal(err)
	}
	type in struct {
		Node string `json:"node" jsonschema:"node name"`
	}
	panicky := Custom[in](Spec{Name: "pve_test_panic", Tier: ReadOnly, Kind: Read, Desc: "panics"}, nil,
		func(ctx context.Context, env *Env, in in) (Output, error) {
			var m map[string]int
			if in.Node == "nil-map" {
				m["x"] = 1 // a runtime error, as a bug would cause
			}
			panic("boom with secret " + testTokenSecret)
		})
	panicky.Category = Nodes
	var logs bytes.Buffer
	env := &Env{PVE: client, Log: slog.New(slog.NewJSONHandler(&logs, nil))}
	list, err := Select(Selection{Tier: ReadOnly, Allow: []string{"pve_list_nodes"}})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := NewServer(env, append(list, panicky))
	if err != nil {
		t.Fatal(err)
	}
	cs := mcptest.Connect(t, srv, nil, nil)
	for _, node := range []string{"plain", "nil-map"} {
		res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "pve_test_panic", Arguments: map[string]any{"node": node}})
		if err != nil {
			t.Fatalf("%s: protocol error %v", node, err)
		}
		text := res.Content[0].(*mcp.TextContent).Text
		if !res.IsError || !strings.HasPrefix(text, "internal error") || strings.Contains(text, "boom") || strings.Contains(text, "nil map") {
			t.Fatalf("%s: result %v %q", node, res.IsError, text)
		}
	}
	// Still serving.
	res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "pve_list_nodes", Arguments: map[string]any{}})
	if err != nil || res.IsError {
		t.Fatalf("after the panics: %v %+v", err, res)
	}
	log := logs.String()
	if !strings.Contains(log, "panic in an MCP method") || !strings.Contains(log, "pve_test_panic") || !strings.Contains(log, "boom") ||
		!strings.Contains(log, "assignment to entry in nil map") || !strings.Contains(log, "recover_test.go") {
		t.Errorf("log lacks the panic details: %s", log)
	}
	if strings.Contains(log, testTokenSecret) {
		t.Errorf("log shows the secret")
	}
}
