package config

import (
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/pve-mcp/pve-mcp/tools"
)

// Auth is how the HTTP handler authenticates callers and what each may do.
// It does not apply to stdio, where the caller is whoever started the process.
type Auth struct {
	// None is MCP_AUTH=none: serve without authentication even on a public
	// address. Without it, an HTTP server on a non-loopback address refuses
	// to start unless a token or OAuth is configured (see CheckListen).
	None bool
	// Tokens are the static bearer tokens (MCP_AUTH_TOKENS, or the secret
	// named by SecretARN once loaded). Only their SHA-256 is kept.
	Tokens []BearerToken
	// SecretARN names an AWS Secrets Manager secret holding the tokens, in
	// the MCP_AUTH_TOKENS format; they are loaded at startup.
	SecretARN string
	// OAuth, when set, accepts JWT access tokens from one authorization server.
	OAuth *OAuth
	// AllowedOrigins lists the browser origins (scheme://host[:port]) that may
	// call /mcp; "*" allows any. Requests without an Origin header (every
	// non-browser client) are not affected; same-origin requests are allowed.
	AllowedOrigins []string
	// RequestTimeout caps one HTTP request (an earlier deadline, such as a
	// Lambda invocation's, wins).
	RequestTimeout time.Duration
}

// Enabled reports whether callers must authenticate.
func (a Auth) Enabled() bool {
	return len(a.Tokens) > 0 || a.SecretARN != "" || a.OAuth != nil
}

// BearerToken is one named static token. The name, never the token, is the
// caller's identity in logs.
type BearerToken struct {
	Name string
	// Tier is the most this token may do; the deployment's tier still caps it.
	Tier tools.Tier
	// Categories narrows the deployment's categories for this token (nil: all of them).
	Categories []tools.Category
	// Clusters narrows the clusters (PVE_CLUSTERS) this token may use (nil: all of them).
	Clusters []string
	// Confirm, when set, is this token's confirmation policy instead of
	// PVE_CONFIRM: an operator may ask more of a person's token, or nothing
	// of an automation's that runs only planned changes.
	Confirm *tools.ConfirmPolicy
	// Hash is the SHA-256 of the token.
	Hash [sha256.Size]byte
	// length and roll find the token inside longer strings (RedactTokens).
	length int
	roll   uint64
}

// OAuth configures the OAuth 2.1 resource server (MCP authorization spec):
// JWT access tokens signed by Issuer's keys, for Audience.
type OAuth struct {
	// Issuer is the authorization server's issuer identifier (the iss claim).
	Issuer string
	// Audience is this server's resource URL (the aud claim), e.g.
	// https://mcp.example.com/mcp. It is also the resource in the protected
	// resource metadata.
	Audience string
	// JWKSURL is where the signing keys are; empty means discovered from the
	// issuer's metadata (RFC 8414, then OpenID Connect discovery).
	JWKSURL string
}

// Scopes an OAuth access token carries to reach a tier; the highest wins.
const (
	ScopeRead    = "pve:read"    // read-only
	ScopeExecute = "pve:execute" // read-execute
	ScopeWrite   = "pve:write"   // full
)

// ScopeClusterPrefix starts the scopes that narrow an OAuth caller to
// clusters of PVE_CLUSTERS: pve:cluster:lab. A token without any may use
// every cluster.
const ScopeClusterPrefix = "pve:cluster:"

// ScopeTiers maps each scope to the tier it grants, lowest first.
var ScopeTiers = []struct {
	Scope string
	Tier  tools.Tier
}{{ScopeRead, tools.ReadOnly}, {ScopeExecute, tools.ReadExecute}, {ScopeWrite, tools.Full}}

// DefaultRequestTimeout is MCP_REQUEST_TIMEOUT's default, in seconds.
const DefaultRequestTimeout = 120

// MinTokenLength is the shortest static token accepted: 32 characters of
// base64 or hex is 128 bits or more.
const MinTokenLength = 32

// AuthVars documents the variables authFromEnv reads (see Vars).
var AuthVars = []Var{
	{"MCP_AUTH", "", "HTTP authentication: `tokens`, `oauth`, `tokens,oauth`, or `none` (required to serve a non-loopback address without authentication); empty enables whatever is configured below"},
	{"MCP_AUTH_TOKENS", "", "static bearer tokens, comma separated `name:tier:token` or `name:tier:cat+cat:token` (token: 32+ characters of base64/hex)"},
	{"MCP_AUTH_SECRET_ARN", "", "AWS Secrets Manager secret holding MCP_AUTH_TOKENS (same format), read at startup"},
	{"MCP_OAUTH_ISSUER", "", "OAuth authorization server issuer; enables JWT access tokens (scopes `pve:read`, `pve:execute`, `pve:write`)"},
	{"MCP_OAUTH_AUDIENCE", "", "this server's resource URL, e.g. `https://mcp.example.com/mcp`: the required `aud` (required with MCP_OAUTH_ISSUER)"},
	{"MCP_OAUTH_JWKS_URL", "", "issuer's JWKS URL (default: discovered from the issuer's metadata)"},
	{"MCP_ALLOWED_ORIGINS", "", "comma list of browser origins allowed to call /mcp (`*`: any); requests without Origin are unaffected"},
	{"MCP_REQUEST_TIMEOUT", "120", "seconds one HTTP request may take (a Lambda deadline, when earlier, wins)"},
}

// authFromEnv reads the Auth settings; called by FromEnv.
func authFromEnv(getenv func(string) string) (Auth, []error) {
	var a Auth
	var errs []error

	var wantTokens, wantOAuth bool
	mode := strings.ToLower(strings.TrimSpace(getenv("MCP_AUTH")))
	switch mode {
	case "":
	case "none":
		a.None = true
	default:
		for _, m := range strings.Split(mode, ",") {
			switch strings.TrimSpace(m) {
			case "tokens", "token":
				wantTokens = true
			case "oauth":
				wantOAuth = true
			default:
				errs = append(errs, fmt.Errorf("MCP_AUTH=%q: use tokens, oauth, tokens,oauth or none", getenv("MCP_AUTH")))
			}
		}
	}

	if raw := getenv("MCP_AUTH_TOKENS"); strings.TrimSpace(raw) != "" {
		toks, err := ParseTokens(raw)
		if err != nil {
			errs = append(errs, fmt.Errorf("MCP_AUTH_TOKENS: %w", err))
		}
		a.Tokens = toks
	}
	a.SecretARN = strings.TrimSpace(getenv("MCP_AUTH_SECRET_ARN"))
	if a.SecretARN != "" && !strings.HasPrefix(a.SecretARN, "arn:") {
		errs = append(errs, fmt.Errorf("MCP_AUTH_SECRET_ARN=%q: must be a Secrets Manager ARN (arn:aws:secretsmanager:...)", a.SecretARN))
	}

	issuer := strings.TrimSpace(getenv("MCP_OAUTH_ISSUER"))
	audience := strings.TrimSpace(getenv("MCP_OAUTH_AUDIENCE"))
	jwksURL := strings.TrimSpace(getenv("MCP_OAUTH_JWKS_URL"))
	if issuer != "" || audience != "" || jwksURL != "" {
		o := &OAuth{Issuer: issuer, Audience: audience, JWKSURL: jwksURL}
		if issuer == "" {
			errs = append(errs, errors.New("MCP_OAUTH_ISSUER is required when MCP_OAUTH_AUDIENCE or MCP_OAUTH_JWKS_URL is set"))
		} else if err := checkHTTPSURL(issuer); err != nil {
			errs = append(errs, fmt.Errorf("MCP_OAUTH_ISSUER: %w", err))
		}
		if audience == "" {
			errs = append(errs, errors.New("MCP_OAUTH_AUDIENCE is required with MCP_OAUTH_ISSUER: this server's resource URL, e.g. https://mcp.example.com/mcp"))
		} else if err := checkHTTPSURL(audience); err != nil {
			errs = append(errs, fmt.Errorf("MCP_OAUTH_AUDIENCE: %w", err))
		}
		if jwksURL != "" {
			if err := checkHTTPSURL(jwksURL); err != nil {
				errs = append(errs, fmt.Errorf("MCP_OAUTH_JWKS_URL: %w", err))
			}
		}
		a.OAuth = o
	}

	hasTokens := len(a.Tokens) > 0 || a.SecretARN != ""
	switch {
	case a.None && (hasTokens || a.OAuth != nil):
		errs = append(errs, errors.New("MCP_AUTH=none contradicts the token/OAuth settings that are also set: remove one or the other"))
	case wantTokens && !hasTokens:
		errs = append(errs, errors.New("MCP_AUTH asks for tokens but neither MCP_AUTH_TOKENS nor MCP_AUTH_SECRET_ARN is set"))
	case wantOAuth && a.OAuth == nil:
		errs = append(errs, errors.New("MCP_AUTH asks for oauth but MCP_OAUTH_ISSUER is not set"))
	case mode != "" && !a.None && hasTokens && !wantTokens:
		errs = append(errs, errors.New("MCP_AUTH_TOKENS/MCP_AUTH_SECRET_ARN is set but MCP_AUTH does not list tokens"))
	case mode != "" && !a.None && a.OAuth != nil && !wantOAuth:
		errs = append(errs, errors.New("MCP_OAUTH_ISSUER is set but MCP_AUTH does not list oauth"))
	}

	for _, o := range tools.ParseList(getenv("MCP_ALLOWED_ORIGINS")) {
		if o == "*" {
			a.AllowedOrigins = append(a.AllowedOrigins, o)
			continue
		}
		norm, err := NormalizeOrigin(o)
		if err != nil {
			errs = append(errs, fmt.Errorf("MCP_ALLOWED_ORIGINS: %w", err))
			continue
		}
		a.AllowedOrigins = append(a.AllowedOrigins, norm)
	}

	secs, err := parseInt(getenv, "MCP_REQUEST_TIMEOUT", DefaultRequestTimeout, 1, 900)
	errs = appendErr(errs, err)
	a.RequestTimeout = time.Duration(secs) * time.Second
	return a, errs
}

// checkHTTPSURL accepts an absolute https URL, or http on a loopback host
// (a local authorization server, tests).
func checkHTTPSURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil || u.Fragment != "" {
		return fmt.Errorf("%q is not an absolute URL", raw)
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if IsLoopbackHost(u.Hostname()) {
			return nil
		}
	}
	return fmt.Errorf("%q must use https", raw)
}

// NormalizeOrigin returns an origin as browsers send it: lower-case scheme and
// host, no path, default ports dropped.
func NormalizeOrigin(o string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(o))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("%q is not an origin such as https://app.example.com", o)
	}
	scheme := strings.ToLower(u.Scheme)
	host := strings.ToLower(u.Hostname())
	port := u.Port()
	if (scheme == "http" && port == "80") || (scheme == "https" && port == "443") {
		port = ""
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port != "" {
		host += ":" + port
	}
	return scheme + "://" + host, nil
}

// IsLoopbackHost reports whether host (no port) is localhost or a loopback IP.
func IsLoopbackHost(host string) bool {
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

var (
	tokenNameRE  = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)
	tokenValueRE = regexp.MustCompile(`^[A-Za-z0-9._~+/=-]+$`)
)

// tokenJSON is one token in the JSON form of MCP_AUTH_TOKENS.
type tokenJSON struct {
	Name       string   `json:"name"`
	Tier       string   `json:"tier"`
	Categories []string `json:"categories"`
	// Clusters narrows the clusters of PVE_CLUSTERS the token may use.
	Clusters []string `json:"clusters"`
	// Confirm replaces PVE_CONFIRM for this token's calls.
	Confirm string `json:"confirm"`
	Token   string `json:"token"`
}

// ParseTokens reads static bearer tokens, in either of two forms:
//
//	name:tier:token[,name:tier:token...]          (comma or newline separated)
//	name:tier:qemu+lxc:token                      (categories narrowed)
//	[{"name":"ci","tier":"read-only","categories":["qemu"],"token":"..."}]
//
// Two tokens under different names let one be rotated while the other still
// works. Errors name the entry, never the token.
func ParseTokens(raw string) ([]BearerToken, error) {
	raw = strings.TrimSpace(raw)
	var entries []tokenJSON
	if strings.HasPrefix(raw, "[") || strings.HasPrefix(raw, "{") {
		var wrapped struct {
			Tokens []tokenJSON `json:"tokens"`
		}
		if strings.HasPrefix(raw, "{") {
			if err := json.Unmarshal([]byte(raw), &wrapped); err != nil {
				return nil, errors.New(`not valid JSON (expected {"tokens":[{"name":...,"tier":...,"token":...}]})`)
			}
			entries = wrapped.Tokens
		} else if err := json.Unmarshal([]byte(raw), &entries); err != nil {
			return nil, errors.New(`not valid JSON (expected [{"name":...,"tier":...,"token":...}])`)
		}
	} else {
		for i, e := range strings.FieldsFunc(raw, func(r rune) bool { return r == ',' || r == '\n' || r == '\r' }) {
			e = strings.TrimSpace(e)
			if e == "" {
				continue
			}
			parts := strings.Split(e, ":")
			var t tokenJSON
			switch len(parts) {
			case 3:
				t = tokenJSON{Name: parts[0], Tier: parts[1], Token: parts[2]}
			case 4:
				t = tokenJSON{Name: parts[0], Tier: parts[1], Categories: strings.Split(parts[2], "+"), Token: parts[3]}
			default:
				return nil, fmt.Errorf("entry %s: expected name:tier:token or name:tier:categories:token", entryLabel(i, parts[0]))
			}
			entries = append(entries, t)
		}
	}
	if len(entries) == 0 {
		return nil, errors.New("no tokens found")
	}
	var out []BearerToken
	names := map[string]bool{}
	hashes := map[[sha256.Size]byte]string{}
	for i, e := range entries {
		label := entryLabel(i, e.Name)
		if !tokenNameRE.MatchString(e.Name) {
			return nil, fmt.Errorf("entry #%d: name must be 1-64 letters, digits, '.', '_' or '-'", i+1)
		}
		if names[e.Name] {
			return nil, fmt.Errorf("token name %s is used twice", label)
		}
		names[e.Name] = true
		// The values are never quoted in these errors: in an entry written
		// in the wrong order, the tier or category field is the token.
		tier, err := tools.ParseTier(strings.TrimSpace(e.Tier))
		if err != nil {
			return nil, fmt.Errorf("token %s: the tier field is not one of %s (entries are name:tier:token or name:tier:categories:token)", label, tierList())
		}
		var cats []tools.Category
		if len(e.Categories) > 0 {
			cats, err = tools.ParseCategories(strings.Join(e.Categories, ","))
			if err != nil {
				return nil, fmt.Errorf("token %s: the categories field holds a name that is not a category (entries are name:tier:token or name:tier:categories:token, categories joined by +)", label)
			}
		}
		if len(e.Token) < MinTokenLength {
			return nil, fmt.Errorf("token %s is shorter than %d characters; generate one with `openssl rand -base64 32`", label, MinTokenLength)
		}
		if !tokenValueRE.MatchString(e.Token) {
			return nil, fmt.Errorf("token %s may hold only base64/hex characters (A-Z a-z 0-9 . _ ~ + / = -)", label)
		}
		var confirm *tools.ConfirmPolicy
		if e.Confirm != "" {
			p, err := tools.ParseConfirmPolicy(e.Confirm)
			if err != nil {
				return nil, fmt.Errorf("token %s: confirm: %w", label, err)
			}
			confirm = &p
		}
		for _, c := range e.Clusters {
			if !clusterNameRE.MatchString(c) {
				return nil, fmt.Errorf("token %s: clusters holds a name that is not a cluster name", label)
			}
		}
		h := sha256.Sum256([]byte(e.Token))
		if other, dup := hashes[h]; dup {
			return nil, fmt.Errorf("tokens %s and %s are the same token", other, label)
		}
		hashes[h] = label
		out = append(out, BearerToken{Name: e.Name, Tier: tier, Categories: cats, Clusters: e.Clusters, Confirm: confirm, Hash: h, length: len(e.Token), roll: fingerprint(e.Token)})
	}
	return out, nil
}

// entryLabel names entry i of MCP_AUTH_TOKENS in an error: "ci" (#2), or
// only its position when the name field is missing, malformed or long
// enough to be a misplaced token.
func entryLabel(i int, name string) string {
	if tokenNameRE.MatchString(name) && len(name) < MinTokenLength {
		return fmt.Sprintf("%q (#%d)", name, i+1)
	}
	return fmt.Sprintf("#%d", i+1)
}

func tierList() string {
	var names []string
	for _, t := range []tools.Tier{tools.ReadOnly, tools.ReadExecute, tools.Full} {
		names = append(names, t.String())
	}
	return strings.Join(names, ", ")
}

// CheckListen decides whether an HTTP server may listen on addr with these
// settings. Serving a non-loopback address without authentication is an
// error unless MCP_AUTH=none; then warning says so, for a loud log line.
func (a Auth) CheckListen(addr string) (warning string, err error) {
	host, _, splitErr := net.SplitHostPort(addr)
	if splitErr != nil {
		host = addr
	}
	if IsLoopbackHost(host) || a.Enabled() {
		return "", nil
	}
	if a.None {
		return fmt.Sprintf("AUTHENTICATION IS OFF (MCP_AUTH=none) on %s: anyone who can reach this address can use every tool of the configured tier on the Proxmox cluster", addr), nil
	}
	return "", fmt.Errorf("refusing to serve %s without authentication: set MCP_AUTH_TOKENS (or MCP_AUTH_SECRET_ARN), or MCP_OAUTH_ISSUER and MCP_OAUTH_AUDIENCE; "+
		"listen on 127.0.0.1 for local use; or set MCP_AUTH=none if something in front of this server authenticates callers", addr)
}

// CategoriesWithin intersects a caller's categories with the deployment's
// (empty means all). ok is false when they share none: the caller could
// then use no tool at all (and an empty list must not be read as "all").
func CategoriesWithin(deployment, caller []tools.Category) (cats []tools.Category, ok bool) {
	if len(caller) == 0 {
		return deployment, true
	}
	var out []tools.Category
	for _, c := range tools.Categories {
		if (len(deployment) == 0 || slices.Contains(deployment, c)) && slices.Contains(caller, c) {
			out = append(out, c)
		}
	}
	return out, len(out) > 0
}
