package boot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pve-mcp/pve-mcp/handler"
	"github.com/pve-mcp/pve-mcp/internal/syncbuf"
	"github.com/pve-mcp/pve-mcp/pve/pvesim"
	"github.com/pve-mcp/pve-mcp/secrets"
	"github.com/pve-mcp/pve-mcp/secrets/secretstest"
)

// Fake tokens for the tests; never real values.
const (
	tokenID = "mcp@pve!lambda"
	secretA = "aaaaaaaa-1111-4111-8111-111111111111"
	secretB = "bbbbbbbb-2222-4222-8222-222222222222"
	simID   = "root@pam!sim"
	simSec  = "99999999-9999-4999-8999-999999999999"
)

func tokenJSON(secret string) string {
	return `{"token_id":"` + tokenID + `","token_secret":"` + secret + `"}`
}

// rotatingFront stands before the simulated cluster and accepts exactly one
// token at a time: a token rotation in Proxmox.
type rotatingFront struct {
	sim    *pvesim.Sim
	mu     sync.Mutex
	accept string
	seen   []string
}

func (f *rotatingFront) set(secret string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.accept = "PVEAPIToken=" + tokenID + "=" + secret
}

func (f *rotatingFront) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	got := r.Header.Get("Authorization")
	f.seen = append(f.seen, got)
	ok := got == f.accept
	f.mu.Unlock()
	if !ok {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	r.Header.Set("Authorization", "PVEAPIToken="+simID+"="+simSec)
	f.sim.ServeHTTP(w, r)
}

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

// mcpCall posts one JSON-RPC request to the handler and returns its result.
func mcpCall(t *testing.T, url, method string, params any) json.RawMessage {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": 1, "method": method, "params": params})
	req, _ := http.NewRequest(http.MethodPost, url+"/mcp", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("MCP-Protocol-Version", "2025-06-18")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out struct {
		Result json.RawMessage `json:"result"`
		Error  json.RawMessage `json:"error"`
	}
	if resp.StatusCode != 200 || json.Unmarshal(raw, &out) != nil || out.Error != nil {
		t.Fatalf("%s: %d %s", method, resp.StatusCode, raw)
	}
	return out.Result
}

// The whole path: the token read through the real SDK client from a local
// Secrets Manager, the startup check, MCP calls, then a rotation: Proxmox
// rejects the old token, the secret is read again once, the call succeeds.
func TestSecretTokenRotationEndToEnd(t *testing.T) {
	sm := secretstest.New(t)
	arn := secretstest.ARN("pve-mcp/dev/token")
	sm.Put(arn, tokenJSON(secretA))
	front := &rotatingFront{sim: pvesim.New(pvesim.Options{TokenID: simID, TokenSecret: simSec})}
	front.set(secretA)
	pveSrv := httptest.NewServer(front)
	defer pveSrv.Close()

	logs := &syncbuf.Buffer{}
	cfg, log, cleanup, err := LoadWith(Options{
		Getenv:    env(map[string]string{"PVE_BASE_URL": pveSrv.URL, "PVE_SECRET_ARN": arn, "PVE_TOKEN_ID": "old@pve!env", "PVE_TOKEN_SECRET": "env-secret-0000"}),
		LogOutput: logs,
		Secrets:   func(ctx context.Context) (secrets.API, error) { return sm.Client(t), nil },
	})
	defer cleanup()
	if err != nil {
		t.Fatalf("LoadWith: %v\n%s", err, logs)
	}
	if cfg.PVE.TokenID != tokenID || cfg.PVE.TokenSecret != secretA || cfg.PVE.Refresh == nil {
		t.Fatalf("token not taken from the secret: %s", cfg.PVE.TokenID)
	}
	h, err := handler.New(cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()

	call := func() string {
		res := mcpCall(t, srv.URL, "tools/call", map[string]any{"name": "pve_read", "arguments": map[string]any{"tool": "pve_list_nodes"}})
		var r struct {
			IsError bool `json:"isError"`
			Content []struct {
				Text string `json:"text"`
			} `json:"content"`
		}
		json.Unmarshal(res, &r)
		if r.IsError || len(r.Content) == 0 || !strings.Contains(r.Content[0].Text, "pve1") {
			t.Fatalf("pve_list_nodes: %s", res)
		}
		return r.Content[0].Text
	}
	call()
	if n := sm.Calls(arn); n != 1 {
		t.Fatalf("GetSecretValue calls before rotation = %d, want 1 (cached per cold start)", n)
	}

	// Rotation: Proxmox now accepts only B, the secret holds B.
	front.set(secretB)
	sm.Put(arn, tokenJSON(secretB))
	call()
	call()
	if n := sm.Calls(arn); n != 2 {
		t.Fatalf("GetSecretValue calls after rotation = %d, want 2", n)
	}
	front.mu.Lock()
	var rejected int
	for _, a := range front.seen {
		if strings.HasSuffix(a, secretA) {
			rejected++
		}
	}
	front.mu.Unlock()
	// A: startup check + first call + the rejected call; B afterwards.
	if rejected != 3 {
		t.Fatalf("calls with the old token = %d, want 3", rejected)
	}

	out := logs.String()
	for _, s := range []string{secretA, secretB, "env-secret-0000", tokenID} {
		if strings.Contains(out, s) {
			t.Fatalf("logs leak %q:\n%s", s, out)
		}
	}
	for _, s := range []string{`"message":"PVE_SECRET_ARN is set: the token in PVE_TOKEN_ID/PVE_TOKEN_SECRET is ignored"`, `"message":"Proxmox rejected the API token; read it again from AWS Secrets Manager"`, `"changed":true`, `"level":"WARN"`} {
		if !strings.Contains(out, s) {
			t.Errorf("logs lack %s:\n%s", s, out)
		}
	}
}

func TestSecretStartupFailures(t *testing.T) {
	sm := secretstest.New(t)
	denied, malformed, missing := secretstest.ARN("denied"), secretstest.ARN("malformed"), secretstest.ARN("missing")
	sm.Deny(denied)
	sm.Put(malformed, `token_secret=`+secretA)
	tests := []struct {
		arn     string
		want    error
		wantMsg string
	}{
		{arn: missing, want: secrets.ErrNotFound},
		{arn: denied, want: secrets.ErrAccessDenied},
		{arn: malformed, wantMsg: "is not a JSON object"},
	}
	for _, tt := range tests {
		t.Run(tt.arn, func(t *testing.T) {
			logs := &syncbuf.Buffer{}
			_, _, cleanup, err := LoadWith(Options{
				Getenv:    env(map[string]string{"PVE_BASE_URL": "https://pve.invalid:8006", "PVE_SECRET_ARN": tt.arn}),
				LogOutput: logs,
				Secrets:   func(ctx context.Context) (secrets.API, error) { return sm.Client(t), nil },
			})
			cleanup()
			if err == nil || (tt.want != nil && !errors.Is(err, tt.want)) || !strings.Contains(err.Error(), tt.wantMsg) || !strings.Contains(err.Error(), tt.arn) {
				t.Fatalf("err = %v", err)
			}
			if strings.Contains(err.Error(), secretA) || strings.Contains(logs.String(), secretA) {
				t.Fatal("the secret value leaked")
			}
		})
	}
}

func TestDemoFromEnv(t *testing.T) {
	for v, want := range map[string]bool{"": false, "0": false, "false": false, "TRUE": true, "1": true, " yes ": true} {
		got, err := DemoFromEnv(env(map[string]string{"PVE_DEMO": v}))
		if err != nil || got != want {
			t.Errorf("PVE_DEMO=%q: %v, %v", v, got, err)
		}
	}
	if _, err := DemoFromEnv(env(map[string]string{"PVE_DEMO": "sure"})); err == nil {
		t.Error("PVE_DEMO=sure must be refused")
	}
}

// Every runner writes one line shape that Lambda (timestamp, level) and
// Cloud Logging (severity, message) both read.
func TestLogFormat(t *testing.T) {
	var b bytes.Buffer
	l := NewLogger(&b, true)
	l.Debug("m", "k", "v")
	l.Info("m", "k", "v")
	l.Warn("m", "k", "v")
	l.Error("m", "k", "v")
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != 4 {
		t.Fatalf("lines: %q", lines)
	}
	levels := []string{"DEBUG", "INFO", "WARN", "ERROR"}
	severities := []string{"DEBUG", "INFO", "WARNING", "ERROR"}
	for i, line := range lines {
		var got map[string]any
		if err := json.Unmarshal([]byte(line), &got); err != nil {
			t.Fatalf("line %d is not JSON: %s", i, line)
		}
		if got["level"] != levels[i] || got["severity"] != severities[i] || got["message"] != "m" || got["k"] != "v" {
			t.Errorf("line %d: %s", i, line)
		}
		if _, err := time.Parse(time.RFC3339Nano, fmt.Sprint(got["timestamp"])); err != nil {
			t.Errorf("line %d: timestamp not RFC 3339: %s", i, line)
		}
		if got["msg"] != nil || got["time"] != nil {
			t.Errorf("line %d has slog's own keys: %s", i, line)
		}
		if !strings.HasPrefix(line, `{"timestamp":`) || !strings.Contains(line, `"level":"`+levels[i]+`","message":"m","severity":"`+severities[i]+`"`) {
			t.Errorf("line %d key order: %s", i, line)
		}
	}
	// Without debug, debug lines are dropped.
	b.Reset()
	NewLogger(&b, false).Debug("hidden")
	if b.Len() != 0 {
		t.Errorf("debug line written: %s", b.String())
	}
}

// The SDK's per-session lines go to DEBUG without their empty session_id;
// Ctrl-C ("server run cancelled") is not an ERROR.
func TestSDKLifecycleLinesAreDebug(t *testing.T) {
	var b bytes.Buffer
	l := NewLogger(&b, false)
	l.Info("server session connected", "session_id", "")
	l.Error("server run cancelled", "error", context.Canceled)
	l.Info("tool call", "session_id", "")
	if out := b.String(); strings.Contains(out, "server session") || strings.Contains(out, "cancelled") || !strings.Contains(out, `"message":"tool call","severity":"INFO","session_id":""`) {
		t.Fatalf("without debug: %s", out)
	}
	b.Reset()
	l = NewLogger(&b, true)
	l.Info("server session connected", "session_id", "")
	l.Error("server run cancelled", "error", context.Canceled)
	out := b.String()
	if strings.Contains(out, "session_id") || strings.Contains(out, `"ERROR"`) || strings.Count(out, `"level":"DEBUG"`) != 2 {
		t.Fatalf("with debug: %s", out)
	}
}
