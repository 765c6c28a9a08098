package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/google/jsonschema-go/jsonschema"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/pve-mcp/pve-mcp/internal/apischema"
	"github.com/pve-mcp/pve-mcp/internal/mcptest"
	"github.com/pve-mcp/pve-mcp/pve"
	"github.com/pve-mcp/pve-mcp/pve/pvesim"
)

// Fake credentials built at test time; never real values.
const (
	testTokenID     = "mcp@pve!test"
	testTokenSecret = "00000000-test-4000-8000-000000000000"
)

// testEnv is a simulated cluster behind httptest and a real go-sdk client
// connected over in-memory transports to a server holding the selected tools.
type testEnv struct {
	t       *testing.T
	sim     *pvesim.Sim
	session *mcp.ClientSession
	env     *Env
}

func newTestEnv(t *testing.T, sel Selection) *testEnv {
	t.Helper()
	return newTestEnvWith(t, sel, pvesim.Options{})
}

func newTestEnvWith(t *testing.T, sel Selection, opts pvesim.Options) *testEnv {
	t.Helper()
	opts.TokenID, opts.TokenSecret = testTokenID, testTokenSecret
	// Every answer the tests reach must be one Proxmox could give.
	opts.Answered = apischema.AnswerChecker(t)
	sim := pvesim.New(opts)
	ts := httptest.NewServer(sim)
	t.Cleanup(ts.Close)
	client, err := pve.New(pve.Config{BaseURL: ts.URL, TokenID: testTokenID, TokenSecret: testTokenSecret})
	if err != nil {
		t.Fatal(err)
	}
	selected, err := Select(sel)
	if err != nil {
		t.Fatal(err)
	}
	// Confirmation off: these tests call destructive tools to check what
	// reaches Proxmox; confirm_test.go tests the confirmation itself. The
	// production default (the zero value) stays destructive.
	env := &Env{PVE: client, Confirm: Confirmation{Policy: ConfirmOff}}
	srv, err := NewServer(env, selected)
	if err != nil {
		t.Fatal(err)
	}
	cs := mcptest.Connect(t, srv, nil, nil)
	return &testEnv{t: t, sim: sim, session: cs, env: env}
}

// fullEnv is the usual fixture: every tool at tier full.
func fullEnv(t *testing.T) *testEnv { return newTestEnv(t, Selection{Tier: Full}) }

// call invokes a tool; a protocol-level error fails the test.
func (e *testEnv) call(name string, args map[string]any) *mcp.CallToolResult {
	e.t.Helper()
	if args == nil {
		args = map[string]any{}
	}
	res, err := e.session.CallTool(context.Background(), &mcp.CallToolParams{Name: name, Arguments: args})
	if err != nil {
		e.t.Fatalf("%s: protocol error: %v", name, err)
	}
	if !res.IsError {
		if err := checkOutput(name, res); err != nil {
			e.t.Errorf("%s(%v): result does not match its output schema: %v", name, args, err)
		}
	}
	return res
}

var outputResolved sync.Map // tool name -> *jsonschema.Resolved

// checkOutput validates a result's structuredContent against the tool's
// declared output schema: every result the tests see is one the schema
// describes. Only a result cut as text may lack structuredContent.
func checkOutput(name string, res *mcp.CallToolResult) error {
	var tool *Tool
	for _, t := range All() {
		if t.Name == name {
			tool = t
		}
	}
	if tool == nil {
		return nil
	}
	r, ok := outputResolved.Load(name)
	if !ok {
		def, err := tool.MCP()
		if err != nil {
			return err
		}
		resolved, err := def.OutputSchema.(*jsonschema.Schema).Resolve(nil)
		if err != nil {
			return err
		}
		r, _ = outputResolved.LoadOrStore(name, resolved)
	}
	if res.StructuredContent == nil {
		if strings.Contains(resultText(res), "incomplete JSON") {
			return nil
		}
		return fmt.Errorf("no structuredContent")
	}
	b, err := json.Marshal(res.StructuredContent)
	if err != nil {
		return err
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	return r.(*jsonschema.Resolved).Validate(v)
}

// ok calls a tool that must succeed and returns its text.
func (e *testEnv) ok(name string, args map[string]any) string {
	e.t.Helper()
	res := e.call(name, args)
	txt := resultText(res)
	if res.IsError {
		e.t.Fatalf("%s(%v) failed: %s", name, args, txt)
	}
	return txt
}

// fails calls a tool that must fail and returns the error text.
func (e *testEnv) fails(name string, args map[string]any) string {
	e.t.Helper()
	res := e.call(name, args)
	txt := resultText(res)
	if !res.IsError {
		e.t.Fatalf("%s(%v) succeeded, want an error; got %s", name, args, txt)
	}
	return txt
}

// okJSON calls a tool and decodes the JSON part of its text (before any note).
func (e *testEnv) okJSON(name string, args map[string]any, out any) string {
	e.t.Helper()
	txt := e.ok(name, args)
	data, _, _ := strings.Cut(txt, "\n")
	if err := json.Unmarshal([]byte(data), out); err != nil {
		e.t.Fatalf("%s: result is not JSON: %v\n%s", name, err, txt)
	}
	return txt
}

// lastRequest returns the last request to method+path, failing if none.
func (e *testEnv) lastRequest(method, path string) pvesim.Request {
	e.t.Helper()
	r := e.sim.Find(method, path)
	if r == nil {
		var got []string
		for _, q := range e.sim.Requests() {
			got = append(got, q.Method+" "+q.Path)
		}
		e.t.Fatalf("no %s %s received; got %v", method, path, got)
	}
	return *r
}

func resultText(res *mcp.CallToolResult) string {
	var b strings.Builder
	for _, c := range res.Content {
		if tc, ok := c.(*mcp.TextContent); ok {
			b.WriteString(tc.Text)
		}
	}
	return b.String()
}
