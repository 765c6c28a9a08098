package handler

import (
	"log/slog"

	"github.com/pve-mcp/pve-mcp/config"
)

// CheckListen is the startup check of an HTTP server about to listen on addr:
// a non-loopback address without authentication is an error unless
// MCP_AUTH=none, which is logged loudly. In demo mode (a simulated cluster
// in the process, nothing real behind it) it is only a warning.
func CheckListen(cfg config.Config, addr string, demo bool, log *slog.Logger) error {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	warning, err := cfg.Auth.CheckListen(addr)
	if err != nil && demo {
		log.Warn("DEMO MODE without authentication on " + addr + ": anyone who can reach it can use the simulated cluster (no real Proxmox is behind it)")
		return nil
	}
	if err != nil {
		return err
	}
	if warning != "" {
		log.Warn(warning)
	}
	return nil
}
