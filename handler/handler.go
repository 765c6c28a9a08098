// Package handler is pve-mcp's one http.Handler: stateless Streamable HTTP
// MCP at /mcp and a health check at /healthz. The same handler serves the
// Lambda function URL, the Cloud Run container and local HTTP; it keeps no
// session state, so any instance can answer any request.
package handler

import (
	"log/slog"
	"net/http"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/pve-mcp/pve-mcp/config"
	"github.com/pve-mcp/pve-mcp/pve"
	"github.com/pve-mcp/pve-mcp/tools"
)

// MaxBodyBytes caps an MCP request body.
const MaxBodyBytes = 1 << 20

// NewServer builds the MCP server for cfg: a Proxmox client and the tools of
// the configured tier, categories and allow/deny lists.
func NewServer(cfg config.Config, log *slog.Logger) (*mcp.Server, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	client, err := pve.New(cfg.PVE)
	if err != nil {
		return nil, err
	}
	selected, err := tools.Select(cfg.Tools)
	if err != nil {
		return nil, err
	}
	env := &tools.Env{PVE: client, Log: log, MaxResultBytes: cfg.MaxResultBytes}
	return tools.NewServer(env, selected)
}

// New returns the HTTP handler for cfg.
func New(cfg config.Config, log *slog.Logger) (http.Handler, error) {
	srv, err := NewServer(cfg, log)
	if err != nil {
		return nil, err
	}
	mcpHandler := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return srv }, &mcp.StreamableHTTPOptions{
		Stateless:           true,
		JSONResponse:        true,
		MaxRequestBodyBytes: MaxBodyBytes,
		Logger:              log,
	})
	mux := http.NewServeMux()
	mux.Handle("/mcp", mcpHandler)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"status":"ok"}`))
	})
	return mux, nil
}
