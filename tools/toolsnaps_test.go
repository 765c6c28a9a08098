package tools

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/pve-mcp/pve-mcp/pve"
	"github.com/pve-mcp/pve-mcp/pve/pvesim"
)

// snapDir holds one golden file per tool: the tool exactly as a client sees
// it in tools/list (name, description, inputSchema, annotations). A schema
// change is an API change for every agent, so it must show up in review.
const snapDir = "testdata/toolsnaps"

// TestToolSnapshots fails on any difference between what the server sends in
// tools/list and the golden files, and on a missing or extra file. To accept a change:
//
//	UPDATE_TOOLSNAPS=1 go test ./tools -run TestToolSnapshots
func TestToolSnapshots(t *testing.T) {
	update := os.Getenv("UPDATE_TOOLSNAPS") == "1"
	wire := listToolsOnTheWire(t, ModeAll)
	single, _ := Select(Selection{Tier: Full})
	if len(wire) != len(single) {
		t.Fatalf("tools/list at tier full has %d tools, the registry %d", len(wire), len(single))
	}
	// The tools that exist only with several clusters, as a two-cluster
	// server lists them.
	for _, raw := range listClustersOnTheWire(t) {
		var tool struct{ Name string }
		if json.Unmarshal(raw, &tool) == nil && tool.Name == "pve_list_clusters" {
			wire = append(wire, raw)
		}
	}
	// Compact mode's own tools (search, dispatchers) have snapshots too.
	for _, raw := range listToolsOnTheWire(t, ModeCompact) {
		var tool struct{ Name string }
		if json.Unmarshal(raw, &tool) == nil && slices.Contains(MetaTools(All()), tool.Name) {
			wire = append(wire, raw)
		}
	}
	if update {
		if err := os.MkdirAll(snapDir, 0o755); err != nil {
			t.Fatal(err)
		}
	}

	listed := map[string]bool{}
	for _, raw := range wire {
		var tool struct{ Name string }
		if err := json.Unmarshal(raw, &tool); err != nil || tool.Name == "" {
			t.Fatalf("tools/list entry without a name: %s", raw)
		}
		if listed[tool.Name] {
			t.Errorf("%s listed twice", tool.Name)
		}
		listed[tool.Name] = true
		var buf bytes.Buffer
		if err := json.Indent(&buf, raw, "", "  "); err != nil {
			t.Fatal(err)
		}
		got := append(buf.Bytes(), '\n')
		file := filepath.Join(snapDir, tool.Name+".json")
		if update {
			if err := os.WriteFile(file, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(file)
		if err != nil {
			t.Errorf("%s: no snapshot (%v); run UPDATE_TOOLSNAPS=1 go test ./tools -run TestToolSnapshots", tool.Name, err)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from %s (run UPDATE_TOOLSNAPS=1 go test ./tools -run TestToolSnapshots to accept):\n%s",
				tool.Name, file, lineDiff(string(want), string(got)))
		}
	}

	files, err := filepath.Glob(filepath.Join(snapDir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		if listed[name] {
			continue
		}
		if update {
			if err := os.Remove(f); err != nil {
				t.Fatal(err)
			}
			continue
		}
		t.Errorf("%s: snapshot of a tool that does not exist; run UPDATE_TOOLSNAPS=1 go test ./tools -run TestToolSnapshots", f)
	}
}

// listToolsOnTheWire serves every tool over Streamable HTTP, as the handler
// does, and returns each tool of the tools/list answer as the bytes sent.
func listToolsOnTheWire(t *testing.T, m Mode) []json.RawMessage {
	t.Helper()
	sim := pvesim.New(pvesim.Options{TokenID: testTokenID, TokenSecret: testTokenSecret})
	pveSrv := httptest.NewServer(sim)
	t.Cleanup(pveSrv.Close)
	client, err := pve.New(pve.Config{BaseURL: pveSrv.URL, TokenID: testTokenID, TokenSecret: testTokenSecret})
	if err != nil {
		t.Fatal(err)
	}
	return listOnTheWire(t, &Env{PVE: client}, All(), m)
}

// listClustersOnTheWire is the tools/list of a server with two clusters.
func listClustersOnTheWire(t *testing.T) []json.RawMessage {
	t.Helper()
	f := newFleetFixture(t)
	sel, err := Select(Selection{Tier: Full, ManyClusters: true})
	if err != nil {
		t.Fatal(err)
	}
	return listOnTheWire(t, f.env, sel, ModeAll)
}

// listOnTheWire serves tools from env over Streamable HTTP and returns
// each tool of the tools/list answer as the bytes sent.
func listOnTheWire(t *testing.T, env *Env, tools []*Tool, m Mode) []json.RawMessage {
	t.Helper()
	srv, err := NewServerFor(env, tools, m)
	if err != nil {
		t.Fatal(err)
	}
	h := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return srv },
		&mcp.StreamableHTTPOptions{Stateless: true, JSONResponse: true})
	req := httptest.NewRequest("POST", "/mcp", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{}}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("tools/list: HTTP %d: %s", rec.Code, rec.Body)
	}
	var resp struct {
		Result struct {
			Tools      []json.RawMessage `json:"tools"`
			NextCursor string            `json:"nextCursor"`
		} `json:"result"`
		Error json.RawMessage `json:"error"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil || resp.Error != nil {
		t.Fatalf("tools/list: %v %s", err, rec.Body)
	}
	if resp.Result.NextCursor != "" {
		t.Fatalf("tools/list is paginated (nextCursor %q): every tool should fit one page", resp.Result.NextCursor)
	}
	return resp.Result.Tools
}

// lineDiff shows the lines that differ between want and got (enough to see
// what changed in a pretty-printed JSON document).
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	for _, l := range w {
		if !slices.Contains(g, l) {
			b.WriteString("- " + l + "\n")
		}
	}
	for _, l := range g {
		if !slices.Contains(w, l) {
			b.WriteString("+ " + l + "\n")
		}
	}
	if b.Len() == 0 {
		return "(same lines, different order or repetition)"
	}
	return b.String()
}
