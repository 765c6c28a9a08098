package handler

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/pve-mcp/pve-mcp/config"
	"github.com/pve-mcp/pve-mcp/secrets"
	"github.com/pve-mcp/pve-mcp/secrets/secretstest"
	"github.com/pve-mcp/pve-mcp/tools"
)

func TestCheckListenHandler(t *testing.T) {
	var logs bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	open := config.Config{}
	if err := CheckListen(open, ":8080", false, log); err == nil || !strings.Contains(err.Error(), "without authentication") {
		t.Fatalf("public address without auth: %v", err)
	}
	if err := CheckListen(open, "127.0.0.1:8080", false, log); err != nil {
		t.Fatalf("loopback: %v", err)
	}
	if err := CheckListen(open, ":8080", true, log); err != nil || !strings.Contains(logs.String(), "DEMO MODE") {
		t.Fatalf("demo: %v %s", err, logs.String())
	}
	logs.Reset()
	none := config.Config{Auth: config.Auth{None: true}}
	if err := CheckListen(none, ":8080", false, log); err != nil || !strings.Contains(logs.String(), `"level":"WARN"`) || !strings.Contains(logs.String(), "AUTHENTICATION IS OFF") {
		t.Fatalf("MCP_AUTH=none: %v %s", err, logs.String())
	}
}

// Tokens from a Secrets Manager secret (MCP_AUTH_SECRET_ARN), read through
// the secrets package from a local stand-in of the service.
func TestSecretTokens(t *testing.T) {
	sm := secretstest.New(t)
	arn := secretstest.ARN("mcp-tokens")
	sm.Put(arn, `{"tokens":[{"name":"from-secret","tier":"read-only","token":"`+tokReader+`"}]}`)
	orig := newSecretsAPI
	t.Cleanup(func() { newSecretsAPI = orig })
	newSecretsAPI = func(context.Context) (secrets.API, error) { return sm.Client(t), nil }

	e := newSecEnv(t, map[string]string{"MCP_AUTH_SECRET_ARN": arn, "MCP_AUTH_TOKENS": "admin:full:" + tokAdmin})
	if got, want := e.listTools(tokReader), selectedNames(t, tools.Selection{Tier: tools.ReadOnly}); len(got) != len(want) {
		t.Fatalf("secret token sees %d tools, want %d", len(got), len(want))
	}
	if n := len(e.listTools(tokAdmin)); n <= len(selectedNames(t, tools.Selection{Tier: tools.ReadOnly})) {
		t.Fatalf("env token sees %d tools", n)
	}
	e.call(tokReader, "pve_list_nodes", nil)
	if l := e.logs.auditLines(t); len(l) != 1 || l[0]["caller"] != "token:from-secret" {
		t.Fatalf("audit = %v", l)
	}
	if sm.Calls(arn) != 1 {
		t.Fatalf("secret read %d times", sm.Calls(arn))
	}

	// A name in both places, a bad secret, a denied secret: startup errors
	// that never quote the secret.
	sm.Put(secretstest.ARN("dup"), "admin:read-only:"+tokOperator)
	sm.Put(secretstest.ARN("bad"), "admin:read-only:short-"+tokOperator[:5])
	denied := secretstest.ARN("denied")
	sm.Put(denied, "x:full:"+tokOperator)
	sm.Deny(denied)
	for arn, want := range map[string]string{secretstest.ARN("dup"): "also in MCP_AUTH_TOKENS", secretstest.ARN("bad"): "shorter than", denied: "denied"} {
		_, err := tryNewSecEnv(t, map[string]string{"MCP_AUTH_SECRET_ARN": arn, "MCP_AUTH_TOKENS": "admin:full:" + tokAdmin})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", arn, err, want)
		}
		if err != nil && strings.Contains(err.Error(), tokOperator[:5]) {
			t.Errorf("error quotes the secret: %v", err)
		}
	}
}
