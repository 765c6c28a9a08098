package main

import (
	"strings"
	"testing"
)

// A public function URL (AuthType NONE) must not serve tools to anyone: MCP
// authentication is then required, unless MCP_AUTH=none says otherwise.
func TestPublicFunctionURLNeedsAuth(t *testing.T) {
	base := map[string]string{
		"PVE_BASE_URL": "https://127.0.0.1:8006", "PVE_TOKEN_ID": "mcp@pve!lambda",
		"PVE_TOKEN_SECRET": "00000000-test-4000-8000-000000000000", "PVE_SKIP_CHECK": "true",
	}
	cases := []struct {
		name    string
		extra   map[string]string
		wantErr string
	}{
		{"IAM-protected URL", map[string]string{"FUNCTION_URL_AUTH_TYPE": "AWS_IAM"}, ""},
		{"public URL, no auth", map[string]string{"FUNCTION_URL_AUTH_TYPE": "NONE"}, "function URL is public"},
		{"unknown auth type counts as public", nil, "function URL is public"},
		{"public URL, explicit none", map[string]string{"FUNCTION_URL_AUTH_TYPE": "NONE", "MCP_AUTH": "none"}, ""},
		{"public URL, bearer tokens", map[string]string{"FUNCTION_URL_AUTH_TYPE": "NONE",
			"MCP_AUTH_TOKENS": "ci:read-only:" + strings.Repeat("k", 40)}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			env := map[string]string{}
			for k, v := range base {
				env[k] = v
			}
			for k, v := range c.extra {
				env[k] = v
			}
			_, cleanup, err := setup(func(k string) string { return env[k] })
			defer cleanup()
			switch {
			case c.wantErr == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)):
				t.Fatalf("error %v, want %q", err, c.wantErr)
			}
		})
	}
}
