package handler_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/pve-mcp/pve-mcp/config"
	"github.com/pve-mcp/pve-mcp/handler"
	"github.com/pve-mcp/pve-mcp/pve/pvesim"
	"github.com/pve-mcp/pve-mcp/tools"
)

// Fake credentials built for the tests; never real values.
const (
	simTokenID     = "mcp@pve!handler"
	simTokenSecret = "7c1e5a9d-3b2f-4e6a-8d0c-1f2e3d4c5b6a"
)

// simConfig starts a simulated cluster and returns it with a configuration
// read the way the runners read it (config.FromEnv), pointing at it.
func simConfig(t *testing.T, env map[string]string) (*pvesim.Sim, config.Config) {
	t.Helper()
	sim := pvesim.New(pvesim.Options{TokenID: simTokenID, TokenSecret: simTokenSecret})
	ts := httptest.NewServer(sim)
	t.Cleanup(ts.Close)
	// PVE_TOOL_MODE=all unless a test says otherwise: these tests call tools
	// by name; compact mode has tests of its own (compact_test.go).
	// PVE_CONFIRM=off likewise: they call destructive tools, and
	// confirmation has tests of its own (confirm_test.go); the production
	// default stays destructive.
	vars := map[string]string{"PVE_BASE_URL": ts.URL, "PVE_TOKEN_ID": simTokenID, "PVE_TOKEN_SECRET": simTokenSecret, "PVE_TOOL_MODE": "all", "PVE_CONFIRM": "off"}
	for k, v := range env {
		vars[k] = v
	}
	cfg, err := config.FromEnv(func(k string) string { return vars[k] }, false)
	if err != nil {
		t.Fatal(err)
	}
	return sim, cfg
}

// serve starts handler.New(cfg) behind httptest and counts its requests.
func serve(t *testing.T, cfg config.Config, hits *atomic.Int32) *httptest.Server {
	t.Helper()
	h, err := handler.New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hits != nil {
			hits.Add(1)
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	return ts
}

// protocols are the versions the tests speak: the go-sdk's default, which
// starts with the stateless server/discover, and the initialize handshake
// that today's desktop clients and the MCP Inspector use.
var protocols = []string{"", "2025-11-25", "2025-06-18"}

func protocolName(v string) string {
	if v == "" {
		return "default"
	}
	return v
}

// connect is the real go-sdk client over Streamable HTTP, speaking protocol
// version (the SDK's latest when "").
func connect(t *testing.T, endpoint string, hc *http.Client, version string) *mcp.ClientSession {
	t.Helper()
	client := mcp.NewClient(&mcp.Implementation{Name: "handler-test", Version: "1"}, nil)
	cs, err := client.Connect(context.Background(), &mcp.StreamableClientTransport{
		Endpoint: endpoint, HTTPClient: hc, DisableStandaloneSSE: true, MaxRetries: -1,
	}, &mcp.ClientSessionOptions{ProtocolVersion: version})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cs.Close() })
	return cs
}

func listNames(t *testing.T, cs *mcp.ClientSession) map[string]*mcp.Tool {
	t.Helper()
	out := map[string]*mcp.Tool{}
	for tool, err := range cs.Tools(context.Background(), nil) {
		if err != nil {
			t.Fatal(err)
		}
		out[tool.Name] = tool
	}
	return out
}

func text(res *mcp.CallToolResult) string {
	var b strings.Builder
	for _, c := range res.Content {
		if tc, ok := c.(*mcp.TextContent); ok {
			b.WriteString(tc.Text)
		}
	}
	return b.String()
}

func callOK(t *testing.T, cs *mcp.ClientSession, name string, args map[string]any) string {
	t.Helper()
	res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: name, Arguments: args})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if res.IsError {
		t.Fatalf("%s failed: %s", name, text(res))
	}
	return text(res)
}

func TestStreamableHTTP(t *testing.T) {
	for _, version := range protocols {
		t.Run(protocolName(version), func(t *testing.T) { testStreamableHTTP(t, version) })
	}
}

func testStreamableHTTP(t *testing.T, version string) {
	sim, cfg := simConfig(t, nil)
	var hits atomic.Int32
	srv := serve(t, cfg, &hits)
	cs := connect(t, srv.URL+"/mcp", nil, version)

	init := cs.InitializeResult()
	if init == nil || init.ServerInfo.Name != "pve-mcp" || init.Capabilities.Tools == nil || init.Instructions == "" {
		t.Fatalf("initialize result %+v", init)
	}
	if version != "" && init.ProtocolVersion != version {
		t.Errorf("negotiated %s, asked for %s", init.ProtocolVersion, version)
	}
	if hits.Load() == 0 {
		t.Fatal("the handshake did not reach the handler")
	}

	listed := listNames(t, cs)
	want, err := tools.Select(cfg.Tools)
	if err != nil {
		t.Fatal(err)
	}
	if len(listed) != len(want) {
		t.Errorf("tools/list has %d tools, the full tier selects %d", len(listed), len(want))
	}
	for _, tool := range want {
		if _, ok := listed[tool.Name]; !ok {
			t.Errorf("tools/list lacks %s", tool.Name)
		}
	}

	// A read.
	sim.ResetRequests()
	var nodes []struct {
		Node   string `json:"node"`
		Status string `json:"status"`
	}
	out := callOK(t, cs, "pve_list_nodes", nil)
	first, _, _ := strings.Cut(out, "\n")
	if err := json.Unmarshal([]byte(first), &nodes); err != nil {
		t.Fatalf("pve_list_nodes: %v\n%s", err, out)
	}
	var names []string
	for _, n := range nodes {
		names = append(names, n.Node)
	}
	slices.Sort(names)
	if !slices.Equal(names, []string{"pve1", "pve2", "pve3"}) {
		t.Errorf("nodes %v", names)
	}
	if r := sim.Find(http.MethodGet, "/nodes"); r == nil || r.Status != 200 {
		t.Errorf("simulator request for GET /nodes: %+v", r)
	}

	// A task: VM 102 is stopped in the seed; node left out, found from vmid.
	if g, _ := sim.Guest(102); g.Status != "stopped" {
		t.Fatalf("seed: VM 102 is %s", g.Status)
	}
	sim.ResetRequests()
	out = callOK(t, cs, "pve_start_qemu_vm", map[string]any{"vmid": 102})
	r := sim.Find(http.MethodPost, "/nodes/pve2/qemu/102/status/start")
	if r == nil || r.Status != 200 {
		t.Fatalf("simulator got no POST /nodes/pve2/qemu/102/status/start; requests: %+v", sim.Requests())
	}
	if len(r.Params) != 0 {
		t.Errorf("start sent parameters %v", r.Params)
	}
	if !strings.Contains(out, "UPID:pve2:") || !strings.Contains(out, "pve_get_task_status") {
		t.Errorf("start result does not give the task and how to follow it: %s", out)
	}
	// The token id names the caller in the UPID (it is no secret); the secret never shows.
	if !strings.Contains(out, simTokenID) || strings.Contains(out, simTokenSecret) {
		t.Errorf("result shows the secret, or hides the token id: %s", out)
	}
	if g, _ := sim.Guest(102); g.Status != "running" {
		t.Errorf("VM 102 is %s after start", g.Status)
	}
	// Proxmox's refusal reaches the agent as a tool error, not a protocol error.
	res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "pve_start_qemu_vm", Arguments: map[string]any{"vmid": 998, "node": "pve2"}})
	if err != nil {
		t.Fatal(err)
	}
	if !res.IsError || !strings.Contains(text(res), "998") {
		t.Errorf("starting a VM that does not exist: isError %v, %s", res.IsError, text(res))
	}
}

// alternate sends each request to the next of several servers, as a load
// balancer in front of stateless instances may.
type alternate struct {
	targets []*url.URL
	n       atomic.Int32
}

func (a *alternate) RoundTrip(r *http.Request) (*http.Response, error) {
	target := a.targets[int(a.n.Add(1)-1)%len(a.targets)]
	r = r.Clone(r.Context())
	r.URL.Scheme, r.URL.Host, r.Host = target.Scheme, target.Host, target.Host
	return http.DefaultTransport.RoundTrip(r)
}

// TestStateless: two handler instances built from the same configuration
// answer one client's consecutive requests in turn (with the initialize
// handshake, initialize goes to one and notifications/initialized to the
// other); no session lives in either.
func TestStateless(t *testing.T) {
	for _, version := range protocols {
		t.Run(protocolName(version), func(t *testing.T) { testStateless(t, version) })
	}
}

func testStateless(t *testing.T, version string) {
	sim, cfg := simConfig(t, nil)
	var hitsA, hitsB atomic.Int32
	a, b := serve(t, cfg, &hitsA), serve(t, cfg, &hitsB)
	ua, _ := url.Parse(a.URL)
	ub, _ := url.Parse(b.URL)
	rt := &alternate{targets: []*url.URL{ua, ub}}
	var sessionIDs atomic.Int32
	hc := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		resp, err := rt.RoundTrip(r)
		if err == nil && resp.Header.Get("Mcp-Session-Id") != "" {
			sessionIDs.Add(1)
		}
		return resp, err
	})}
	cs := connect(t, a.URL+"/mcp", hc, version)
	if len(listNames(t, cs)) == 0 {
		t.Fatal("no tools")
	}
	callOK(t, cs, "pve_list_nodes", nil)
	callOK(t, cs, "pve_get_node_status", map[string]any{"node": "pve1"})
	callOK(t, cs, "pve_start_qemu_vm", map[string]any{"vmid": 102})
	if hitsA.Load() < 2 || hitsB.Load() < 2 {
		t.Errorf("requests: A %d, B %d; want both instances used", hitsA.Load(), hitsB.Load())
	}
	if sessionIDs.Load() != 0 {
		t.Errorf("%d answers carried an Mcp-Session-Id", sessionIDs.Load())
	}
	if g, _ := sim.Guest(102); g.Status != "running" {
		t.Errorf("VM 102 is %s", g.Status)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestHealthz(t *testing.T) {
	_, cfg := simConfig(t, nil)
	srv := serve(t, cfg, nil)
	resp, err := http.Get(srv.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" || string(body) != `{"status":"ok"}` {
		t.Errorf("GET /healthz: %d %q %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	resp, err = http.Post(srv.URL+"/healthz", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /healthz: %d", resp.StatusCode)
	}
}

func postMCP(t *testing.T, url string, body []byte) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("Mcp-Protocol-Version", "2025-06-18")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestBodyLimit: a request body over 1 MiB is refused with 413 before it
// reaches the MCP server; one just under the limit is served.
func TestBodyLimit(t *testing.T) {
	sim, cfg := simConfig(t, nil)
	srv := serve(t, cfg, nil)
	call := func(pad int) []byte {
		b, _ := json.Marshal(map[string]any{
			"jsonrpc": "2.0", "id": 1, "method": "tools/call",
			"params": map[string]any{"name": "pve_list_nodes", "arguments": map[string]any{}, "_meta": map[string]any{"pad": strings.Repeat("x", pad)}},
		})
		return b
	}
	small := call(handler.MaxBodyBytes - 1024)
	if len(small) > handler.MaxBodyBytes {
		t.Fatalf("test body %d bytes", len(small))
	}
	sim.ResetRequests()
	if code, body := postMCP(t, srv.URL+"/mcp", small); code != 200 || !strings.Contains(body, "pve1") {
		t.Errorf("body under the limit: %d %.300s", code, body)
	}
	if sim.Find(http.MethodGet, "/nodes") == nil {
		t.Error("call under the limit did not reach Proxmox")
	}
	sim.ResetRequests()
	big := call(handler.MaxBodyBytes + 1)
	if code, body := postMCP(t, srv.URL+"/mcp", big); code != http.StatusRequestEntityTooLarge {
		t.Errorf("body over the limit: %d %.300s", code, body)
	}
	if len(sim.Requests()) != 0 {
		t.Errorf("oversized request reached Proxmox: %+v", sim.Requests())
	}
}

// TestReadOnlyTier: a read-only server lists no tool that changes anything,
// and calling one fails without Proxmox being asked.
func TestReadOnlyTier(t *testing.T) {
	sim, cfg := simConfig(t, map[string]string{"PVE_ACCESS_TIER": "read-only"})
	srv := serve(t, cfg, nil)
	cs := connect(t, srv.URL+"/mcp", nil, "2025-06-18")
	listed := listNames(t, cs)
	if len(listed) == 0 {
		t.Fatal("no tools")
	}
	for name, tool := range listed {
		if tool.Annotations == nil || !tool.Annotations.ReadOnlyHint {
			t.Errorf("read-only server lists %s, which is not read-only", name)
		}
	}
	for _, name := range []string{"pve_start_qemu_vm", "pve_stop_qemu_vm"} {
		if _, ok := listed[name]; ok {
			t.Errorf("read-only server lists %s", name)
		}
	}
	if _, ok := listed["pve_list_nodes"]; !ok {
		t.Error("read-only server lacks pve_list_nodes")
	}
	sim.ResetRequests()
	res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "pve_start_qemu_vm", Arguments: map[string]any{"vmid": 102}})
	if err == nil && !res.IsError {
		t.Fatalf("pve_start_qemu_vm succeeded on a read-only server: %s", text(res))
	}
	for _, r := range sim.Requests() {
		if r.Method != http.MethodGet {
			t.Errorf("simulator got %s %s", r.Method, r.Path)
		}
	}
	if g, _ := sim.Guest(102); g.Status != "stopped" {
		t.Errorf("VM 102 is %s", g.Status)
	}
}
