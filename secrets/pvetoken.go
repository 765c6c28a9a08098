package secrets

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
)

// PVEToken is the Proxmox API token a secret holds, stored as the JSON
// object
//
//	{"token_id": "mcp@pve!lambda", "token_secret": "1b2c...-uuid"}
//
// Further keys are allowed and ignored (rotation functions often add some).
type PVEToken struct {
	TokenID     string `json:"token_id"`
	TokenSecret string `json:"token_secret"`
}

// ParsePVEToken reads a PVEToken from a secret value. The error describes
// the expected shape and never quotes the value.
func ParsePVEToken(value string) (PVEToken, error) {
	var t PVEToken
	dec := json.NewDecoder(strings.NewReader(value))
	if err := dec.Decode(&t); err != nil || dec.More() {
		// json's messages quote the offending characters: do not pass them on.
		return PVEToken{}, fmt.Errorf(`is not a JSON object {"token_id": "user@realm!name", "token_secret": "<uuid>"}`)
	}
	t.TokenID, t.TokenSecret = strings.TrimSpace(t.TokenID), strings.TrimSpace(t.TokenSecret)
	var missing []string
	if t.TokenID == "" {
		missing = append(missing, "token_id")
	}
	if t.TokenSecret == "" {
		missing = append(missing, "token_secret")
	}
	if len(missing) > 0 {
		return PVEToken{}, fmt.Errorf("lacks %s (a non-empty string)", strings.Join(missing, " and "))
	}
	user, name, ok := strings.Cut(t.TokenID, "!")
	if !ok || name == "" || !strings.Contains(user, "@") || strings.HasPrefix(user, "@") || strings.HasSuffix(user, "@") {
		return PVEToken{}, fmt.Errorf("has a token_id that is not of the form user@realm!tokenname")
	}
	if strings.ContainsAny(t.TokenSecret, " \t\r\n=") {
		return PVEToken{}, fmt.Errorf("has a token_secret with blanks or '=' (paste the token value alone)")
	}
	return t, nil
}

// PVETokenSource loads a Proxmox token from one secret through a Cache.
type PVETokenSource struct {
	Cache *Cache
	ARN   string
}

// Token returns the cached token, fetching it on first use.
func (s PVETokenSource) Token(ctx context.Context) (PVEToken, error) {
	v, err := s.Cache.Get(ctx, s.ARN)
	if err != nil {
		return PVEToken{}, err
	}
	return s.parse(v)
}

// Refresh fetches the secret again after Proxmox rejected stale (the
// token secret in use), unless another caller already did.
func (s PVETokenSource) Refresh(ctx context.Context, stale string) (PVEToken, error) {
	cur, err := s.Cache.Get(ctx, s.ARN)
	if err != nil {
		return PVEToken{}, err
	}
	// Refresh only when the cached value still holds the rejected secret.
	if t, perr := s.parse(cur); perr == nil && t.TokenSecret != stale {
		return t, nil
	}
	v, err := s.Cache.Refresh(ctx, s.ARN, cur)
	if err != nil {
		return PVEToken{}, err
	}
	return s.parse(v)
}

func (s PVETokenSource) parse(v string) (PVEToken, error) {
	t, err := ParsePVEToken(v)
	if err != nil {
		return PVEToken{}, fmt.Errorf("secret %s %w", s.ARN, err)
	}
	return t, nil
}

// Refresher is a pve.Config.Refresh for a token read from s: each call
// (the client makes one per rejected token) reads the secret again unless
// the cache already holds a newer one; last is the secret in use, which
// Proxmox just rejected. attrs name what the token is for in the log lines
// (a cluster, a caller); the secret's value is never logged.
func (s PVETokenSource) Refresher(last string, log *slog.Logger, attrs ...any) func(context.Context) (string, string, error) {
	var mu sync.Mutex
	return func(ctx context.Context) (string, string, error) {
		mu.Lock()
		defer mu.Unlock()
		t, err := s.Refresh(ctx, last)
		if err != nil {
			log.Error("Proxmox rejected the API token and reading it again failed", slices.Concat(attrs, []any{"secret", s.ARN, "error", err.Error()})...)
			return "", "", err
		}
		log.Warn("Proxmox rejected the API token; read it again from AWS Secrets Manager", slices.Concat(attrs, []any{"secret", s.ARN, "changed", t.TokenSecret != last})...)
		last = t.TokenSecret
		return t.TokenID, t.TokenSecret, nil
	}
}
