package handler

import (
	"context"
	"crypto"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
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

// jwk is one key as a JWKS publishes it (RFC 7517), public members only.
type jwk struct {
	Kty string `json:"kty"`
	Kid string `json:"kid"`
	Use string `json:"use"`
	Alg string `json:"alg"`
	N   string `json:"n"`
	E   string `json:"e"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Y   string `json:"y"`
}

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
		var k jwk
		if json.Unmarshal(raw, &k) != nil {
			continue
		}
		if sk, err := parseJWK(k); err == nil {
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

func parseJWK(k jwk) (signingKey, error) {
	if k.Use != "" && k.Use != "sig" {
		return signingKey{}, errors.New("not a signing key")
	}
	sk := signingKey{kid: k.Kid, alg: k.Alg}
	switch k.Kty {
	case "RSA":
		n, err1 := b64int(k.N)
		e, err2 := b64int(k.E)
		if err1 != nil || err2 != nil || !e.IsInt64() || e.Int64() < 3 || e.Int64() > 1<<31-1 {
			return sk, errors.New("bad RSA key")
		}
		if n.BitLen() < minRSAKeyBits {
			return sk, errors.New("RSA key too short")
		}
		sk.key = &rsa.PublicKey{N: n, E: int(e.Int64())}
	case "EC":
		var curve elliptic.Curve
		var ecurve ecdh.Curve
		switch k.Crv {
		case "P-256":
			curve, ecurve = elliptic.P256(), ecdh.P256()
		case "P-384":
			curve, ecurve = elliptic.P384(), ecdh.P384()
		case "P-521":
			curve, ecurve = elliptic.P521(), ecdh.P521()
		default:
			return sk, errors.New("unsupported curve")
		}
		size := (curve.Params().BitSize + 7) / 8
		x, err1 := base64.RawURLEncoding.DecodeString(k.X)
		y, err2 := base64.RawURLEncoding.DecodeString(k.Y)
		if err1 != nil || err2 != nil || len(x) != size || len(y) != size {
			return sk, errors.New("bad EC key")
		}
		// crypto/ecdh checks that the point is on the curve.
		point := append(append([]byte{4}, x...), y...)
		if _, err := ecurve.NewPublicKey(point); err != nil {
			return sk, errors.New("EC point not on curve")
		}
		sk.key = &ecdsa.PublicKey{Curve: curve, X: new(big.Int).SetBytes(x), Y: new(big.Int).SetBytes(y)}
	case "OKP":
		x, err := base64.RawURLEncoding.DecodeString(k.X)
		if k.Crv != "Ed25519" || err != nil || len(x) != ed25519.PublicKeySize {
			return sk, errors.New("unsupported OKP key")
		}
		sk.key = ed25519.PublicKey(x)
	default:
		return sk, errors.New("unsupported key type")
	}
	return sk, nil
}

func b64int(s string) (*big.Int, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) == 0 {
		return nil, errors.New("bad base64url integer")
	}
	return new(big.Int).SetBytes(b), nil
}
