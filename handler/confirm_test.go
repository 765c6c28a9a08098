package handler

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/pve-mcp/pve-mcp/secrets"
	"github.com/pve-mcp/pve-mcp/secrets/secretstest"
)

const confirmKey = "confirmKEYconfirmKEYconfirmKEY0123456789"

var tokenRe = regexp.MustCompile(`"confirm": "([A-Za-z0-9_-]{34})"`)

// confirmToken calls tool without confirm and returns the token of the
// answer; nothing but reads may reach Proxmox.
func (e *secEnv) confirmToken(bearer, tool string, args map[string]any) string {
	e.t.Helper()
	e.wire.reset()
	res, err := e.call(bearer, tool, args)
	if err != nil {
		e.t.Fatal(err)
	}
	m := tokenRe.FindStringSubmatch(res.text())
	if m == nil || !strings.HasPrefix(res.text(), "CONFIRMATION NEEDED") {
		e.t.Fatalf("%s: no confirmation answer: %s", tool, res.text())
	}
	if w := e.writes(); len(w) > 0 {
		e.t.Errorf("%s without confirm wrote %v", tool, w)
	}
	return m[1]
}

// A dry run over HTTP under PVE_CONFIRM=writes: the plan at once, no
// write, and the audit line says dry_run.
func TestDryRunOverHTTP(t *testing.T) {
	e := newSecEnv(t, map[string]string{"MCP_AUTH_TOKENS": allTokens, "PVE_CONFIRM": "writes", "PVE_CONFIRM_KEY": confirmKey})
	res, err := e.call(tokAdmin, "pve_stop_qemu_vm", map[string]any{"vmid": 101, "dry_run": true})
	if err != nil || res.IsError || !strings.Contains(res.text(), `"after":"stopped"`) || !strings.Contains(res.text(), "DRY RUN") {
		t.Fatalf("dry run: %v %s", err, res.text())
	}
	if w := e.writes(); len(w) > 0 {
		t.Errorf("dry run wrote %v", w)
	}
	if l := e.logs.auditLines(t); len(l) != 1 || l[0]["outcome"] != OutcomeDryRun {
		t.Errorf("audit of the dry run: %v", l)
	}
}

// Over stateless HTTP with the production default: a token from one
// instance works on another with the same PVE_CONFIRM_KEY, for the same
// caller only.
func TestConfirmOverHTTP(t *testing.T) {
	env := map[string]string{"MCP_AUTH_TOKENS": allTokens, "PVE_CONFIRM": "destructive", "PVE_CONFIRM_KEY": confirmKey, "SIM_NOW": "2026-06-01T12:00:00Z"}
	a, b := newSecEnv(t, env), newSecEnv(t, env)
	args := map[string]any{"vmid": 101}
	tok := a.confirmToken(tokAdmin, "pve_stop_qemu_vm", args)

	// Another caller (the rotated admin token is another name) cannot use it.
	b.wire.reset()
	res, err := b.call(tokAdminNew, "pve_stop_qemu_vm", map[string]any{"vmid": 101, "confirm": tok})
	if err != nil || !res.IsError || !strings.Contains(res.text(), "does not match") {
		t.Errorf("another caller's token: %v %s", err, res.text())
	}
	if w := b.writes(); len(w) > 0 {
		t.Errorf("another caller's token wrote %v", w)
	}
	// The same caller on the other instance can.
	res, err = b.call(tokAdmin, "pve_stop_qemu_vm", map[string]any{"vmid": 101, "confirm": tok})
	if err != nil || res.IsError {
		t.Fatalf("same caller, other instance: %v %s", err, res.text())
	}
	if w := b.writes(); len(w) != 1 || !strings.Contains(w[0], "/qemu/101/status/stop") {
		t.Errorf("writes: %v", w)
	}
	if l := a.logs.auditLines(t); len(l) != 1 || l[0]["outcome"] != OutcomeConfirm || l[0]["error"] != nil {
		t.Errorf("audit of the confirmation answer: %v", l)
	}
	for _, l := range a.logs.lines(t) {
		if strings.Contains(l["msg"].(string), "PVE_CONFIRM_KEY is not set") {
			t.Errorf("warned although the key is set: %v", l)
		}
	}
}

// Without a key, the handler warns that tokens only verify where issued;
// with confirmation off it has nothing to warn about.
func TestConfirmKeyWarning(t *testing.T) {
	for _, c := range []struct {
		policy string
		warns  bool
	}{{"destructive", true}, {"writes", true}, {"off", false}} {
		e := newSecEnv(t, map[string]string{"MCP_AUTH_TOKENS": allTokens, "PVE_CONFIRM": c.policy})
		warned := false
		for _, l := range e.logs.lines(t) {
			warned = warned || strings.Contains(l["msg"].(string), "PVE_CONFIRM_KEY is not set")
		}
		if warned != c.warns {
			t.Errorf("PVE_CONFIRM=%s: warned %v", c.policy, warned)
		}
	}
	if _, err := tryNewSecEnv(t, map[string]string{"PVE_CONFIRM_KEY": "short"}); err == nil || !strings.Contains(err.Error(), "PVE_CONFIRM_KEY") {
		t.Errorf("short key: %v", err)
	}
	if _, err := tryNewSecEnv(t, map[string]string{"PVE_CONFIRM": "always"}); err == nil || !strings.Contains(err.Error(), "PVE_CONFIRM") {
		t.Errorf("unknown policy: %v", err)
	}
}

// The key from Secrets Manager (PVE_CONFIRM_KEY_SECRET_ARN): two instances
// reading it verify each other's tokens; a short secret stops startup
// without quoting it.
func TestConfirmKeyFromSecret(t *testing.T) {
	sm := secretstest.New(t)
	arn := secretstest.ARN("confirm-key")
	sm.Put(arn, confirmKey)
	orig := newSecretsAPI
	t.Cleanup(func() { newSecretsAPI = orig })
	newSecretsAPI = func(context.Context) (secrets.API, error) { return sm.Client(t), nil }

	env := map[string]string{"MCP_AUTH_TOKENS": allTokens, "PVE_CONFIRM": "destructive", "PVE_CONFIRM_KEY_SECRET_ARN": arn, "SIM_NOW": "2026-06-01T12:00:00Z"}
	a, b := newSecEnv(t, env), newSecEnv(t, env)
	if string(a.built.confirmKey) != confirmKey {
		t.Fatal("key not read from the secret")
	}
	tok := a.confirmToken(tokAdmin, "pve_stop_qemu_vm", map[string]any{"vmid": 101})
	if res, err := b.call(tokAdmin, "pve_stop_qemu_vm", map[string]any{"vmid": 101, "confirm": tok}); err != nil || res.IsError {
		t.Fatalf("other instance: %v %s", err, res.text())
	}
	short := secretstest.ARN("short")
	sm.Put(short, "tooShortKey")
	_, err := tryNewSecEnv(t, map[string]string{"PVE_CONFIRM_KEY_SECRET_ARN": short})
	if err == nil || !strings.Contains(err.Error(), "at least 32") || strings.Contains(err.Error(), "tooShortKey") {
		t.Errorf("short secret: %v", err)
	}
}

type bearerRT struct{ token string }

func (b bearerRT) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return http.DefaultTransport.RoundTrip(r)
}

// A go-sdk client on protocol 2026-07-28 that declared elicitation, through
// the whole handler (auth, framing, audit): the question comes as a
// multi-round-trip input request over stateless HTTP, and only a yes runs.
func TestConfirmElicitationOverHTTP(t *testing.T) {
	for _, yes := range []bool{true, false} {
		e := newSecEnv(t, map[string]string{"MCP_AUTH_TOKENS": allTokens, "PVE_CONFIRM": "destructive", "PVE_CONFIRM_KEY": confirmKey})
		var asked string
		client := mcp.NewClient(&mcp.Implementation{Name: "test", Version: "1"}, &mcp.ClientOptions{
			ElicitationHandler: func(_ context.Context, req *mcp.ElicitRequest) (*mcp.ElicitResult, error) {
				asked = req.Params.Message
				return &mcp.ElicitResult{Action: "accept", Content: map[string]any{"confirm": yes}}, nil
			},
		})
		tr := &mcp.StreamableClientTransport{Endpoint: e.srv.URL + "/mcp", HTTPClient: &http.Client{Transport: bearerRT{tokAdmin}}}
		cs, err := client.Connect(context.Background(), tr, nil)
		if err != nil {
			t.Fatal(err)
		}
		e.wire.reset()
		res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "pve_stop_qemu_vm", Arguments: map[string]any{"vmid": 101}})
		cs.Close()
		if err != nil {
			t.Fatalf("yes=%v: %v", yes, err)
		}
		if !strings.Contains(asked, "Snapshots: pre-upgrade") {
			t.Errorf("yes=%v: question %q", yes, asked)
		}
		w := e.writes()
		if yes && (res.IsError || len(w) != 1) {
			t.Errorf("yes: %v %v", res, w)
		}
		if !yes && (!res.IsError || len(w) != 0) {
			t.Errorf("no: %v %v", res, w)
		}
		outcomes := []any{}
		for _, l := range e.logs.auditLines(t) {
			outcomes = append(outcomes, l["outcome"])
		}
		want := OutcomeOK
		if !yes {
			want = OutcomeError
		}
		if len(outcomes) != 2 || outcomes[0] != OutcomeConfirm || outcomes[1] != want {
			t.Errorf("yes=%v: audit outcomes %v", yes, outcomes)
		}
	}
}
