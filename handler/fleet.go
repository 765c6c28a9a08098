package handler

import (
	"context"
	"fmt"
	"log/slog"
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
	var cache *secrets.Cache
	secretsCache := func(ctx context.Context) (*secrets.Cache, error) {
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
			ids := &identities{cluster: cc.Name, base: client, tokens: cc.Callers, log: log, cache: secretsCache, clients: map[string]*pve.Client{}}
			nc.ActAs = ids.actAs
		}
		f.Clusters = append(f.Clusters, nc)
	}
	return f, f.Get(cmpName(f.Default, f.Clusters[0].Name)).PVE, nil
}

func cmpName(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// useTokenSecret reads a cluster's token from src into pc, and makes pc
// read it again when Proxmox rejects it (rotation).
func useTokenSecret(ctx context.Context, pc *pve.Config, src secrets.PVETokenSource, log *slog.Logger, cluster string) error {
	tok, err := src.Token(ctx)
	if err != nil {
		return fmt.Errorf("reading the Proxmox token: %w", err)
	}
	pc.TokenID, pc.TokenSecret = tok.TokenID, tok.TokenSecret
	pc.Refresh = refresher(src, tok.TokenSecret, log, "cluster", cluster)
	return nil
}

// refresher is a pve.Config.Refresh that fetches the token of src again
// after Proxmox rejected last, the secret in use.
func refresher(src secrets.PVETokenSource, last string, log *slog.Logger, who, name string) func(context.Context) (string, string, error) {
	var mu sync.Mutex
	return func(ctx context.Context) (string, string, error) {
		mu.Lock()
		defer mu.Unlock()
		t, err := src.Refresh(ctx, last)
		if err != nil {
			log.Error("Proxmox rejected an API token and reading it again failed", who, name, "secret", src.ARN, "error", err.Error())
			return "", "", err
		}
		log.Warn("Proxmox rejected an API token; read it again from AWS Secrets Manager", who, name, "secret", src.ARN, "changed", t.TokenSecret != last)
		last = t.TokenSecret
		return t.TokenID, t.TokenSecret, nil
	}
}

// identities are the Proxmox tokens of a cluster's callers: each caller's
// client is made on its first call (its secret read then, not at cold
// start) and kept for the instance's life; the set is bounded by the
// configuration. A failed read is not kept: the next call tries again.
type identities struct {
	cluster string
	base    *pve.Client
	tokens  map[string]config.CallerToken
	log     *slog.Logger
	cache   func(ctx context.Context) (*secrets.Cache, error)

	mu      sync.Mutex
	clients map[string]*pve.Client
}

func (ids *identities) actAs(ctx context.Context, caller string) (*pve.Client, bool, error) {
	tok, ok := ids.tokens[caller]
	if !ok {
		return nil, false, nil
	}
	ids.mu.Lock()
	defer ids.mu.Unlock()
	if c := ids.clients[caller]; c != nil {
		return c, true, nil
	}
	var c *pve.Client
	var err error
	if tok.SecretARN == "" {
		c, err = ids.base.WithToken(tok.TokenID, tok.TokenSecret, nil)
	} else {
		var cache *secrets.Cache
		if cache, err = ids.cache(ctx); err == nil {
			src := secrets.PVETokenSource{Cache: cache, ARN: tok.SecretARN}
			var t secrets.PVEToken
			if t, err = src.Token(ctx); err == nil {
				c, err = ids.base.WithToken(t.TokenID, t.TokenSecret, refresher(src, t.TokenSecret, ids.log, "caller", caller))
			}
		}
	}
	if err != nil {
		return nil, false, err
	}
	ids.clients[caller] = c
	ids.log.Info("acting as the caller's own Proxmox token", "cluster", ids.cluster, "caller", caller, "token_id", c.TokenID())
	return c, true, nil
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
