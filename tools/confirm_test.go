package tools

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/pve-mcp/pve-mcp/internal/apischema"
	"github.com/pve-mcp/pve-mcp/internal/mcptest"
	"github.com/pve-mcp/pve-mcp/pve"
	"github.com/pve-mcp/pve-mcp/pve/pvesim"
)

// confirmFixture is a simulated cluster and one server with a confirmation
// policy and a clock the test moves.
type confirmFixture struct {
	t   *testing.T
	sim *pvesim.Sim
	env *Env
	srv *mcp.Server
	now atomic.Int64 // Unix seconds
}

func newConfirmFixture(t *testing.T, policy ConfirmPolicy, mode Mode) *confirmFixture {
	t.Helper()
	f := &confirmFixture{t: t}
	f.now.Store(time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC).Unix())
	f.sim = pvesim.New(pvesim.Options{TokenID: testTokenID, TokenSecret: testTokenSecret, Answered: apischema.AnswerChecker(t)})
	ts := httptest.NewServer(f.sim)
	t.Cleanup(ts.Close)
	client, err := pve.New(pve.Config{BaseURL: ts.URL, TokenID: testTokenID, TokenSecret: testTokenSecret})
	if err != nil {
		t.Fatal(err)
	}
	f.env = &Env{PVE: client, Confirm: Confirmation{
		Policy: policy,
		Key:    []byte("0123456789abcdef0123456789abcdef"),
		Now:    func() time.Time { return time.Unix(f.now.Load(), 0) },
	}}
	f.srv, err = NewServerFor(f.env, All(), mode)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// stdio connects a client over in-memory transports (caller "stdio").
func (f *confirmFixture) stdio(opts *mcp.ClientOptions) *mcp.ClientSession {
	return f.stdioOn("", opts)
}

// stdioOn is stdio on a given protocol version ("" the latest).
func (f *confirmFixture) stdioOn(version string, opts *mcp.ClientOptions) *mcp.ClientSession {
	f.t.Helper()
	return mcptest.Connect(f.t, f.srv, opts, &mcp.ClientSessionOptions{ProtocolVersion: version})
}

type bearer struct{ token string }

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return http.DefaultTransport.RoundTrip(r)
}

// http connects a client over stateless Streamable HTTP as user (the
// bearer token is the user id), the way the handler serves it.
func (f *confirmFixture) http(user string, opts *mcp.ClientOptions) *mcp.ClientSession {
	f.t.Helper()
	h := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return f.srv },
		&mcp.StreamableHTTPOptions{Stateless: true, JSONResponse: true})
	verify := func(_ context.Context, tok string, _ *http.Request) (*auth.TokenInfo, error) {
		return &auth.TokenInfo{UserID: tok, Expiration: time.Now().Add(time.Hour)}, nil
	}
	ts := httptest.NewServer(auth.RequireBearerToken(verify, nil)(h))
	f.t.Cleanup(ts.Close)
	tr := &mcp.StreamableClientTransport{Endpoint: ts.URL, HTTPClient: &http.Client{Transport: bearer{user}}}
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "test", Version: "1"}, opts).Connect(context.Background(), tr, nil)
	if err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(func() { cs.Close() })
	return cs
}

func (f *confirmFixture) call(cs *mcp.ClientSession, name string, args map[string]any) *mcp.CallToolResult {
	f.t.Helper()
	res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: name, Arguments: args})
	if err != nil {
		f.t.Fatalf("%s: protocol error: %v", name, err)
	}
	return res
}

// writes lists the requests other than GET the simulator received.
func (f *confirmFixture) writes() []string {
	var out []string
	for _, r := range f.sim.Requests() {
		if r.Method != "GET" {
			out = append(out, r.Method+" "+r.Path)
		}
	}
	return out
}

func (f *confirmFixture) noWrites(what string) {
	f.t.Helper()
	if w := f.writes(); len(w) > 0 {
		f.t.Errorf("%s: Proxmox received writes %v", what, w)
	}
}

func (f *confirmFixture) status(vmid int) string {
	g, _ := f.sim.Guest(vmid)
	return g.Status
}

// tokenOf returns the token of a confirmation answer, failing if there is none.
func tokenOf(t *testing.T, res *mcp.CallToolResult) string {
	t.Helper()
	txt := resultText(res)
	if !strings.HasPrefix(txt, "CONFIRMATION NEEDED") {
		t.Fatalf("not a confirmation answer: %s", txt)
	}
	_, rest, ok := strings.Cut(txt, `"confirm": "`)
	tok, _, ok2 := strings.Cut(rest, `"`)
	if !ok || !ok2 || len(tok) != 34 {
		t.Fatalf("no token in: %s", txt)
	}
	return tok
}

func with(args map[string]any, k string, v any) map[string]any {
	out := map[string]any{k: v}
	for a, x := range args {
		if a != k {
			out[a] = x
		}
	}
	return out
}

// The token path: the first call states what will happen and changes
// nothing; the second, with the token, does it.
func TestConfirmTokenPath(t *testing.T) {
	f := newConfirmFixture(t, ConfirmDestructive, ModeAll)
	cs := f.stdio(nil)
	if f.status(101) != "running" {
		t.Fatalf("vm 101 is %s", f.status(101))
	}
	args := map[string]any{"vmid": 101}
	res := f.call(cs, "pve_stop_qemu_vm", args)
	txt := resultText(res)
	// The tool lists an output schema in mode all: the answer is an error result.
	if !res.IsError {
		t.Errorf("confirmation answer of a tool with an output schema is not isError: %s", txt)
	}
	g, _ := f.sim.Guest(101)
	for _, want := range []string{"pve_stop_qemu_vm", `qemu 101 "` + g.Config["name"] + `" on node ` + g.Node, "running",
		"scsi0=", "Snapshots: pre-upgrade", "vm:101 started", "Backup jobs: ", "all guests", `"vmid":101`} {
		if !strings.Contains(txt, want) {
			t.Errorf("summary lacks %q:\n%s", want, txt)
		}
	}
	f.noWrites("without a token")
	tok := tokenOf(t, res)

	f.sim.ResetRequests()
	if res := f.call(cs, "pve_stop_qemu_vm", with(args, "confirm", tok)); res.IsError {
		t.Fatalf("with the token: %s", resultText(res))
	}
	if f.sim.Find("POST", "/nodes/"+g.Node+"/qemu/101/status/stop") == nil {
		t.Errorf("the stop did not reach Proxmox: %v", f.writes())
	}
}

// A token fits one call only: other arguments, a changed target, an
// expired token or garbage are refused, and nothing but reads reaches Proxmox.
func TestConfirmTokenRefused(t *testing.T) {
	args := map[string]any{"vmid": 101}
	cases := []struct {
		name   string
		change func(f *confirmFixture)
		args   map[string]any
		want   string
	}{
		{name: "tampered arguments", args: map[string]any{"vmid": 101, "overrule_shutdown": true}, want: "does not match"},
		{name: "other guest", args: map[string]any{"vmid": 100}, want: "does not match"},
		{name: "snapshot added", change: func(f *confirmFixture) {
			g, _ := f.sim.Guest(101)
			if err := f.env.PVE.Do(context.Background(), "POST", "/nodes/"+g.Node+"/qemu/101/snapshot", pve.Values{"snapname": {"extra"}}, nil); err != nil {
				f.t.Fatal(err)
			}
			deadline := time.Now().Add(5 * time.Second)
			for {
				g, _ = f.sim.Guest(101)
				if slices.ContainsFunc(g.Snapshots, func(s *pvesim.Snapshot) bool { return s.Name == "extra" }) || time.Now().After(deadline) {
					break
				}
				time.Sleep(10 * time.Millisecond)
			}
		}, want: "does not match"},
		{name: "expired", change: func(f *confirmFixture) { f.now.Add(int64(DefaultConfirmTTL/time.Second) + 1) }, want: "expired"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newConfirmFixture(t, ConfirmDestructive, ModeAll)
			cs := f.stdio(nil)
			tok := tokenOf(t, f.call(cs, "pve_stop_qemu_vm", args))
			if c.change != nil {
				c.change(f)
			}
			f.sim.ResetRequests()
			again := args
			if c.args != nil {
				again = c.args
			}
			res := f.call(cs, "pve_stop_qemu_vm", with(again, "confirm", tok))
			if txt := resultText(res); !res.IsError || !strings.Contains(txt, c.want) || !strings.Contains(txt, "was not run") {
				t.Errorf("want an error saying %q, got isError=%v: %s", c.want, res.IsError, txt)
			}
			f.noWrites(c.name)
			if f.status(101) != "running" {
				t.Errorf("vm 101 is %s", f.status(101))
			}
		})
	}
	t.Run("garbage", func(t *testing.T) {
		f := newConfirmFixture(t, ConfirmDestructive, ModeAll)
		res := f.call(f.stdio(nil), "pve_stop_qemu_vm", with(args, "confirm", "yes"))
		if !res.IsError || !strings.Contains(resultText(res), "not a confirmation token") {
			t.Errorf("got %s", resultText(res))
		}
		f.noWrites("garbage")
	})
}

// Over HTTP the caller is in the token: another caller cannot use it.
func TestConfirmOtherCaller(t *testing.T) {
	f := newConfirmFixture(t, ConfirmDestructive, ModeAll)
	alice, bob := f.http("oauth:alice", nil), f.http("oauth:bob", nil)
	args := map[string]any{"vmid": 101}
	tok := tokenOf(t, f.call(alice, "pve_stop_qemu_vm", args))
	f.sim.ResetRequests()
	res := f.call(bob, "pve_stop_qemu_vm", with(args, "confirm", tok))
	if !res.IsError || !strings.Contains(resultText(res), "does not match") {
		t.Errorf("bob used alice's token: %s", resultText(res))
	}
	f.noWrites("another caller")
	if res := f.call(alice, "pve_stop_qemu_vm", with(args, "confirm", tok)); res.IsError {
		t.Errorf("alice's own token: %s", resultText(res))
	}
	if f.status(101) != "stopped" {
		t.Errorf("vm 101 is %s", f.status(101))
	}
}

// A client that declared elicitation is asked (a multi-round-trip input
// request, over in-memory and over stateless HTTP); only an accepted yes
// runs, and only while the question is fresh.
func TestConfirmElicitation(t *testing.T) {
	cases := []struct {
		name    string
		answer  func(f *confirmFixture) (*mcp.ElicitResult, error)
		runs    bool
		errWant string // "" with !runs: the client's own error, no result
	}{
		{"accept", func(*confirmFixture) (*mcp.ElicitResult, error) {
			return &mcp.ElicitResult{Action: "accept", Content: map[string]any{"confirm": true}}, nil
		}, true, ""},
		{"accept but no", func(*confirmFixture) (*mcp.ElicitResult, error) {
			return &mcp.ElicitResult{Action: "accept", Content: map[string]any{"confirm": false}}, nil
		}, false, "said no"},
		{"decline", func(*confirmFixture) (*mcp.ElicitResult, error) { return &mcp.ElicitResult{Action: "decline"}, nil }, false, "answered decline"},
		{"cancel", func(*confirmFixture) (*mcp.ElicitResult, error) { return &mcp.ElicitResult{Action: "cancel"}, nil }, false, "answered cancel"},
		{"handler error", func(*confirmFixture) (*mcp.ElicitResult, error) { return nil, errors.New("no UI") }, false, ""},
		// The user answers yes, but after the question expired.
		{"too late", func(f *confirmFixture) (*mcp.ElicitResult, error) {
			f.now.Add(int64(DefaultConfirmTTL/time.Second) + 1)
			return &mcp.ElicitResult{Action: "accept", Content: map[string]any{"confirm": true}}, nil
		}, false, "expired"},
	}
	// in-memory: protocol 2026-07-28, the client answers and retries;
	// 2025-06-18: the go-sdk sends elicitation/create and asks the tool
	// again; http: stateless Streamable HTTP on 2026-07-28.
	for _, transport := range []string{"in-memory", "2025-06-18", "http"} {
		for _, c := range cases {
			t.Run(transport+"/"+c.name, func(t *testing.T) {
				f := newConfirmFixture(t, ConfirmDestructive, ModeAll)
				var msg string
				opts := &mcp.ClientOptions{ElicitationHandler: func(ctx context.Context, req *mcp.ElicitRequest) (*mcp.ElicitResult, error) {
					msg = req.Params.Message
					return c.answer(f)
				}}
				var cs *mcp.ClientSession
				switch transport {
				case "http":
					cs = f.http("oauth:alice", opts)
				case "2025-06-18":
					cs = f.stdioOn(transport, opts)
					if v := cs.InitializeResult().ProtocolVersion; v != transport {
						t.Fatalf("protocol %s", v)
					}
				default:
					cs = f.stdio(opts)
				}
				res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "pve_stop_qemu_vm", Arguments: map[string]any{"vmid": 101}})
				if !strings.Contains(msg, "Snapshots: pre-upgrade") || !strings.Contains(msg, "Proceed?") {
					t.Errorf("question lacks the summary: %q", msg)
				}
				if c.runs {
					if err != nil || res.IsError {
						t.Fatalf("accepted but failed: %v %v", err, res)
					}
					if f.status(101) != "stopped" {
						t.Errorf("vm 101 is %s", f.status(101))
					}
					return
				}
				switch {
				case c.errWant == "" && err == nil:
					t.Errorf("the client's failed answer became a result: %s", resultText(res))
				case c.errWant != "" && (err != nil || !res.IsError || !strings.Contains(resultText(res), c.errWant)):
					t.Errorf("want an error result saying %q: %v %v", c.errWant, err, res)
				}
				f.noWrites(c.name)
				if f.status(101) != "running" {
					t.Errorf("vm 101 is %s", f.status(101))
				}
			})
		}
	}
}

// The policies: off asks nothing and lists no confirm; writes covers
// every change; destructive only the destructive tools.
func TestConfirmPolicies(t *testing.T) {
	cases := []struct {
		policy            ConfirmPolicy
		tool              string
		args              map[string]any
		asks, listConfirm bool
	}{
		{ConfirmOff, "pve_stop_qemu_vm", map[string]any{"vmid": 101}, false, false},
		{ConfirmDestructive, "pve_start_qemu_vm", map[string]any{"vmid": 102}, false, false},
		{ConfirmDestructive, "pve_stop_qemu_vm", map[string]any{"vmid": 101}, true, true},
		{ConfirmWrites, "pve_start_qemu_vm", map[string]any{"vmid": 102}, true, true},
		{ConfirmWrites, "pve_get_qemu_status", map[string]any{"vmid": 101}, false, false},
	}
	for _, c := range cases {
		t.Run(c.policy.String()+"/"+c.tool, func(t *testing.T) {
			f := newConfirmFixture(t, c.policy, ModeAll)
			cs := f.stdio(nil)
			list, err := cs.ListTools(context.Background(), nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, tool := range list.Tools {
				if tool.Name != c.tool {
					continue
				}
				has := listsConfirm(tool)
				if has != c.listConfirm {
					t.Errorf("confirm listed: %v, want %v", has, c.listConfirm)
				}
			}
			res := f.call(cs, c.tool, c.args)
			asked := strings.HasPrefix(resultText(res), "CONFIRMATION NEEDED")
			if asked != c.asks {
				t.Errorf("asked: %v, want %v: %s", asked, c.asks, resultText(res))
			}
			if !c.asks && res.IsError {
				t.Errorf("failed: %s", resultText(res))
			}
			if c.asks {
				f.noWrites("asking")
			}
			if !c.listConfirm {
				res := f.call(cs, c.tool, with(c.args, "confirm", "x"))
				if !res.IsError {
					t.Errorf("confirm accepted where the tool does not ask")
				}
			}
		})
	}
}

// Compact mode: only pve_destroy lists confirm, the answer is a plain
// success (the dispatcher has no output schema) naming pve_destroy, and
// the token works at the dispatcher's top level.
func TestConfirmCompact(t *testing.T) {
	f := newConfirmFixture(t, ConfirmDestructive, ModeCompact)
	cs := f.stdio(nil)
	list, err := cs.ListTools(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tool := range list.Tools {
		has := listsConfirm(tool)
		want := tool.Name == "pve_destroy" || tool.Name == "pve_stop_qemu_vm" || tool.Name == "pve_stop_lxc_container"
		if has != want {
			t.Errorf("%s lists confirm: %v, want %v", tool.Name, has, want)
		}
	}
	inner := map[string]any{"vmid": 101}
	res := f.call(cs, "pve_destroy", map[string]any{"tool": "pve_rollback_qemu_snapshot", "arguments": with(inner, "snapname", "pre-upgrade")})
	if res.IsError {
		t.Fatalf("confirmation answer through a dispatcher is an error: %s", resultText(res))
	}
	if !strings.Contains(resultText(res), "call pve_destroy again with the same tool and arguments") {
		t.Errorf("answer does not say how to go on: %s", resultText(res))
	}
	sc, _ := res.StructuredContent.(map[string]any)
	tok := tokenOf(t, res)
	if sc["confirm"] != tok || sc["confirmation_required"] != true {
		t.Errorf("structuredContent: %v", res.StructuredContent)
	}
	f.noWrites("without a token")
	res = f.call(cs, "pve_destroy", map[string]any{"tool": "pve_rollback_qemu_snapshot", "arguments": with(inner, "snapname", "pre-upgrade"), "confirm": tok})
	if res.IsError {
		t.Fatalf("with the token: %s", resultText(res))
	}
	if len(f.writes()) != 1 {
		t.Errorf("writes: %v", f.writes())
	}
	// pve_change asks nothing under destructive, and refuses confirm.
	res = f.call(cs, "pve_change", map[string]any{"tool": "pve_start_qemu_vm", "arguments": map[string]any{"vmid": 102}, "confirm": tok})
	if !res.IsError || !strings.Contains(resultText(res), "do not ask for confirmation") {
		t.Errorf("pve_change with confirm: %s", resultText(res))
	}
}

// A tool without a guest is confirmed on its name and arguments.
func TestConfirmWithoutGuest(t *testing.T) {
	f := newConfirmFixture(t, ConfirmDestructive, ModeAll)
	cs := f.stdio(nil)
	args := map[string]any{"userid": "alice@pve"}
	res := f.call(cs, "pve_delete_user", args)
	txt := resultText(res)
	if !strings.Contains(txt, "pve_delete_user") || !strings.Contains(txt, `{"userid":"alice@pve"}`) || strings.Contains(txt, "Target:") {
		t.Errorf("summary: %s", txt)
	}
	f.noWrites("without a token")
	tok := tokenOf(t, res)
	if res := f.call(cs, "pve_delete_user", with(map[string]any{"userid": "bob@pve"}, "confirm", tok)); !res.IsError {
		t.Errorf("token of another user's delete accepted")
	}
	f.noWrites("other arguments")
}

func TestParseConfirmPolicy(t *testing.T) {
	for in, want := range map[string]ConfirmPolicy{"": ConfirmDestructive, "destructive": ConfirmDestructive, "WRITES": ConfirmWrites, " off ": ConfirmOff} {
		if got, err := ParseConfirmPolicy(in); err != nil || got != want {
			t.Errorf("%q: %v %v", in, got, err)
		}
	}
	if _, err := ParseConfirmPolicy("yes"); err == nil {
		t.Error("yes accepted")
	}
}

func listsConfirm(tool *mcp.Tool) bool {
	props, _ := tool.InputSchema.(map[string]any)["properties"].(map[string]any)
	_, has := props["confirm"]
	return has
}
