// Package boot is the startup shared by the runners: logging, configuration
// from the environment (with the Proxmox token from AWS Secrets Manager when
// PVE_SECRET_ARN is set), demo mode and the connection check.
package boot

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/pve-mcp/pve-mcp/config"
	"github.com/pve-mcp/pve-mcp/pve"
	"github.com/pve-mcp/pve-mcp/pve/pvesim"
	"github.com/pve-mcp/pve-mcp/secrets"
	"github.com/pve-mcp/pve-mcp/tools"
)

// Options say how a runner starts.
type Options struct {
	// Demo serves a simulated cluster instead of a real one.
	Demo bool
	// Getenv reads the environment (os.Getenv when nil; tests pass a map).
	Getenv func(string) string
	// LogOutput receives the log lines (os.Stderr when nil).
	LogOutput io.Writer
	// Secrets returns the Secrets Manager client for PVE_SECRET_ARN
	// (secrets.NewClient with the standard AWS configuration when nil).
	Secrets func(ctx context.Context) (secrets.API, error)
}

// Load is LoadWith for the stdio runner: logs on stderr, os.Getenv.
func Load(demo bool) (cfg config.Config, log *slog.Logger, cleanup func(), err error) {
	return LoadWith(Options{Demo: demo})
}

// LoadWith reads the configuration and, in demo mode, starts the simulated
// cluster and points the configuration at it; cleanup stops the demo. With
// PVE_SECRET_ARN, the Proxmox token is read from AWS Secrets Manager (once:
// the process keeps it, so a Lambda reads it once per cold start) and read
// again when Proxmox rejects it (rotation). log is usable even on error.
func LoadWith(opts Options) (cfg config.Config, log *slog.Logger, cleanup func(), err error) {
	getenv := opts.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	tuneGC(getenv)
	out := opts.LogOutput
	if out == nil {
		out = os.Stderr
	}
	cfg, arn, err := config.FromEnvWithSecret(getenv, opts.Demo)
	log = NewLogger(out, cfg.Debug)
	cleanup = func() {}
	if err != nil {
		return cfg, log, cleanup, fmt.Errorf("configuration: %w", err)
	}
	if opts.Demo {
		if arn != "" {
			log.Warn("demo mode: PVE_SECRET_ARN is ignored", "secret", arn)
		}
		if len(cfg.Clusters) > 0 || cfg.ClustersSecretARN != "" {
			log.Warn("demo mode: the cluster list (PVE_CLUSTERS...) is ignored; the demo serves its own two clusters")
		}
		// Two simulated clusters, as an operator with a lab and an office
		// has them: every tool takes cluster, lab is the default.
		var demos []*pvesim.Demo
		cleanup = func() {
			for _, d := range demos {
				d.Close()
			}
		}
		cfg.Clusters, cfg.DefaultCluster, cfg.ClustersSecretARN = nil, "lab", ""
		for _, site := range []string{"lab", "office"} {
			d, err := pvesim.StartDemoSite(site, 2*time.Second)
			if err != nil {
				cleanup()
				return cfg, log, func() {}, err
			}
			demos = append(demos, d)
			cfg.Clusters = append(cfg.Clusters, config.Cluster{Name: site, Ceiling: tools.Full, SharedToken: true,
				PVE: pve.Config{BaseURL: d.BaseURL, TokenID: d.TokenID, TokenSecret: d.TokenSecret}})
		}
		cfg.PVE.BaseURL, cfg.PVE.TokenID, cfg.PVE.TokenSecret = demos[0].BaseURL, demos[0].TokenID, demos[0].TokenSecret
		cfg.PVE.TLS = pve.TLSConfig{}
		cfg.SkipCheck = true
		log.Warn("DEMO MODE: serving two simulated Proxmox VE clusters, lab (3 nodes, 6 VMs, 4 containers; the default) and office (2 nodes, 3 VMs, 2 containers); nothing here touches a real cluster", "lab", demos[0].BaseURL, "office", demos[1].BaseURL)
		return cfg, log, cleanup, nil
	}
	for _, w := range cfg.Warnings() {
		log.Warn(w)
	}
	if arn != "" {
		if err := useSecret(&cfg, arn, opts, log, getenv); err != nil {
			return cfg, log, cleanup, err
		}
	}
	if len(cfg.Clusters) > 0 || cfg.ClustersSecretARN != "" {
		// Each cluster is checked by the handler, without holding up
		// startup: one that is down must not stop the others being served.
		return cfg, log, cleanup, nil
	}
	if !cfg.SkipCheck {
		client, err := pve.New(cfg.PVE)
		if err != nil {
			return cfg, log, cleanup, err
		}
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		version, err := client.Check(ctx)
		if err != nil {
			return cfg, log, cleanup, err
		}
		log.Info("connected to Proxmox VE", "host", client.Host(), "version", version, "tier", cfg.Tools.Tier.String())
	}
	return cfg, log, cleanup, nil
}

// useSecret loads the Proxmox token from the secret arn into cfg and sets
// cfg.PVE.Refresh to fetch it again after a 401.
func useSecret(cfg *config.Config, arn string, opts Options, log *slog.Logger, getenv func(string) string) error {
	if strings.TrimSpace(getenv("PVE_TOKEN_ID")) != "" || strings.TrimSpace(getenv("PVE_TOKEN_SECRET")) != "" {
		log.Warn("PVE_SECRET_ARN is set: the token in PVE_TOKEN_ID/PVE_TOKEN_SECRET is ignored", "secret", arn)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	newAPI := opts.Secrets
	if newAPI == nil {
		newAPI = func(ctx context.Context) (secrets.API, error) { return secrets.NewClient(ctx, "") }
	}
	api, err := newAPI(ctx)
	if err != nil {
		return err
	}
	src := secrets.PVETokenSource{Cache: secrets.NewCache(api), ARN: arn}
	tok, err := src.Token(ctx)
	if err != nil {
		return fmt.Errorf("reading the Proxmox token: %w", err)
	}
	cfg.PVE.TokenID, cfg.PVE.TokenSecret = tok.TokenID, tok.TokenSecret
	log.Info("Proxmox API token read from AWS Secrets Manager", "secret", arn)

	cfg.PVE.Refresh = src.Refresher(tok.TokenSecret, log)
	return nil
}

// DemoFromEnv reads PVE_DEMO, the demo switch for runners that take no
// flags (Lambda, containers): true serves the simulated cluster.
func DemoFromEnv(getenv func(string) string) (bool, error) {
	switch v := strings.ToLower(strings.TrimSpace(getenv("PVE_DEMO"))); v {
	case "", "0", "false", "no", "off":
		return false, nil
	case "1", "true", "yes", "on":
		return true, nil
	}
	return false, fmt.Errorf("PVE_DEMO=%q: use true or false", getenv("PVE_DEMO"))
}
