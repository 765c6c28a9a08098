package config

import (
	"crypto/sha256"
	"strings"
	"testing"
	"time"

	"github.com/pve-mcp/pve-mcp/tools"
)

const (
	tokA = "AAAAaaaaAAAAaaaaAAAAaaaaAAAAaaaa01"
	tokB = "BBBBbbbbBBBBbbbbBBBBbbbbBBBBbbbb02"
)

func authEnv(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestParseTokens(t *testing.T) {
	toks, err := ParseTokens("ci:read-only:" + tokA + ",\n ops:full:qemu+lxc:" + tokB)
	if err != nil {
		t.Fatal(err)
	}
	if len(toks) != 2 || toks[0].Name != "ci" || toks[0].Tier != tools.ReadOnly || toks[0].Categories != nil ||
		toks[1].Name != "ops" || toks[1].Tier != tools.Full || len(toks[1].Categories) != 2 {
		t.Fatalf("tokens = %+v", toks)
	}
	if toks[0].Hash != sha256.Sum256([]byte(tokA)) {
		t.Fatal("hash is not the token's SHA-256")
	}
	js, err := ParseTokens(`[{"name":"ci","tier":"read-execute","categories":["tasks"],"token":"` + tokA + `"}]`)
	if err != nil || len(js) != 1 || js[0].Tier != tools.ReadExecute || js[0].Categories[0] != tools.Tasks {
		t.Fatalf("JSON form: %+v %v", js, err)
	}
	wrapped, err := ParseTokens(`{"tokens":[{"name":"ci","tier":"full","token":"` + tokB + `"}]}`)
	if err != nil || len(wrapped) != 1 {
		t.Fatalf("wrapped JSON form: %+v %v", wrapped, err)
	}

	for _, c := range []struct{ in, want string }{
		{"", "no tokens"},
		{"ci:" + tokA, "expected name:tier:token"},
		{"ci:admin:" + tokA, `token "ci"`},
		{"ci:admin:" + tokA, "read-only, read-execute, full"},
		{"ci:full:short", "shorter than 32"},
		{"ci:full:" + tokA + ",ci:full:" + tokB, "used twice"},
		{"a:full:" + tokA + ",b:read-only:" + tokA, "same token"},
		{"bad name!:full:" + tokA, "name must be"},
		{"ci:full:nosuchcat:" + tokA, `token "ci"`},
		{"ci:full:" + tokA + "\"<>", "base64/hex"},
		{`[{"name":"ci"`, "not valid JSON"},
		// Fields in the wrong order put the token where a tier, category
		// or name belongs: it is never quoted.
		{"ci:" + tokA + ":read-only", "tier field"},
		{"ci:read-only:" + tokA + ":qemu", "categories field"},
		{tokA + ":read-only:ci", "token #1"},
		{"ci:read-only:qemu:lxc:" + tokA, "entry \"ci\" (#1)"},
		{`[{"name":"` + tokA + `","tier":"full","token":"x"}]`, "#1"},
		{`[{"name":"ci","tier":"` + tokA + `","token":"` + tokB + `"}]`, "tier field"},
	} {
		_, err := ParseTokens(c.in)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ParseTokens(%.30q) = %v, want error containing %q", c.in, err, c.want)
		}
		if err != nil && (strings.Contains(err.Error(), tokA) || strings.Contains(err.Error(), tokB) || strings.Contains(err.Error(), "short\"")) {
			t.Errorf("error quotes the token: %v", err)
		}
	}
}

func TestAuthFromEnv(t *testing.T) {
	a, errs := authFromEnv(authEnv(map[string]string{
		"MCP_AUTH_TOKENS": "ci:read-only:" + tokA, "MCP_OAUTH_ISSUER": "https://auth.example.com/",
		"MCP_OAUTH_AUDIENCE": "https://mcp.example.com/mcp", "MCP_ALLOWED_ORIGINS": "https://App.Example.com:443, http://localhost:6274",
		"MCP_REQUEST_TIMEOUT": "45",
	}))
	if len(errs) != 0 {
		t.Fatal(errs)
	}
	if !a.Enabled() || len(a.Tokens) != 1 || a.OAuth == nil || a.OAuth.Issuer != "https://auth.example.com/" || a.RequestTimeout != 45*time.Second {
		t.Fatalf("auth = %+v", a)
	}
	if strings.Join(a.AllowedOrigins, " ") != "https://app.example.com http://localhost:6274" {
		t.Errorf("origins = %v", a.AllowedOrigins)
	}
	if d, _ := authFromEnv(authEnv(nil)); d.Enabled() || d.None || d.RequestTimeout != DefaultRequestTimeout*time.Second {
		t.Errorf("defaults = %+v", d)
	}

	for _, c := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"MCP_AUTH": "basic"}, "use tokens, oauth"},
		{map[string]string{"MCP_AUTH": "none", "MCP_AUTH_TOKENS": "ci:full:" + tokA}, "contradicts"},
		{map[string]string{"MCP_AUTH": "tokens"}, "neither MCP_AUTH_TOKENS"},
		{map[string]string{"MCP_AUTH": "oauth"}, "MCP_OAUTH_ISSUER is not set"},
		{map[string]string{"MCP_AUTH": "oauth", "MCP_AUTH_TOKENS": "ci:full:" + tokA, "MCP_OAUTH_ISSUER": "https://a.example", "MCP_OAUTH_AUDIENCE": "https://m.example/mcp"}, "does not list tokens"},
		{map[string]string{"MCP_OAUTH_ISSUER": "https://a.example"}, "MCP_OAUTH_AUDIENCE is required"},
		{map[string]string{"MCP_OAUTH_AUDIENCE": "https://m.example/mcp"}, "MCP_OAUTH_ISSUER is required"},
		{map[string]string{"MCP_OAUTH_ISSUER": "http://auth.example.com", "MCP_OAUTH_AUDIENCE": "https://m.example/mcp"}, "must use https"},
		{map[string]string{"MCP_OAUTH_ISSUER": "https://a.example", "MCP_OAUTH_AUDIENCE": "https://m.example/mcp", "MCP_OAUTH_JWKS_URL": "http://keys.example.com/jwks"}, "must use https"},
		{map[string]string{"MCP_ALLOWED_ORIGINS": "https://app.example.com/path"}, "not an origin"},
		{map[string]string{"MCP_REQUEST_TIMEOUT": "0"}, "MCP_REQUEST_TIMEOUT"},
		{map[string]string{"MCP_AUTH_SECRET_ARN": "my-secret"}, "Secrets Manager ARN"},
	} {
		_, errs := authFromEnv(authEnv(c.env))
		joined := ""
		for _, e := range errs {
			joined += e.Error() + "; "
		}
		if !strings.Contains(joined, c.want) {
			t.Errorf("%v: errors %q, want %q", c.env, joined, c.want)
		}
	}
	// http is fine for a loopback issuer (a local authorization server, tests).
	if _, errs := authFromEnv(authEnv(map[string]string{"MCP_OAUTH_ISSUER": "http://127.0.0.1:9000", "MCP_OAUTH_AUDIENCE": "http://localhost:8080/mcp"})); len(errs) != 0 {
		t.Errorf("loopback http: %v", errs)
	}
}

// FromEnv reads the auth settings and reports their errors with the rest.
func TestFromEnvAuth(t *testing.T) {
	c, err := FromEnv(authEnv(map[string]string{"MCP_AUTH_TOKENS": "ci:full:" + tokA}), true)
	if err != nil || len(c.Auth.Tokens) != 1 {
		t.Fatalf("%+v %v", c.Auth, err)
	}
	if _, err := FromEnv(authEnv(map[string]string{"MCP_AUTH": "tokens"}), true); err == nil || !strings.Contains(err.Error(), "MCP_AUTH") {
		t.Fatalf("err = %v", err)
	}
}

func TestCheckListen(t *testing.T) {
	tokens := Auth{Tokens: []BearerToken{{Name: "ci"}}}
	for _, c := range []struct {
		auth    Auth
		addr    string
		wantErr bool
		warn    bool
	}{
		{Auth{}, "127.0.0.1:8080", false, false},
		{Auth{}, "[::1]:8080", false, false},
		{Auth{}, "localhost:8080", false, false},
		{Auth{}, ":8080", true, false},
		{Auth{}, "0.0.0.0:8080", true, false},
		{Auth{}, "[::]:8080", true, false},
		{Auth{}, "10.0.0.5:8080", true, false},
		{Auth{}, "mcp.internal:8080", true, false},
		{tokens, ":8080", false, false},
		{Auth{OAuth: &OAuth{}}, ":8080", false, false},
		{Auth{SecretARN: "arn:aws:secretsmanager:eu-central-1:123456789012:secret:x"}, ":8080", false, false},
		{Auth{None: true}, ":8080", false, true},
		{Auth{None: true}, "127.0.0.1:8080", false, false},
	} {
		warn, err := c.auth.CheckListen(c.addr)
		if (err != nil) != c.wantErr || (warn != "") != c.warn {
			t.Errorf("%+v on %s: warning %q, error %v", c.auth, c.addr, warn, err)
		}
		if c.warn && !strings.Contains(warn, "MCP_AUTH=none") {
			t.Errorf("warning does not say why: %q", warn)
		}
	}
}

func TestCategoriesWithin(t *testing.T) {
	q, l, s := tools.QEMU, tools.LXC, tools.Storage
	for _, c := range []struct {
		dep, caller, want []tools.Category
		ok                bool
	}{
		{nil, nil, nil, true},
		{[]tools.Category{q, l}, nil, []tools.Category{q, l}, true},
		{nil, []tools.Category{s}, []tools.Category{s}, true},
		{[]tools.Category{q, l}, []tools.Category{l, s}, []tools.Category{l}, true},
		{[]tools.Category{q}, []tools.Category{s}, nil, false},
	} {
		got, ok := CategoriesWithin(c.dep, c.caller)
		if ok != c.ok || len(got) != len(c.want) {
			t.Errorf("CategoriesWithin(%v, %v) = %v %v", c.dep, c.caller, got, ok)
			continue
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("CategoriesWithin(%v, %v) = %v", c.dep, c.caller, got)
			}
		}
	}
}

func TestRedactTokens(t *testing.T) {
	toks, err := ParseTokens("a:full:" + tokA + ",b:full:" + tokB + ",c:full:" + tokB + "xyz")
	if err != nil {
		t.Fatal(err)
	}
	for in, want := range map[string]string{
		"":                                   "",
		"nothing here":                       "nothing here",
		tokA:                                 "#",
		"Bearer " + tokA:                     "Bearer #",
		"x" + tokA + "y" + tokB + "z":        "x#y#z",
		tokA + tokA:                          "##",
		tokB + "xyz":                         "#", // the longer token, whole
		tokA[:len(tokA)-1]:                   tokA[:len(tokA)-1],
		"pve_" + tokB + "_tool":              "pve_#_tool",
		strings.ToLower(tokA):                strings.ToLower(tokA),
		strings.Repeat("é", 20) + tokA + "é": strings.Repeat("é", 20) + "#é",
	} {
		if got := RedactTokens(in, toks, "#"); got != want {
			t.Errorf("RedactTokens(%q) = %q, want %q", in, got, want)
		}
	}
}
