// Command server serves pve-mcp over stateless Streamable HTTP: MCP at /mcp,
// health at /healthz. It listens on $PORT (Cloud Run) or -addr and shuts down
// gracefully on SIGTERM.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/pve-mcp/pve-mcp/cmd/internal/boot"
	"github.com/pve-mcp/pve-mcp/handler"
)

func main() {
	demo := flag.Bool("demo", false, "serve a simulated Proxmox VE cluster instead of a real one")
	addr := flag.String("addr", "", "listen address (default :$PORT, or 127.0.0.1:8080 when PORT is unset)")
	flag.Parse()
	if err := run(*demo, *addr); err != nil {
		fmt.Fprintln(os.Stderr, "pve-mcp:", err)
		os.Exit(1)
	}
}

func run(demo bool, addr string) error {
	if addr == "" {
		if port := os.Getenv("PORT"); port != "" {
			addr = ":" + port
		} else {
			addr = "127.0.0.1:8080"
		}
	}
	cfg, log, cleanup, err := boot.Load(demo)
	defer cleanup()
	if err != nil {
		return err
	}
	h, err := handler.New(cfg, log)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Info("pve-mcp serving MCP over HTTP", "addr", ln.Addr().String(), "path", "/mcp", "tier", cfg.Tools.Tier.String())
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	// Cloud Run allows 10 s after SIGTERM; finish in-flight calls within 8.
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 8*time.Second)
	defer cancel()
	log.Info("shutting down")
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
