// Command local serves pve-mcp over stdio for desktop MCP clients (Claude
// Desktop, Claude Code, Cursor). Logs go to stderr; stdout is JSON-RPC only.
//
//	pve-mcp-local            # Proxmox from PVE_* variables
//	pve-mcp-local -demo      # a simulated cluster, no Proxmox needed
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/pve-mcp/pve-mcp/cmd/internal/boot"
	"github.com/pve-mcp/pve-mcp/handler"
)

func main() {
	demo := flag.Bool("demo", false, "serve a simulated Proxmox VE cluster instead of a real one")
	flag.Parse()
	if err := run(*demo); err != nil {
		fmt.Fprintln(os.Stderr, "pve-mcp:", err)
		os.Exit(1)
	}
}

func run(demo bool) error {
	cfg, log, cleanup, err := boot.Load(demo)
	defer cleanup()
	if err != nil {
		return err
	}
	srv, err := handler.NewServer(cfg, log)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log.Info("pve-mcp serving MCP over stdio", "tier", cfg.Tools.Tier.String())
	if err := srv.Run(ctx, &mcp.StdioTransport{}); err != nil && ctx.Err() == nil {
		return err
	}
	return nil
}
