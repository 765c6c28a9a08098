package handler

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/MicahParks/jwkset"
)

// JWKS cache tuning. Keys are refetched after keysTTL (or the max-age the
// issuer sends, within bounds) and at once when a token names an unknown
// kid, at most every refetchGap, so a flood of forged kids cannot turn into
// a flood of requests to the issuer.
const (
	keysTTL        = time.Hour
	keysMinTTL     = time.Minute
	keysMaxTTL     = 24 * time.Hour
	refetchGap     = 30 * time.Second
	maxJWKSBytes   = 256 << 10
	maxMetaBytes   = 64 << 10
	fetchTimeout   = 10 * time.Second
	minRSAKeyBits  = 2048
	maxKeysPerJWKS = 100
)

// signingKey is a parsed verification key.
type signingKey struct {
	kid string
	alg string // from the JWK; empty: any algorithm of the key's type
	key crypto.PublicKey
}

// keySet fetches and caches an issuer's JWKS. When jwksURL is empty it is
// discovered from the issuer's metadata on first use.
type keySet struct {
	issuer string
	client *http.Client
	now    func() time.Time

	mu          sync.Mutex // guards the fields below
	jwksURL     string
	keys        []signingKey
	expires     time.Time // when keys should be refetched
	lastAttempt time.Time // last fetch attempt, successful or not
	fetching    chan struct{}
}

func newKeySet(issuer, jwksURL string, client *http.Client) *keySet {
	if client == nil {
		client = &http.Client{Timeout: fetchTimeout, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	return &keySet{issuer: issuer, jwksURL: jwksURL, client: client, now: time.Now}
}

// errNoKey means the key set holds no key for the token, even after a refetch.
var errNoKey = errors.New("no matching signing key")

// lookup returns the key for kid (and alg). A kid not in the cache causes one
// refetch (rate-limited), so a rotated-in key works as soon as the issuer
// publishes it; a cache past its TTL is refreshed first.
func (ks *keySet) lookup(ctx context.Context, kid, alg string) (crypto.PublicKey, error) {
	keys, stale := ks.cached()
	if k := pick(keys, kid, alg); k != nil && !stale {
		return k, nil
	}
	keys, err := ks.refresh(ctx)
	if k := pick(keys, kid, alg); k != nil {
		return k, nil
	}
	if err != nil {
		return nil, err
	}
	return nil, errNoKey
}

func (ks *keySet) cached() ([]signingKey, bool) {
	ks.mu.Lock()
	defer ks.mu.Unlock()
	return ks.keys, ks.keys == nil || !ks.now().Before(ks.expires)
}

// refresh fetches the key set unless another fetch is running (then it waits
// for that one) or the last attempt was under refetchGap ago. It returns the keys to use: the new ones, or the old ones if the
// fetch failed (an issuer outage should not lock everyone out at once).
func (ks *keySet) refresh(ctx context.Context) ([]signingKey, error) {
	ks.mu.Lock()
	if ch := ks.fetching; ch != nil {
		ks.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		ks.mu.Lock()
		defer ks.mu.Unlock()
		return ks.keys, nil
	}
	if !ks.lastAttempt.IsZero() && ks.now().Sub(ks.lastAttempt) < refetchGap {
		keys := ks.keys
		ks.mu.Unlock()
		return keys, nil
	}
	ch := make(chan struct{})
	ks.fetching = ch
	ks.lastAttempt = ks.now()
	jwksURL := ks.jwksURL
	ks.mu.Unlock()

	// The fetch is not tied to one caller's context: others wait for it.
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), fetchTimeout)
	defer cancel()
	keys, ttl, newURL, err := ks.fetch(fctx, jwksURL)

	ks.mu.Lock()
	defer ks.mu.Unlock()
	ks.fetching = nil
	close(ch)
	if newURL != "" {
		ks.jwksURL = newURL
	}
	if err != nil {
		return ks.keys, err
	}
	ks.keys = keys
	ks.expires = ks.now().Add(ttl)
	return keys, nil
}

func (ks *keySet) fetch(ctx context.Context, jwksURL string) (keys []signingKey, ttl time.Duration, discovered string, err error) {
	if jwksURL == "" {
		jwksURL, err = ks.discover(ctx)
		if err != nil {
			return nil, 0, "", err
		}
		discovered = jwksURL
	}
	body, header, err := ks.get(ctx, jwksURL, maxJWKSBytes)
	if err != nil {
		return nil, 0, discovered, fmt.Errorf("fetching the issuer's keys: %w", err)
	}
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(body, &set); err != nil {
		return nil, 0, discovered, fmt.Errorf("issuer's JWKS at %s is not JSON", jwksURL)
	}
	if len(set.Keys) > maxKeysPerJWKS {
		set.Keys = set.Keys[:maxKeysPerJWKS]
	}
	keys = make([]signingKey, 0, len(set.Keys))
	for _, raw := range set.Keys {
		if sk, err := parseJWK(raw); err == nil {
			keys = append(keys, sk)
		}
		// Keys we cannot use (encryption keys, unknown types) are skipped.
	}
	if len(keys) == 0 {
		return nil, 0, discovered, fmt.Errorf("issuer's JWKS at %s holds no usable signing key", jwksURL)
	}
	return keys, maxAge(header.Get("Cache-Control")), discovered, nil
}

// discover reads the issuer's metadata: RFC 8414 first, then OpenID Connect
// discovery. The metadata must name the configured issuer.
func (ks *keySet) discover(ctx context.Context) (string, error) {
	iss := strings.TrimRight(ks.issuer, "/")
	var candidates []string
	if i := strings.Index(iss, "://"); i >= 0 {
		if j := strings.IndexByte(iss[i+3:], '/'); j >= 0 {
			host, path := iss[:i+3+j], iss[i+3+j:]
			candidates = append(candidates, host+"/.well-known/oauth-authorization-server"+path)
		} else {
			candidates = append(candidates, iss+"/.well-known/oauth-authorization-server")
		}
	}
	candidates = append(candidates, iss+"/.well-known/openid-configuration")
	var errs []error
	for _, u := range candidates {
		body, _, err := ks.get(ctx, u, maxMetaBytes)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		var meta struct {
			Issuer  string `json:"issuer"`
			JWKSURI string `json:"jwks_uri"`
		}
		if err := json.Unmarshal(body, &meta); err != nil {
			errs = append(errs, fmt.Errorf("%s: not JSON", u))
			continue
		}
		if meta.Issuer != ks.issuer {
			errs = append(errs, fmt.Errorf("%s names issuer %q, not %q", u, meta.Issuer, ks.issuer))
			continue
		}
		if meta.JWKSURI == "" {
			errs = append(errs, fmt.Errorf("%s has no jwks_uri", u))
			continue
		}
		return meta.JWKSURI, nil
	}
	return "", fmt.Errorf("discovering the issuer's keys (set MCP_OAUTH_JWKS_URL to skip discovery): %w", errors.Join(errs...))
}

func (ks *keySet) get(ctx context.Context, u string, limit int64) ([]byte, http.Header, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := ks.client.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, nil, fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, nil, fmt.Errorf("GET %s: %w", u, err)
	}
	if int64(len(body)) > limit {
		return nil, nil, fmt.Errorf("GET %s: answer larger than %d bytes", u, limit)
	}
	return body, resp.Header, nil
}

// maxAge reads Cache-Control max-age, bounded to [keysMinTTL, keysMaxTTL].
func maxAge(cc string) time.Duration {
	for _, d := range strings.Split(cc, ",") {
		d = strings.TrimSpace(strings.ToLower(d))
		if v, ok := strings.CutPrefix(d, "max-age="); ok {
			if n, err := strconv.Atoi(v); err == nil {
				return min(max(time.Duration(n)*time.Second, keysMinTTL), keysMaxTTL)
			}
		}
	}
	return keysTTL
}

// pick finds the key for kid and alg. A token without kid matches only when
// exactly one key fits its algorithm.
func pick(keys []signingKey, kid, alg string) crypto.PublicKey {
	var match []signingKey
	for _, k := range keys {
		if (kid == "" || k.kid == kid) && keyFitsAlg(k, alg) {
			match = append(match, k)
		}
	}
	if len(match) == 1 || (kid != "" && len(match) > 0) {
		return match[0].key
	}
	return nil
}

func keyFitsAlg(k signingKey, alg string) bool {
	if k.alg != "" && k.alg != alg {
		return false
	}
	switch k.key.(type) {
	case *rsa.PublicKey:
		return strings.HasPrefix(alg, "RS") || strings.HasPrefix(alg, "PS")
	case *ecdsa.PublicKey:
		return strings.HasPrefix(alg, "ES")
	case ed25519.PublicKey:
		return alg == "EdDSA"
	}
	return false
}

// parseJWK reads one public signing key with jwkset (which checks the
// parameters, the EC point on its curve and the RSA key's form), then
// applies what this server requires of a signing key: use "sig" or none,
// an asymmetric type, RSA of minRSAKeyBits or more. Private parameters a
// JWKS should never hold are ignored.
func parseJWK(raw json.RawMessage) (signingKey, error) {
	j, err := jwkset.NewJWKFromRawJSON(raw, jwkset.JWKMarshalOptions{Private: false}, jwkset.JWKValidateOptions{})
	if err != nil {
		return signingKey{}, err
	}
	m := j.Marshal()
	if m.USE != "" && m.USE != jwkset.UseSig {
		return signingKey{}, errors.New("not a signing key")
	}
	sk := signingKey{kid: m.KID, alg: string(m.ALG)}
	switch k := j.Key().(type) {
	case *rsa.PublicKey:
		if k.N.BitLen() < minRSAKeyBits {
			return sk, errors.New("RSA key too short")
		}
		sk.key = k
	case *ecdsa.PublicKey:
		sk.key = k
	case ed25519.PublicKey:
		sk.key = k
	default:
		return sk, errors.New("unsupported key type")
	}
	return sk, nil
}
