// Command local serves pve-mcp over stdio for desktop MCP clients (Claude
// Desktop, Claude Code, Cursor). Logs go to stderr; stdout is JSON-RPC only.
// Releases and the README build it as `pve-mcp`.
//
//	pve-mcp            # Proxmox from PVE_* variables
//	pve-mcp -demo      # a simulated cluster, no Proxmox needed
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

// terminalHint is printed when stdin is a terminal: whoever started the
// server by hand would otherwise wait on a silent prompt.
const terminalHint = `pve-mcp: this is an MCP server on stdio: it waits for JSON-RPC from an MCP client on stdin.
  Let a client start it (README, "Connect a client"), or paste these three lines:
{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"terminal","version":"0"}}}
{"jsonrpc":"2.0","method":"notifications/initialized"}
{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"pve_read","arguments":{"tool":"pve_list_nodes"}}}
  Ctrl-C stops the server.`

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
	log.Info("pve-mcp serving MCP over stdio: waiting for a client's JSON-RPC on stdin", "tier", cfg.Tools.Tier.String())
	if fi, err := os.Stdin.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
		fmt.Fprintln(os.Stderr, terminalHint)
	}
	if err := srv.Run(ctx, &mcp.StdioTransport{}); err != nil && ctx.Err() == nil {
		return err
	}
	if ctx.Err() != nil {
		log.Info("stopped")
	}
	return nil
}
