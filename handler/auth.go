package handler

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/oauthex"
	"github.com/pve-mcp/pve-mcp/config"
	"github.com/pve-mcp/pve-mcp/pve"
	"github.com/pve-mcp/pve-mcp/tools"
)

// clockSkew is the leeway on exp, nbf and iat: clocks of the issuer and of
// this server may differ by a few seconds.
const clockSkew = 30 * time.Second

// Caller is who made a request and what they may use: their own tier and
// categories already capped by the deployment's.
type Caller struct {
	// ID names the caller in logs: "token:NAME", "oauth:SUBJECT" or
	// "anonymous". Never a credential.
	ID         string
	Tier       tools.Tier
	Categories []tools.Category // nil: every category of the deployment
	// Clusters are the clusters (PVE_CLUSTERS) the caller may use; nil: all.
	Clusters []string
	// Confirm, when set, replaces the deployment's PVE_CONFIRM for this caller.
	Confirm *tools.ConfirmPolicy
	// denied is set for an authenticated caller with no scope granting a tier.
	denied bool
}

type callerKey struct{}

func withCaller(ctx context.Context, c *Caller) context.Context {
	return context.WithValue(ctx, callerKey{}, c)
}

// CallerFrom returns the caller of a request that passed authentication.
func CallerFrom(ctx context.Context) *Caller {
	c, _ := ctx.Value(callerKey{}).(*Caller)
	return c
}

// authenticator checks bearer tokens: static tokens first (a hash compared in
// constant time), then JWT access tokens when OAuth is configured.
type authenticator struct {
	deployment tools.Selection
	tokens     []config.BearerToken
	oauth      *jwtVerifier
	log        *slog.Logger
	// clusters are the configured clusters' names (nil: one cluster).
	clusters []string
	// resourceMetadataURL is where the protected resource metadata is
	// served (OAuth only); 401 answers point clients to it.
	resourceMetadataURL string
}

// tokenCaller is the Caller for a static token.
func (a *authenticator) tokenCaller(t config.BearerToken) (*Caller, error) {
	cats, ok := config.CategoriesWithin(a.deployment.Categories, t.Categories)
	if !ok {
		return nil, fmt.Errorf("token %q: none of its categories are served by this deployment (PVE_CATEGORIES)", t.Name)
	}
	return &Caller{ID: "token:" + t.Name, Tier: min(t.Tier, a.deployment.Tier), Categories: cats, Clusters: t.Clusters, Confirm: t.Confirm}, nil
}

// matchToken returns the static token whose hash equals the presented
// token's. Every configured token is compared, so the time taken does not
// tell which (or whether one) matched.
func (a *authenticator) matchToken(presented string) (config.BearerToken, bool) {
	h := sha256.Sum256([]byte(presented))
	found := -1
	for i := range a.tokens {
		if subtle.ConstantTimeCompare(h[:], a.tokens[i].Hash[:]) == 1 {
			found = i
		}
	}
	if found < 0 {
		return config.BearerToken{}, false
	}
	return a.tokens[found], true
}

// verify is the go-sdk TokenVerifier. Its error text reaches the client, so
// it never includes any part of the token.
func (a *authenticator) verify(ctx context.Context, token string, r *http.Request) (*auth.TokenInfo, error) {
	if t, ok := a.matchToken(token); ok {
		c, err := a.tokenCaller(t)
		if err != nil {
			return nil, err
		}
		return &auth.TokenInfo{UserID: c.ID, Extra: map[string]any{"caller": c}}, nil
	}
	if a.oauth == nil || strings.Count(token, ".") != 2 {
		a.log.Info("authentication failed", "request_id", a.requestID(r), "remote", r.RemoteAddr, "reason", "unknown token")
		return nil, fmt.Errorf("%w: unknown token", auth.ErrInvalidToken)
	}
	claims, err := a.oauth.verify(ctx, token)
	if err != nil {
		a.log.Info("authentication failed", "request_id", a.requestID(r), "remote", r.RemoteAddr, "reason", err.Error())
		if st, ok := r.Context().Value(authStateKey{}).(*authState); ok && errors.Is(err, errKeysUnavailable) {
			st.keysUnavailable = true
		}
		return nil, err
	}
	c := &Caller{ID: "oauth:" + claims.Subject, Categories: a.deployment.Categories, denied: true}
	scopes := claims.scopes()
	for _, st := range config.ScopeTiers {
		for _, s := range scopes {
			if s == st.Scope {
				c.Tier, c.denied = min(st.Tier, a.deployment.Tier), false
			}
		}
	}
	c.Clusters = a.scopeClusters(scopes)
	return &auth.TokenInfo{UserID: c.ID, Scopes: scopes, Expiration: claims.ExpiresAt.Time, Extra: map[string]any{"caller": c}}, nil
}

// scopeClusters are the clusters an OAuth token's pve:cluster:NAME scopes
// name; nil when it has none (every cluster). A scope naming a cluster
// this deployment lacks is ignored: an issuer may serve several of them.
func (a *authenticator) scopeClusters(scopes []string) []string {
	var named bool
	out := []string{}
	for _, s := range scopes {
		name, ok := strings.CutPrefix(s, config.ScopeClusterPrefix)
		if !ok {
			continue
		}
		named = true
		if slices.Contains(a.clusters, name) && !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	if !named {
		return nil
	}
	return out
}

// middleware requires a valid bearer token and puts the Caller in the
// request context. It uses the go-sdk's RequireBearerToken (which also hands
// the token info to the MCP layer) and rewrites the challenge of its 401
// answers per RFC 6750 and the MCP authorization spec.
func (a *authenticator) middleware(next http.Handler) http.Handler {
	inner := auth.RequireBearerToken(a.verify, &auth.RequireBearerTokenOptions{
		ResourceMetadataURL: a.resourceMetadataURL,
		// Static tokens do not expire; JWTs without exp are refused by jwtVerifier.
		AllowMissingExpiration: true,
		ClockSkew:              clockSkew,
	})(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ti := auth.TokenInfoFromContext(r.Context())
		var c *Caller
		if ti != nil {
			c, _ = ti.Extra["caller"].(*Caller)
		}
		if c == nil {
			http.Error(w, "authentication failed", http.StatusInternalServerError)
			return
		}
		if c.denied {
			a.log.Info("authorization failed", "request_id", a.requestID(r), "caller", c.ID, "reason", "no pve scope")
			w.Header().Set("WWW-Authenticate", a.challenge(`error="insufficient_scope", scope="`+config.ScopeRead+`"`))
			http.Error(w, "insufficient scope: the token carries none of "+scopeList(), http.StatusForbidden)
			return
		}
		next.ServeHTTP(w, r.WithContext(withCaller(r.Context(), c)))
	}))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st := &authState{}
		cw := &challengeWriter{ResponseWriter: w, a: a, presented: r.Header.Get("Authorization") != "", state: st}
		if !cw.presented {
			a.log.Info("authentication failed", "request_id", a.requestID(r), "remote", r.RemoteAddr, "reason", "no bearer token")
		}
		inner.ServeHTTP(cw, r.WithContext(context.WithValue(r.Context(), authStateKey{}, st)))
	})
}

// authState carries what verify learned to the answer's writer: the go-sdk
// answers any error that is not ErrInvalidToken with 500.
type authState struct {
	keysUnavailable bool
}

type authStateKey struct{}

// keysRetryAfter is the Retry-After of a 503 while the issuer's keys
// cannot be fetched: the refetch gap, after which a new fetch is tried.
var keysRetryAfter = fmt.Sprint(int(refetchGap.Seconds()))

// challenge is the WWW-Authenticate value of a 401/403 answer.
func (a *authenticator) challenge(extra string) string {
	params := []string{`realm="pve-mcp"`}
	if a.resourceMetadataURL != "" {
		params = append(params, fmt.Sprintf("resource_metadata=%q", a.resourceMetadataURL))
	}
	if extra != "" {
		params = append(params, extra)
	}
	return "Bearer " + strings.Join(params, ", ")
}

// challengeWriter sets the WWW-Authenticate header of a 401.
type challengeWriter struct {
	http.ResponseWriter
	a         *authenticator
	presented bool
	state     *authState
}

func (cw *challengeWriter) WriteHeader(code int) {
	if code == http.StatusInternalServerError && cw.state != nil && cw.state.keysUnavailable {
		// Not the caller's fault and not a server bug: try again later.
		cw.Header().Set("Retry-After", keysRetryAfter)
		code = http.StatusServiceUnavailable
	}
	if code == http.StatusUnauthorized {
		extra := ""
		if cw.presented {
			extra = `error="invalid_token"`
		}
		cw.Header().Set("WWW-Authenticate", cw.a.challenge(extra))
	}
	cw.ResponseWriter.WriteHeader(code)
}

func (cw *challengeWriter) Unwrap() http.ResponseWriter { return cw.ResponseWriter }

func scopeList() string {
	var s []string
	for _, st := range config.ScopeTiers {
		s = append(s, st.Scope)
	}
	return strings.Join(s, ", ")
}

// protectedResourceMetadata is served at /.well-known/oauth-protected-resource
// (RFC 9728): it tells MCP clients which authorization server issues tokens
// for this server and which scopes exist.
func protectedResourceMetadata(o *config.OAuth) *oauthex.ProtectedResourceMetadata {
	var scopes []string
	for _, st := range config.ScopeTiers {
		scopes = append(scopes, st.Scope)
	}
	return &oauthex.ProtectedResourceMetadata{
		Resource:               o.Audience,
		AuthorizationServers:   []string{o.Issuer},
		ScopesSupported:        scopes,
		BearerMethodsSupported: []string{"header"},
		ResourceName:           "pve-mcp (Proxmox VE)",
	}
}

// metadataPaths are where the metadata is served: the well-known path with
// the resource's path appended (RFC 9728 §3.1) and without it.
func metadataPaths(audience string) (url string, paths []string) {
	const wk = "/.well-known/oauth-protected-resource"
	u, err := parseURL(audience)
	if err != nil {
		return "", []string{wk}
	}
	p := strings.TrimRight(u.EscapedPath(), "/")
	paths = []string{wk}
	if p != "" {
		paths = append(paths, wk+p)
	}
	return u.Scheme + "://" + u.Host + wk + p, paths
}

func parseURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return nil, errors.New("not an absolute URL")
	}
	return u, nil
}

// allowedAlgs are the JWS algorithms accepted: asymmetric only, so a key
// published in a JWKS can never be used as an HMAC secret.
var allowedAlgs = []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}

// accessClaims are the claims read from an access token (RFC 9068).
type accessClaims struct {
	jwt.RegisteredClaims
	Scope string `json:"scope"`
	// Scp is the scope claim of some issuers (Okta, Entra ID): a list or a
	// space-separated string.
	Scp any `json:"scp"`
}

func (c *accessClaims) scopes() []string {
	out := strings.Fields(c.Scope)
	switch v := c.Scp.(type) {
	case string:
		out = append(out, strings.Fields(v)...)
	case []any:
		for _, s := range v {
			if str, ok := s.(string); ok {
				out = append(out, str)
			}
		}
	}
	return out
}

// jwtVerifier validates JWT access tokens: signature by a key from the
// issuer's JWKS, iss, aud, exp (required), nbf and iat with clockSkew.
type jwtVerifier struct {
	keys   *keySet
	parser *jwt.Parser
}

func newJWTVerifier(o *config.OAuth, client *http.Client) *jwtVerifier {
	return &jwtVerifier{
		keys: newKeySet(o.Issuer, o.JWKSURL, client),
		parser: jwt.NewParser(
			jwt.WithValidMethods(allowedAlgs),
			jwt.WithIssuer(o.Issuer),
			jwt.WithAudience(o.Audience),
			jwt.WithExpirationRequired(),
			jwt.WithIssuedAt(),
			jwt.WithLeeway(clockSkew),
		),
	}
}

// errKeysUnavailable means the token could not be checked because the
// issuer's keys could not be fetched: a server-side problem, not a bad token.
var errKeysUnavailable = errors.New("cannot verify tokens now: the authorization server's keys are unavailable")

// errHeader and errClaimType mark tokens refused for their form before any
// key is looked up; the wrapped text says what is wrong.
var (
	errHeader    = errors.New("unacceptable JWT header")
	errClaimType = errors.New("claim of the wrong type")
)

// accessTokenTypes are the typ values RFC 9068 §4 requires of a JWT access
// token; anything else (an OpenID ID token's "JWT", say) is refused.
var accessTokenTypes = []string{"at+jwt", "application/at+jwt"}

// checkForm checks what golang-jwt leaves to the application: the typ and
// crit headers (RFC 9068, RFC 7515 §4.1.11: no extension is understood
// here, so any crit is refused) and that the time claims are numbers (a
// string "exp" would otherwise decode as one).
func checkForm(t *jwt.Token) error {
	typ, _ := t.Header["typ"].(string)
	if !slices.ContainsFunc(accessTokenTypes, func(a string) bool { return strings.EqualFold(a, typ) }) {
		shown := typ
		if len(shown) > 32 {
			shown = shown[:32] + "..."
		}
		return fmt.Errorf("%w: typ is %q, not \"at+jwt\": this server accepts only OAuth JWT access tokens (RFC 9068), not ID tokens or other JWTs", errHeader, shown)
	}
	if _, ok := t.Header["crit"]; ok {
		return fmt.Errorf("%w: it has a crit header, and no JWT extension is supported here", errHeader)
	}
	if strings.Count(t.Raw, ".") != 2 {
		return nil // the parser refuses it
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.Split(t.Raw, ".")[1])
	if err != nil {
		return nil
	}
	var members map[string]json.RawMessage
	if json.Unmarshal(payload, &members) != nil {
		return nil
	}
	for _, name := range []string{"exp", "nbf", "iat"} {
		if v, ok := members[name]; ok && (len(v) == 0 || !(v[0] == '-' || ('0' <= v[0] && v[0] <= '9'))) {
			return fmt.Errorf("%w: %s must be a number of seconds (NumericDate), not %s", errClaimType, name, truncate(string(v), 32))
		}
	}
	return nil
}

func (v *jwtVerifier) verify(ctx context.Context, raw string) (*accessClaims, error) {
	claims := &accessClaims{}
	var keyErr error
	_, err := v.parser.ParseWithClaims(raw, claims, func(t *jwt.Token) (any, error) {
		if err := checkForm(t); err != nil {
			keyErr = err
			return nil, err
		}
		kid, _ := t.Header["kid"].(string)
		k, err := v.keys.lookup(ctx, kid, t.Method.Alg())
		if err != nil {
			keyErr = err
			return nil, err
		}
		return k, nil
	})
	switch {
	case err == nil:
	case errors.Is(keyErr, errHeader) || errors.Is(keyErr, errClaimType):
		return nil, fmt.Errorf("%w: %v", auth.ErrInvalidToken, keyErr)
	case keyErr != nil && !errors.Is(keyErr, errNoKey):
		return nil, errKeysUnavailable
	case errors.Is(err, jwt.ErrTokenExpired):
		return nil, fmt.Errorf("%w: token expired", auth.ErrInvalidToken)
	case errors.Is(err, jwt.ErrTokenNotValidYet):
		return nil, fmt.Errorf("%w: token not valid yet", auth.ErrInvalidToken)
	case errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return nil, fmt.Errorf("%w: token issued in the future", auth.ErrInvalidToken)
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		return nil, fmt.Errorf("%w: wrong issuer", auth.ErrInvalidToken)
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		return nil, fmt.Errorf("%w: token is not for this resource (aud)", auth.ErrInvalidToken)
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		// Say which claim: exp, iss and aud are all required.
		missing := "expiry (exp)"
		switch {
		case claims.Issuer == "":
			missing = "issuer (iss)"
		case len(claims.Audience) == 0:
			missing = "audience (aud): it must name this server's resource URL"
		}
		return nil, fmt.Errorf("%w: token has no %s", auth.ErrInvalidToken, missing)
	case errors.Is(keyErr, errNoKey):
		return nil, fmt.Errorf("%w: signed by an unknown key", auth.ErrInvalidToken)
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return nil, fmt.Errorf("%w: bad signature", auth.ErrInvalidToken)
	default:
		return nil, fmt.Errorf("%w: malformed or unsupported token", auth.ErrInvalidToken)
	}
	if claims.Subject == "" || len(claims.Subject) > 256 {
		return nil, fmt.Errorf("%w: token has no usable subject (sub)", auth.ErrInvalidToken)
	}
	return claims, nil
}

// requestID is the request's id for a log line, with any static token a
// caller put in it redacted (X-Request-Id is the caller's choice).
func (a *authenticator) requestID(r *http.Request) string {
	return config.RedactTokens(r.Header.Get(requestIDHeader), a.tokens, pve.Redacted)
}
