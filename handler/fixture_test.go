package handler

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pve-mcp/pve-mcp/config"
	"github.com/pve-mcp/pve-mcp/internal/syncbuf"
	"github.com/pve-mcp/pve-mcp/pve"
	"github.com/pve-mcp/pve-mcp/pve/pvesim"
)

// Fake credentials built for these tests; never real values.
const (
	simTokenID     = "mcp@pve!handler-test"
	simTokenSecret = "00000000-hand-4000-8000-000000000000"

	// Static bearer tokens (32+ characters, base64 alphabet).
	tokAdmin    = "adminTOKENadminTOKENadminTOKEN0001"
	tokAdminNew = "adminROTATEDadminROTATEDadmin0002"
	tokOperator = "operatorTOKENoperatorTOKENop0003"
	tokReader   = "readerTOKENreaderTOKENreaderT0004"
	tokQemuOnly = "qemuONLYqemuONLYqemuONLYqemu00005"
)

// allTokens is MCP_AUTH_TOKENS for the usual fixture: two admin tokens (one
// being rotated in), an operator, a reader and a reader limited to qemu.
var allTokens = strings.Join([]string{
	"admin:full:" + tokAdmin,
	"admin-next:full:" + tokAdminNew,
	"operator:read-execute:" + tokOperator,
	"reader:read-only:" + tokReader,
	"qemu-reader:read-only:qemu:" + tokQemuOnly,
}, ",")

// lockedBuffer collects log lines from concurrent handlers.
type lockedBuffer struct{ syncbuf.Buffer }

// lines decodes every JSON log line.
func (l *lockedBuffer) lines(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, ln := range strings.Split(strings.TrimSpace(l.String()), "\n") {
		if ln == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(ln), &m); err != nil {
			t.Fatalf("log line is not JSON: %v\n%s", err, ln)
		}
		out = append(out, m)
	}
	return out
}

// auditLines returns the audit records.
func (l *lockedBuffer) auditLines(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, m := range l.lines(t) {
		if m["audit"] == true {
			out = append(out, m)
		}
	}
	return out
}

// secEnv is the handler under test in front of a simulated cluster.
type secEnv struct {
	t     *testing.T
	sim   *pvesim.Sim
	wire  *wireLog
	srv   *httptest.Server
	h     http.Handler
	built *built
	logs  *lockedBuffer
	cfg   config.Config
}

// newSecEnv builds the handler from environment variables, as the runners do.
func newSecEnv(t *testing.T, env map[string]string) *secEnv {
	t.Helper()
	e, err := tryNewSecEnv(t, env)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func tryNewSecEnv(t testing.TB, env map[string]string) (*secEnv, error) {
	getenv := func(k string) string {
		if v, ok := env[k]; ok {
			return v
		}
		switch k {
		case "PVE_TOOL_MODE":
			// These tests are about the HTTP layer and call tools by name;
			// compact mode has tests of its own (compact_test.go).
			return "all"
		case "PVE_CONFIRM":
			// These tests call destructive tools to check what reaches
			// Proxmox; confirmation has tests of its own (confirm_test.go
			// here and in tools). The production default stays destructive.
			return "off"
		}
		return ""
	}
	cfg, err := config.FromEnv(getenv, true)
	if err != nil {
		return nil, err
	}
	// SIM_TASK_DURATION is the fixture's own knob (not a pve-mcp variable):
	// how long simulated tasks run.
	taskDuration, _ := time.ParseDuration(env["SIM_TASK_DURATION"])
	opts := pvesim.Options{TokenID: simTokenID, TokenSecret: simTokenSecret, TaskDuration: taskDuration}
	// SIM_NOW (RFC 3339) pins the simulator's clock, so two fixtures given
	// the same calls answer the same bytes.
	if now, err := time.Parse(time.RFC3339, env["SIM_NOW"]); err == nil {
		opts.Now = func() time.Time { return now }
	}
	sim := pvesim.New(opts)
	wire := &wireLog{}
	simSrv := httptest.NewServer(wire.wrap(sim))
	t.Cleanup(simSrv.Close)
	cfg.PVE.BaseURL, cfg.PVE.TokenID, cfg.PVE.TokenSecret = simSrv.URL, simTokenID, simTokenSecret
	cfg.PVE.TLS = pve.TLSConfig{}
	return serveConfig(t, cfg, sim, wire)
}

// serveConfig builds the handler for cfg, logging to a buffer, and serves
// it; sim and wire are the simulator behind it.
func serveConfig(t testing.TB, cfg config.Config, sim *pvesim.Sim, wire *wireLog) (*secEnv, error) {
	logs := &lockedBuffer{}
	b, err := build(cfg, slog.New(slog.NewJSONHandler(logs, nil)))
	if err != nil {
		return nil, err
	}
	srv := httptest.NewServer(b.mux)
	t.Cleanup(srv.Close)
	e := &secEnv{sim: sim, wire: wire, srv: srv, h: b.mux, built: b, logs: logs, cfg: cfg}
	if tt, ok := t.(*testing.T); ok {
		e.t = tt
	}
	return e, nil
}

// rpcBody is one JSON-RPC request.
func rpcBody(id any, method string, params any) string {
	b, err := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": id, "method": method, "params": params})
	if err != nil {
		panic(err)
	}
	return string(b)
}

// raw posts body to /mcp with a bearer token (none if empty) and extra
// headers as name, value pairs.
func (e *secEnv) raw(token, body string, headers ...string) (*http.Response, string) {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.srv.URL+"/mcp", strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("Mcp-Protocol-Version", "2025-06-18")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		if http.CanonicalHeaderKey(headers[i]) == "Host" {
			req.Host = headers[i+1]
			continue
		}
		if headers[i+1] == "" {
			req.Header.Del(headers[i])
		} else {
			req.Header.Set(headers[i], headers[i+1])
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// rpcResponse is a JSON-RPC answer.
type rpcResponse struct {
	ID     any             `json:"id"`
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// rpc makes one JSON-RPC call that must get an HTTP 200 answer.
func (e *secEnv) rpc(token, method string, params any) rpcResponse {
	e.t.Helper()
	resp, body := e.raw(token, rpcBody(1, method, params))
	if resp.StatusCode != http.StatusOK {
		e.t.Fatalf("%s: HTTP %d: %s", method, resp.StatusCode, body)
	}
	var r rpcResponse
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		e.t.Fatalf("%s: answer is not JSON-RPC: %v\n%s", method, err, body)
	}
	return r
}

// toolResult is the part of a tools/call result the tests read.
type toolResult struct {
	IsError bool `json:"isError"`
	Content []struct {
		Text string `json:"text"`
	} `json:"content"`
}

func (r toolResult) text() string {
	var b strings.Builder
	for _, c := range r.Content {
		b.WriteString(c.Text)
	}
	return b.String()
}

// call invokes a tool; err is the JSON-RPC error, if any.
func (e *secEnv) call(token, tool string, args map[string]any) (toolResult, error) {
	e.t.Helper()
	if args == nil {
		args = map[string]any{}
	}
	r := e.rpc(token, "tools/call", map[string]any{"name": tool, "arguments": args})
	if r.Error != nil {
		return toolResult{}, fmt.Errorf("rpc error %d: %s", r.Error.Code, r.Error.Message)
	}
	var tr toolResult
	if err := json.Unmarshal(r.Result, &tr); err != nil {
		e.t.Fatalf("tools/call %s: %v", tool, err)
	}
	return tr, nil
}

// listTools returns the names tools/list shows to token's caller.
func (e *secEnv) listTools(token string) []string {
	e.t.Helper()
	r := e.rpc(token, "tools/list", map[string]any{})
	if r.Error != nil {
		e.t.Fatalf("tools/list: %s", r.Error.Message)
	}
	var res struct {
		Tools []struct {
			Name string `json:"name"`
		} `json:"tools"`
	}
	if err := json.Unmarshal(r.Result, &res); err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for _, t := range res.Tools {
		out = append(out, t.Name)
	}
	return out
}

// writes lists the state-changing requests that reached the simulator.
func (e *secEnv) writes() []string {
	var out []string
	for _, r := range e.wire.all() {
		if !strings.HasPrefix(r, "GET ") {
			out = append(out, r)
		}
	}
	return out
}

// wireLog records every request on its way to the simulator, before it is
// served: unlike pvesim.Sim.Requests (recorded after the answer is written),
// it is complete as soon as the client has its answer.
type wireLog struct {
	mu   sync.Mutex
	reqs []string
}

func (l *wireLog) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		l.mu.Lock()
		l.reqs = append(l.reqs, r.Method+" "+r.URL.RequestURI()+" "+string(body))
		l.mu.Unlock()
		next.ServeHTTP(w, r)
	})
}

// all returns "METHOD /api2/json/path?query body" for each request so far.
func (l *wireLog) all() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.reqs...)
}

func (l *wireLog) reset() {
	l.mu.Lock()
	l.reqs = nil
	l.mu.Unlock()
}
