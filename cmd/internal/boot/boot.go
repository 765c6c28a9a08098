// Package boot is the startup shared by the runners: logging, configuration
// from the environment, demo mode and the connection check.
package boot

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/pve-mcp/pve-mcp/config"
	"github.com/pve-mcp/pve-mcp/pve"
	"github.com/pve-mcp/pve-mcp/pve/pvesim"
)

// Logger writes JSON lines to stderr (stdout is JSON-RPC's on stdio).
func Logger(debug bool) *slog.Logger {
	level := slog.LevelInfo
	if debug {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
}

// Load reads the configuration and, in demo mode, starts the simulated
// cluster and points the configuration at it. cleanup stops the demo.
func Load(demo bool) (cfg config.Config, log *slog.Logger, cleanup func(), err error) {
	cfg, err = config.FromEnv(os.Getenv, demo)
	log = Logger(cfg.Debug)
	cleanup = func() {}
	if err != nil {
		return cfg, log, cleanup, fmt.Errorf("configuration: %w", err)
	}
	if demo {
		d, err := pvesim.StartDemo(2 * time.Second)
		if err != nil {
			return cfg, log, cleanup, err
		}
		cfg.PVE.BaseURL, cfg.PVE.TokenID, cfg.PVE.TokenSecret = d.BaseURL, d.TokenID, d.TokenSecret
		cfg.PVE.TLS = pve.TLSConfig{}
		cfg.SkipCheck = true
		cleanup = func() { d.Close() }
		log.Warn("DEMO MODE: serving a simulated Proxmox VE cluster (3 nodes, 6 VMs, 4 containers); nothing here touches a real cluster", "simulator", d.BaseURL)
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
