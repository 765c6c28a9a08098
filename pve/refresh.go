package pve

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// credential is the token a Client sends, with the redactor that hides it
// and every token it replaced.
type credential struct {
	auth    string // Authorization header value
	tokenID string
	secret  string
	redact  *Redactor
	hidden  []string // every secret string ever used, for the redactor
}

func newCredential(tokenID, secret string, prev *credential) *credential {
	c := &credential{auth: "PVEAPIToken=" + tokenID + "=" + secret, tokenID: tokenID, secret: secret}
	if prev != nil {
		c.hidden = append(c.hidden, prev.hidden...)
	}
	// Only the secret (and the header holding it) is hidden: the token id
	// is no secret, it names the caller in every UPID and task list.
	c.hidden = append(c.hidden, secret, c.auth)
	c.redact = NewRedactor(c.hidden...)
	return c
}

// retryRefreshed handles a 401 (unauthorized, the error of the call made
// with used): it fetches the token again through Config.Refresh and, when
// that yields a different token, repeats the call once with it. A token
// rotated in the secret store is thus picked up without a restart, and a
// wrong token still fails after one extra fetch, never in a loop.
func (c *Client) retryRefreshed(ctx context.Context, used *credential, unauthorized error, method, path string, params Values, out any) error {
	next, err := c.rotate(ctx, used)
	if err != nil {
		var pe *Error
		if errors.As(unauthorized, &pe) {
			pe.Message = strings.TrimSpace(pe.Message + "; fetching the token again did not help: " + err.Error())
		}
		return unauthorized
	}
	return c.attempts(ctx, next, method, path, params, out)
}

// errSameToken says the credential source still holds the rejected token.
var errSameToken = errors.New("the token source still holds the rejected token")

// rotate replaces the rejected credential used with a freshly fetched one.
// Concurrent callers rejected with the same credential share one fetch: the
// first swaps it, the others find it already swapped and use the new one.
func (c *Client) rotate(ctx context.Context, used *credential) (*credential, error) {
	c.refreshMu.Lock()
	defer c.refreshMu.Unlock()
	if cur := c.cred.Load(); cur != used {
		return cur, nil
	}
	tokenID, secret, err := c.refresh(ctx)
	if err != nil {
		return nil, err
	}
	tokenID, secret = strings.TrimSpace(tokenID), strings.TrimSpace(secret)
	if !strings.Contains(tokenID, "@") || !strings.Contains(tokenID, "!") || secret == "" {
		return nil, fmt.Errorf("the refreshed token is not of the form user@realm!tokenname with a secret")
	}
	if tokenID == used.tokenID && secret == used.secret {
		return nil, errSameToken
	}
	next := newCredential(tokenID, secret, used)
	c.cred.Store(next)
	return next, nil
}
