package handler

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/pve-mcp/pve-mcp/config"
	"github.com/pve-mcp/pve-mcp/pve"
	"github.com/pve-mcp/pve-mcp/secrets"
	"github.com/pve-mcp/pve-mcp/tools"
)

// The clusters of PVE_CLUSTERS (issue 15) as the tools use them: one
// Proxmox client per cluster, and per caller where the caller has a
// Proxmox token of its own there.

// clusterSecretTimeout bounds the Secrets Manager reads of startup.
const clusterSecretTimeout = 15 * time.Second

// buildFleet makes the clients of cfg's clusters: nil and the one client
// of PVE_BASE_URL without a cluster list. Cluster tokens kept in Secrets
// Manager are read now (and again on a 401); callers' own tokens are read
// on their first call.
func buildFleet(cfg config.Config, log *slog.Logger) (*tools.Fleet, *pve.Client, error) {
	if len(cfg.Clusters) == 0 {
		c, err := pve.New(cfg.PVE)
		return nil, c, err
	}
	// One Secrets Manager cache for every cluster, made on first use (the
	// callers of several clusters may need it at once: eachCluster).
	var (
		cacheMu sync.Mutex
		cache   *secrets.Cache
	)
	secretsCache := func(ctx context.Context) (*secrets.Cache, error) {
		cacheMu.Lock()
		defer cacheMu.Unlock()
		if cache == nil {
			api, err := newSecretsAPI(ctx)
			if err != nil {
				return nil, err
			}
			cache = secrets.NewCache(api)
		}
		return cache, nil
	}
	f := &tools.Fleet{Default: cfg.DefaultCluster}
	for _, cc := range cfg.Clusters {
		pc := cc.PVE
		// The deployment's limits and timeout apply to every cluster
		// (PVE_MAX_CONCURRENCY is per cluster: each has its own Proxmox).
		pc.MaxConcurrency, pc.MaxResponse, pc.Transport = cfg.PVE.MaxConcurrency, cfg.PVE.MaxResponse, cfg.PVE.Transport
		if pc.Timeout == 0 {
			pc.Timeout = cfg.PVE.Timeout
		}
		if cc.SecretARN != "" {
			ctx, cancel := context.WithTimeout(context.Background(), clusterSecretTimeout)
			cache, err := secretsCache(ctx)
			if err == nil {
				err = useTokenSecret(ctx, &pc, secrets.PVETokenSource{Cache: cache, ARN: cc.SecretARN}, log, cc.Name)
			}
			cancel()
			if err != nil {
				return nil, nil, fmt.Errorf("cluster %s: %w", cc.Name, err)
			}
		}
		client, err := pve.New(pc)
		if err != nil {
			return nil, nil, fmt.Errorf("cluster %s: %w", cc.Name, err)
		}
		nc := &tools.NamedCluster{Name: cc.Name, Ceiling: cc.Ceiling, PVE: client, Shared: cc.SharedToken}
		if len(cc.Callers) > 0 {
			ids := &identities{cluster: cc.Name, base: client, tokens: cc.Callers, log: log, cache: secretsCache, clients: map[string]*identity{}}
			nc.ActAs, nc.Redactors = ids.actAs, ids.redactors
		}
		f.Clusters = append(f.Clusters, nc)
	}
	return f, f.Get(cmp.Or(f.Default, f.Clusters[0].Name)).PVE, nil
}

// useTokenSecret reads a cluster's token from src into pc, and makes pc
// read it again when Proxmox rejects it (rotation).
func useTokenSecret(ctx context.Context, pc *pve.Config, src secrets.PVETokenSource, log *slog.Logger, cluster string) error {
	tok, err := src.Token(ctx)
	if err != nil {
		return fmt.Errorf("reading the Proxmox token: %w", err)
	}
	pc.TokenID, pc.TokenSecret = tok.TokenID, tok.TokenSecret
	pc.Refresh = src.Refresher(tok.TokenSecret, log, "cluster", cluster)
	return nil
}

// identities are the Proxmox tokens of a cluster's callers: each caller's
// client is made on its first call (its secret read then, not at cold
// start) and kept for the instance's life; the set is bounded by the
// configuration. A failed read is not kept: the next call tries again. One
// caller's slow read holds up only that caller.
type identities struct {
	cluster string
	base    *pve.Client
	tokens  map[string]config.CallerToken
	log     *slog.Logger
	cache   func(ctx context.Context) (*secrets.Cache, error)

	mu      sync.Mutex // guards clients, not the reads
	clients map[string]*identity
}

// identity is one caller's client, made once.
type identity struct {
	mu     sync.Mutex
	client *pve.Client
}

func (ids *identities) actAs(ctx context.Context, caller string) (*pve.Client, bool, error) {
	tok, ok := ids.tokens[caller]
	if !ok {
		return nil, false, nil
	}
	ids.mu.Lock()
	id := ids.clients[caller]
	if id == nil {
		id = &identity{}
		ids.clients[caller] = id
	}
	ids.mu.Unlock()

	id.mu.Lock()
	defer id.mu.Unlock()
	if id.client != nil {
		return id.client, true, nil
	}
	c, err := ids.open(ctx, caller, tok)
	if err != nil {
		// The details (secret ARN, AWS's answer) are for the operator;
		// the agent learns that the read failed and where to look.
		ids.log.Error("reading a caller's Proxmox token failed", "cluster", ids.cluster, "caller", caller, "error", err.Error())
		return nil, false, errors.New("the server could not read it (its log says why)")
	}
	id.client = c
	ids.log.Info("acting as the caller's own Proxmox token", "cluster", ids.cluster, "caller", caller, "token_id", c.TokenID())
	return c, true, nil
}

// open makes the client of one caller's token.
func (ids *identities) open(ctx context.Context, caller string, tok config.CallerToken) (*pve.Client, error) {
	if tok.SecretARN == "" {
		return ids.base.WithToken(tok.TokenID, tok.TokenSecret, nil)
	}
	cache, err := ids.cache(ctx)
	if err != nil {
		return nil, err
	}
	src := secrets.PVETokenSource{Cache: cache, ARN: tok.SecretARN}
	t, err := src.Token(ctx)
	if err != nil {
		return nil, err
	}
	return ids.base.WithToken(t.TokenID, t.TokenSecret, src.Refresher(t.TokenSecret, ids.log, "cluster", ids.cluster, "caller", caller))
}

// redactors are the redactors of the callers' clients made so far, so
// text from any of them (an audit line, a panic's log) loses their secrets.
func (ids *identities) redactors() []*pve.Redactor {
	ids.mu.Lock()
	defer ids.mu.Unlock()
	var out []*pve.Redactor
	for _, id := range ids.clients {
		id.mu.Lock()
		if id.client != nil {
			out = append(out, id.client.Redactor())
		}
		id.mu.Unlock()
	}
	return out
}

// checkClusters logs, for each cluster, whether it answers, without holding
// up startup: a cluster that is down must not stop the server serving the
// others.
func checkClusters(f *tools.Fleet, log *slog.Logger) {
	for _, c := range f.Clusters {
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), clusterSecretTimeout)
			defer cancel()
			if v, err := c.PVE.Check(ctx); err != nil {
				log.Warn("cluster does not answer; its calls fail until it does", "cluster", c.Name, "error", c.PVE.Redactor().String(err.Error()))
			} else {
				log.Info("connected to Proxmox VE", "cluster", c.Name, "host", c.PVE.Host(), "version", v, "tier", c.Ceiling.String())
			}
		}()
	}
}

// warnUnknownCallers logs the callers a cluster maps to a Proxmox token
// that no configured bearer token can be: a typo there silently leaves
// the person on the cluster token, or refused.
func warnUnknownCallers(cfg config.Config, log *slog.Logger) {
	if len(cfg.Auth.Tokens) == 0 {
		return
	}
	names := map[string]bool{}
	for _, t := range cfg.Auth.Tokens {
		names["token:"+t.Name] = true
	}
	for _, c := range cfg.Clusters {
		for caller := range c.Callers {
			if strings.HasPrefix(caller, "token:") && !names[caller] {
				log.Warn("a cluster maps a caller no bearer token names", "cluster", c.Name, "caller", caller)
			}
		}
	}
}
