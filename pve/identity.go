package pve

import (
	"context"
	"errors"
	"slices"
	"strings"
)

// WithToken returns a client for the same Proxmox that authenticates with
// another API token: one person's own, so Proxmox's ACLs and task log apply
// to that person. It shares c's connections and its limits (the cap on
// requests in flight and the answer budget are the instance's, whoever
// calls), and refresh, when set, fetches that token again after a 401.
func (c *Client) WithToken(tokenID, secret string, refresh func(ctx context.Context) (tokenID, secret string, err error)) (*Client, error) {
	user, name, ok := strings.Cut(tokenID, "!")
	if !ok || name == "" || !strings.Contains(user, "@") {
		return nil, errors.New("the token id must look like user@realm!tokenname")
	}
	if secret == "" {
		return nil, errors.New("the token secret is empty")
	}
	o := &Client{
		base: c.base, http: c.http, timeout: c.timeout, maxResponse: c.maxResponse,
		retries: c.retries, backoff: c.backoff, refresh: refresh, limits: c.limits,
	}
	o.cred.Store(newCredential(tokenID, secret, nil))
	return o, nil
}

// TokenID is the API token id the client authenticates with now (not a
// secret: Proxmox writes it into every task id).
func (c *Client) TokenID() string { return c.cred.Load().tokenID }

// JoinRedactors returns one redactor holding the secrets of all of rs, for
// text that may carry any of several clients' credentials (an audit line of
// a server that talks to several clusters).
func JoinRedactors(rs ...*Redactor) *Redactor {
	out := &Redactor{}
	seen := map[string]bool{}
	for _, r := range rs {
		if r == nil {
			continue
		}
		for _, s := range r.secrets {
			if !seen[string(s)] {
				seen[string(s)] = true
				out.secrets = append(out.secrets, s)
			}
		}
	}
	slices.SortStableFunc(out.secrets, func(a, b []byte) int { return len(b) - len(a) })
	return out
}
