// Command server serves pve-mcp over stateless Streamable HTTP: MCP at /mcp,
// health at /healthz. It is the Cloud Run container's entrypoint: it
// listens on $PORT, logs JSON lines Cloud Logging understands (severity,
// message), keeps no state between requests, and on SIGTERM stops taking
// new requests and finishes the ones in flight within Cloud Run's 10 s.
//
//	PORT=8080 pve-mcp-server         # Proxmox from PVE_* variables
//	pve-mcp-server -demo             # a simulated cluster (or PVE_DEMO=true)
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/pve-mcp/pve-mcp/cmd/internal/boot"
	"github.com/pve-mcp/pve-mcp/handler"
)

// shutdownGrace is how long in-flight requests may finish after SIGTERM:
// Cloud Run kills the container 10 s after SIGTERM.
const shutdownGrace = 8 * time.Second

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "pve-mcp:", err)
		os.Exit(1)
	}
}

// run serves until ctx ends (SIGTERM), then shuts down gracefully.
func run(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	fs := flag.NewFlagSet("server", flag.ContinueOnError)
	fs.SetOutput(stderr)
	demoFlag := fs.Bool("demo", false, "serve a simulated Proxmox VE cluster instead of a real one (also PVE_DEMO=true)")
	addr := fs.String("addr", "", "listen address (default :$PORT, or 127.0.0.1:8080 when PORT is unset)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	demo, err := boot.DemoFromEnv(getenv)
	if err != nil {
		return err
	}
	demo = demo || *demoFlag
	if *addr == "" {
		if port := getenv("PORT"); port != "" {
			*addr = ":" + port // Cloud Run: every interface of the container
		} else {
			*addr = "127.0.0.1:8080"
		}
	}
	cfg, log, cleanup, err := boot.LoadWith(boot.Options{Demo: demo, Getenv: getenv, LogOutput: stderr})
	defer cleanup()
	if err != nil {
		log.Error("startup failed", "error", err.Error())
		return err
	}
	if err := handler.CheckListen(cfg, *addr, demo, log); err != nil {
		log.Error("startup failed", "error", err.Error())
		return err
	}
	h, err := handler.New(cfg, log)
	if err != nil {
		log.Error("startup failed", "error", err.Error())
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	// Requests run on a context of their own: SIGTERM stops accepting, it
	// does not cancel the calls in flight (Shutdown waits for them).
	baseCtx, cancelRequests := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelRequests()
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		BaseContext:       func(net.Listener) context.Context { return baseCtx },
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Info("pve-mcp serving MCP over HTTP", "addr", ln.Addr().String(), "path", "/mcp", "tier", cfg.Tools.Tier.String())
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("SIGTERM: shutting down, finishing requests in flight", "grace", shutdownGrace.String())
	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		cancelRequests()
		srv.Close()
		log.Error("requests still running after the grace period were cut", "error", err.Error())
		return fmt.Errorf("shutdown: %w", err)
	}
	log.Info("stopped")
	return nil
}
