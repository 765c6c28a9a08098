package handler

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/pve-mcp/pve-mcp/tools"
)

// testIssuer is an authorization server on 127.0.0.1: metadata, a JWKS it
// can rotate, and keys generated for the test.
type testIssuer struct {
	t   *testing.T
	srv *httptest.Server
	URL string

	mu        sync.Mutex
	published []publishedKey
	jwksHits  int
	down      bool
	noMeta    bool
}

type publishedKey struct {
	kid  string
	alg  string
	priv crypto.Signer
}

func newTestIssuer(t *testing.T) *testIssuer {
	iss := &testIssuer{t: t}
	iss.srv = httptest.NewServer(http.HandlerFunc(iss.serve))
	t.Cleanup(iss.srv.Close)
	iss.URL = iss.srv.URL
	return iss
}

func (iss *testIssuer) serve(w http.ResponseWriter, r *http.Request) {
	iss.mu.Lock()
	defer iss.mu.Unlock()
	if iss.down {
		http.Error(w, "down", http.StatusServiceUnavailable)
		return
	}
	switch r.URL.Path {
	case "/.well-known/oauth-authorization-server":
		if iss.noMeta {
			http.NotFound(w, r)
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"issuer": iss.URL, "jwks_uri": iss.URL + "/keys"})
	case "/.well-known/openid-configuration":
		json.NewEncoder(w).Encode(map[string]any{"issuer": iss.URL, "jwks_uri": iss.URL + "/keys"})
	case "/keys":
		iss.jwksHits++
		var keys []map[string]any
		for _, k := range iss.published {
			keys = append(keys, jwkOf(k))
		}
		json.NewEncoder(w).Encode(map[string]any{"keys": keys})
	default:
		http.NotFound(w, r)
	}
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func jwkOf(k publishedKey) map[string]any {
	m := map[string]any{"kid": k.kid, "use": "sig", "alg": k.alg}
	switch p := k.priv.Public().(type) {
	case *rsa.PublicKey:
		m["kty"], m["n"], m["e"] = "RSA", b64(p.N.Bytes()), b64(big.NewInt(int64(p.E)).Bytes())
	case *ecdsa.PublicKey:
		size := (p.Curve.Params().BitSize + 7) / 8
		m["kty"], m["crv"] = "EC", p.Curve.Params().Name
		m["x"], m["y"] = b64(p.X.FillBytes(make([]byte, size))), b64(p.Y.FillBytes(make([]byte, size)))
	case ed25519.PublicKey:
		m["kty"], m["crv"], m["x"] = "OKP", "Ed25519", b64(p)
	}
	return m
}

// addKey generates and publishes a key.
func (iss *testIssuer) addKey(kid, alg string) publishedKey {
	iss.t.Helper()
	var priv crypto.Signer
	var err error
	switch alg {
	case "RS256", "PS256":
		priv, err = rsa.GenerateKey(rand.Reader, 2048)
	case "ES256":
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "EdDSA":
		_, priv, err = ed25519.GenerateKey(rand.Reader)
	}
	if err != nil {
		iss.t.Fatal(err)
	}
	k := publishedKey{kid: kid, alg: alg, priv: priv}
	iss.mu.Lock()
	iss.published = append(iss.published, k)
	iss.mu.Unlock()
	return k
}

func (iss *testIssuer) removeKey(kid string) {
	iss.mu.Lock()
	defer iss.mu.Unlock()
	iss.published = slices.DeleteFunc(iss.published, func(k publishedKey) bool { return k.kid == kid })
}

func (iss *testIssuer) hits() int {
	iss.mu.Lock()
	defer iss.mu.Unlock()
	return iss.jwksHits
}

const testAudience = "https://mcp.example.com/mcp"

// claims are valid for testAudience, now, with scope.
func (iss *testIssuer) claims(sub, scope string) jwt.MapClaims {
	now := time.Now()
	return jwt.MapClaims{
		"iss": iss.URL, "aud": testAudience, "sub": sub, "scope": scope,
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(10 * time.Minute).Unix(),
	}
}

func sign(t *testing.T, k publishedKey, claims jwt.MapClaims) string {
	t.Helper()
	method := jwt.GetSigningMethod(k.alg)
	tok := jwt.NewWithClaims(method, claims)
	tok.Header["typ"] = "at+jwt" // RFC 9068
	if k.kid != "" {
		tok.Header["kid"] = k.kid
	}
	s, err := tok.SignedString(k.priv)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// signTyp signs with the given typ header ("" for none) and crit list.
func signTyp(t *testing.T, k publishedKey, typ string, crit []string, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(jwt.GetSigningMethod(k.alg), claims)
	tok.Header["kid"] = k.kid
	if typ == "" {
		delete(tok.Header, "typ")
	} else {
		tok.Header["typ"] = typ
	}
	if crit != nil {
		tok.Header["crit"] = crit
	}
	s, err := tok.SignedString(k.priv)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func oauthEnv(t *testing.T, iss *testIssuer, extra map[string]string) *secEnv {
	env := map[string]string{"MCP_OAUTH_ISSUER": iss.URL, "MCP_OAUTH_AUDIENCE": testAudience}
	for k, v := range extra {
		env[k] = v
	}
	return newSecEnv(t, env)
}

func TestOAuthScopesToTiers(t *testing.T) {
	iss := newTestIssuer(t)
	k := iss.addKey("k1", "RS256")
	e := oauthEnv(t, iss, nil)
	for _, c := range []struct {
		scope string
		scp   any
		tier  tools.Tier
	}{
		{"openid pve:read", nil, tools.ReadOnly},
		{"pve:read pve:execute", nil, tools.ReadExecute},
		{"pve:write", nil, tools.Full},
		{"", []any{"pve:execute"}, tools.ReadExecute}, // Okta / Entra style list
		{"", "pve:read", tools.ReadOnly},
	} {
		cl := iss.claims("alice", c.scope)
		if c.scp != nil {
			cl["scp"] = c.scp
		}
		tok := sign(t, k, cl)
		got := e.listTools(tok)
		if want := selectedNames(t, tools.Selection{Tier: c.tier}); !slices.Equal(got, want) {
			t.Errorf("scope %q/%v: %d tools, want %d (%s)", c.scope, c.scp, len(got), len(want), c.tier)
		}
	}

	// A read-only OAuth caller cannot call a write tool, and the audit log names the subject.
	tok := sign(t, k, iss.claims("bob@example.com", "pve:read"))
	if _, err := e.call(tok, "pve_delete_qemu_vm", map[string]any{"vmid": 102}); err == nil {
		t.Fatal("pve:read deleted a VM")
	}
	if w := e.writes(); len(w) != 0 {
		t.Fatalf("writes reached Proxmox: %v", w)
	}
	lines := e.logs.auditLines(t)
	if l := lines[len(lines)-1]; l["caller"] != "oauth:bob@example.com" || l["outcome"] != OutcomeRefused {
		t.Errorf("audit = %v", l)
	}
	if strings.Contains(e.logs.String(), tok) {
		t.Fatal("JWT in the log")
	}
	// Not even when the caller puts its own JWT in a call.
	// (The log shortens long strings, so look for any piece of it.)
	e.call(tok, "pve_get_qemu_status", map[string]any{"vmid": 100, "node": "x" + tok + "y"})
	if piece := strings.Split(tok, ".")[1][:24]; strings.Contains(e.logs.String(), piece) {
		t.Fatal("JWT from the arguments in the log")
	}

	// The deployment tier still caps OAuth callers.
	capped := oauthEnv(t, iss, map[string]string{"PVE_ACCESS_TIER": "read-only"})
	if got, want := capped.listTools(sign(t, k, iss.claims("alice", "pve:write"))), selectedNames(t, tools.Selection{Tier: tools.ReadOnly}); !slices.Equal(got, want) {
		t.Errorf("pve:write on a read-only deployment sees %d tools, want %d", len(got), len(want))
	}
}

func TestOAuthRejects(t *testing.T) {
	iss := newTestIssuer(t)
	k := iss.addKey("k1", "RS256")
	other := newTestIssuer(t) // keys nobody trusts
	stranger := other.addKey("k1", "RS256")
	e := oauthEnv(t, iss, nil)

	mutate := func(f func(jwt.MapClaims)) jwt.MapClaims {
		c := iss.claims("alice", "pve:write")
		f(c)
		return c
	}
	now := time.Now()
	hmacTok := func() string {
		// Algorithm confusion: HS256 keyed with the RSA public key's bytes.
		pub := k.priv.Public().(*rsa.PublicKey)
		s, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, iss.claims("alice", "pve:write")).SignedString(pub.N.Bytes())
		return s
	}
	noneTok := func() string {
		tok := jwt.NewWithClaims(jwt.SigningMethodNone, iss.claims("alice", "pve:write"))
		tok.Header["kid"] = "k1"
		s, _ := tok.SignedString(jwt.UnsafeAllowNoneSignatureType)
		return s
	}
	valid := sign(t, k, iss.claims("alice", "pve:write"))
	parts := strings.Split(valid, ".")
	tampered := parts[0] + "." + b64([]byte(`{"iss":"`+iss.URL+`","aud":"`+testAudience+`","sub":"mallory","scope":"pve:write","exp":9999999999}`)) + "." + parts[2]

	cases := []struct {
		name, token, reason string
	}{
		{"wrong issuer", sign(t, k, mutate(func(c jwt.MapClaims) { c["iss"] = "https://evil.example.com" })), "wrong issuer"},
		{"wrong audience", sign(t, k, mutate(func(c jwt.MapClaims) { c["aud"] = "https://other.example.com/mcp" })), "aud"},
		{"audience list without us", sign(t, k, mutate(func(c jwt.MapClaims) { c["aud"] = []string{"a", "b"} })), "aud"},
		{"expired", sign(t, k, mutate(func(c jwt.MapClaims) { c["exp"] = now.Add(-2 * time.Minute).Unix() })), "expired"},
		{"not yet valid", sign(t, k, mutate(func(c jwt.MapClaims) { c["nbf"] = now.Add(5 * time.Minute).Unix() })), "not valid yet"},
		{"issued in the future", sign(t, k, mutate(func(c jwt.MapClaims) { c["iat"] = now.Add(5 * time.Minute).Unix() })), "future"},
		{"no exp", sign(t, k, mutate(func(c jwt.MapClaims) { delete(c, "exp") })), "no expiry"},
		{"no sub", sign(t, k, mutate(func(c jwt.MapClaims) { delete(c, "sub") })), "subject"},
		{"untrusted key, same kid", sign(t, stranger, iss.claims("alice", "pve:write")), "signature"},
		{"unknown kid", sign(t, publishedKey{kid: "nope", alg: "RS256", priv: stranger.priv}, iss.claims("alice", "pve:write")), "unknown key"},
		{"tampered payload", tampered, "signature"},
		{"HS256 with the public key", hmacTok(), "bad signature"},
		{"alg none", noneTok(), "bad signature"},
		{"garbage with two dots", "a.b.c", "malformed"},
		{"no aud", sign(t, k, mutate(func(c jwt.MapClaims) { delete(c, "aud") })), "no audience (aud)"},
		{"no iss", sign(t, k, mutate(func(c jwt.MapClaims) { delete(c, "iss") })), "no issuer (iss)"},
		{"string exp", sign(t, k, mutate(func(c jwt.MapClaims) { c["exp"] = fmt.Sprint(now.Add(time.Hour).Unix()) })), "exp must be a number"},
		{"string nbf", sign(t, k, mutate(func(c jwt.MapClaims) { c["nbf"] = "0" })), "nbf must be a number"},
		{"ID token typ", signTyp(t, k, "JWT", nil, iss.claims("alice", "pve:write")), `typ is "JWT"`},
		{"no typ", signTyp(t, k, "", nil, iss.claims("alice", "pve:write")), `typ is ""`},
		{"unknown crit", signTyp(t, k, "at+jwt", []string{"exp"}, iss.claims("alice", "pve:write")), "crit"},
	}
	for _, c := range cases {
		resp, body := e.raw(c.token, rpcBody(1, "tools/list", map[string]any{}))
		if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, c.reason) {
			t.Errorf("%s: HTTP %d %q, want 401 mentioning %q", c.name, resp.StatusCode, body, c.reason)
		}
		wa := resp.Header.Get("WWW-Authenticate")
		if !strings.Contains(wa, `resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/mcp"`) || !strings.Contains(wa, `error="invalid_token"`) {
			t.Errorf("%s: WWW-Authenticate %q", c.name, wa)
		}
	}
	// Expiry within the clock skew is still accepted.
	if resp, body := e.raw(sign(t, k, mutate(func(c jwt.MapClaims) { c["exp"] = now.Add(-10 * time.Second).Unix() })), rpcBody(1, "tools/list", map[string]any{})); resp.StatusCode != 200 {
		t.Errorf("exp 10 s ago (within skew): %d %s", resp.StatusCode, body)
	}
	// A valid token without any pve scope: 403 insufficient_scope.
	resp, body := e.raw(sign(t, k, iss.claims("alice", "openid profile")), rpcBody(1, "tools/list", map[string]any{}))
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(resp.Header.Get("WWW-Authenticate"), `error="insufficient_scope"`) {
		t.Errorf("no pve scope: %d %s %q", resp.StatusCode, body, resp.Header.Get("WWW-Authenticate"))
	}
	if n := len(e.sim.Requests()); n != 0 {
		t.Fatalf("rejected tokens reached Proxmox: %d requests", n)
	}
}

func TestOAuthKeyTypes(t *testing.T) {
	iss := newTestIssuer(t)
	keys := []publishedKey{iss.addKey("rsa", "RS256"), iss.addKey("pss", "PS256"), iss.addKey("ec", "ES256"), iss.addKey("ed", "EdDSA")}
	e := oauthEnv(t, iss, nil)
	for _, k := range keys {
		if resp, body := e.raw(sign(t, k, iss.claims("alice", "pve:read")), rpcBody(1, "tools/list", map[string]any{})); resp.StatusCode != 200 {
			t.Errorf("%s: %d %s", k.alg, resp.StatusCode, body)
		}
	}
	// A token whose alg does not match the JWK's alg is refused.
	rsaAsPSS := publishedKey{kid: "rsa", alg: "PS256", priv: keys[0].priv}
	if resp, _ := e.raw(sign(t, rsaAsPSS, iss.claims("alice", "pve:read")), rpcBody(1, "tools/list", map[string]any{})); resp.StatusCode != 401 {
		t.Errorf("alg mismatch: %d", resp.StatusCode)
	}
}

// Key rotation: a key the issuer starts using is fetched on first sight of
// its kid; a retired key stops working once the cache is refreshed; unknown
// kids do not make the server hammer the issuer.
func TestOAuthKeyRotation(t *testing.T) {
	iss := newTestIssuer(t)
	old := iss.addKey("2026-01", "RS256")
	e := oauthEnv(t, iss, nil)
	list := rpcBody(1, "tools/list", map[string]any{})
	if resp, body := e.raw(sign(t, old, iss.claims("alice", "pve:read")), list); resp.StatusCode != 200 {
		t.Fatalf("old key: %d %s", resp.StatusCode, body)
	}
	if iss.hits() != 1 {
		t.Fatalf("JWKS fetched %d times, want 1", iss.hits())
	}
	// Cached: more calls, no refetch.
	for i := 0; i < 5; i++ {
		e.raw(sign(t, old, iss.claims("alice", "pve:read")), list)
	}
	if iss.hits() != 1 {
		t.Fatalf("JWKS refetched for a cached key: %d", iss.hits())
	}

	// The issuer rotates: the new kid is fetched at once.
	next := iss.addKey("2026-02", "ES256")
	iss.removeKey("2026-01")
	ks := oauthKeySet(t, e)
	ks.mu.Lock()
	ks.lastAttempt = time.Time{} // the first fetch was within refetchGap; pretend it was long ago
	ks.mu.Unlock()
	if resp, body := e.raw(sign(t, next, iss.claims("alice", "pve:read")), list); resp.StatusCode != 200 {
		t.Fatalf("new key: %d %s", resp.StatusCode, body)
	}
	if iss.hits() != 2 {
		t.Fatalf("JWKS fetched %d times, want 2", iss.hits())
	}
	// The retired key is gone from the refreshed cache.
	if resp, _ := e.raw(sign(t, old, iss.claims("alice", "pve:read")), list); resp.StatusCode != 401 {
		t.Fatalf("retired key still accepted: %d", resp.StatusCode)
	}
	// A flood of unknown kids within refetchGap costs no fetch.
	for i := 0; i < 10; i++ {
		bogus := publishedKey{kid: "bogus" + string(rune('a'+i)), alg: "RS256", priv: old.priv}
		if resp, _ := e.raw(sign(t, bogus, iss.claims("alice", "pve:read")), list); resp.StatusCode != 401 {
			t.Fatalf("unknown kid accepted")
		}
	}
	if iss.hits() != 2 {
		t.Fatalf("unknown kids caused %d fetches", iss.hits()-2)
	}
	// After the TTL, the keys are refetched.
	ks.mu.Lock()
	ks.expires, ks.lastAttempt = time.Now().Add(-time.Second), time.Time{}
	ks.mu.Unlock()
	e.raw(sign(t, next, iss.claims("alice", "pve:read")), list)
	if iss.hits() != 3 {
		t.Fatalf("stale cache not refreshed: %d fetches", iss.hits())
	}
}

// An issuer outage: with cached keys, tokens keep working; with none, the
// answer says the keys are unavailable (not that the token is bad).
func TestOAuthIssuerDown(t *testing.T) {
	iss := newTestIssuer(t)
	k := iss.addKey("k1", "RS256")
	iss.down = true
	e := oauthEnv(t, iss, nil)
	list := rpcBody(1, "tools/list", map[string]any{})
	resp, body := e.raw(sign(t, k, iss.claims("alice", "pve:read")), list)
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" || !strings.Contains(body, "keys are unavailable") {
		t.Fatalf("issuer down, no keys: %d %s %v", resp.StatusCode, body, resp.Header)
	}
	iss.mu.Lock()
	iss.down = false
	iss.mu.Unlock()
	ks := oauthKeySet(t, e)
	ks.mu.Lock()
	ks.lastAttempt = time.Time{}
	ks.mu.Unlock()
	if resp, body := e.raw(sign(t, k, iss.claims("alice", "pve:read")), list); resp.StatusCode != 200 {
		t.Fatalf("issuer back: %d %s", resp.StatusCode, body)
	}
	iss.mu.Lock()
	iss.down = true
	iss.mu.Unlock()
	ks.mu.Lock()
	ks.expires, ks.lastAttempt = time.Now().Add(-time.Second), time.Time{}
	ks.mu.Unlock()
	if resp, body := e.raw(sign(t, k, iss.claims("alice", "pve:read")), list); resp.StatusCode != 200 {
		t.Fatalf("issuer down again, stale keys: %d %s", resp.StatusCode, body)
	}
}

// Discovery falls back to OpenID Connect; MCP_OAUTH_JWKS_URL skips it; the
// protected resource metadata names the issuer and scopes.
func TestOAuthDiscoveryAndMetadata(t *testing.T) {
	iss := newTestIssuer(t)
	k := iss.addKey("k1", "ES256")
	iss.noMeta = true // only /.well-known/openid-configuration
	e := oauthEnv(t, iss, nil)
	if resp, body := e.raw(sign(t, k, iss.claims("alice", "pve:read")), rpcBody(1, "tools/list", map[string]any{})); resp.StatusCode != 200 {
		t.Fatalf("OIDC discovery: %d %s", resp.StatusCode, body)
	}
	direct := oauthEnv(t, iss, map[string]string{"MCP_OAUTH_JWKS_URL": iss.URL + "/keys"})
	if resp, body := direct.raw(sign(t, k, iss.claims("alice", "pve:read")), rpcBody(1, "tools/list", map[string]any{})); resp.StatusCode != 200 {
		t.Fatalf("JWKS URL: %d %s", resp.StatusCode, body)
	}

	for _, p := range []string{"/.well-known/oauth-protected-resource/mcp", "/.well-known/oauth-protected-resource"} {
		resp, err := http.Get(e.srv.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		var meta map[string]any
		json.NewDecoder(resp.Body).Decode(&meta)
		resp.Body.Close()
		if resp.StatusCode != 200 || meta["resource"] != testAudience {
			t.Fatalf("%s: %d %v", p, resp.StatusCode, meta)
		}
		as, _ := json.Marshal(meta["authorization_servers"])
		sc, _ := json.Marshal(meta["scopes_supported"])
		if string(as) != `["`+iss.URL+`"]` || string(sc) != `["pve:read","pve:execute","pve:write"]` {
			t.Errorf("%s: authorization_servers %s scopes %s", p, as, sc)
		}
	}
}

// Static tokens and OAuth together: each works, neither weakens the other.
func TestTokensAndOAuthTogether(t *testing.T) {
	iss := newTestIssuer(t)
	k := iss.addKey("k1", "RS256")
	e := oauthEnv(t, iss, map[string]string{"MCP_AUTH": "tokens,oauth", "MCP_AUTH_TOKENS": "reader:read-only:" + tokReader})
	if got := len(e.listTools(tokReader)); got != len(selectedNames(t, tools.Selection{Tier: tools.ReadOnly})) {
		t.Errorf("static reader sees %d tools", got)
	}
	if got := len(e.listTools(sign(t, k, iss.claims("alice", "pve:write")))); got != len(oneClusterTools(t)) {
		t.Errorf("OAuth writer sees %d tools", got)
	}
}

func oauthKeySet(t *testing.T, e *secEnv) *keySet {
	t.Helper()
	if e.built.authn.oauth == nil {
		t.Fatal("no OAuth verifier built")
	}
	return e.built.authn.oauth.keys
}
