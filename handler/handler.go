// Package handler is pve-mcp's one http.Handler: stateless Streamable HTTP
// MCP at /mcp and a health check at /healthz. The same handler serves the
// Lambda function URL, the Cloud Run container and local HTTP; it keeps no
// session state, so any instance can answer any request.
//
// Every request to /mcp passes, in order: a request id, a deadline, the
// Origin check, authentication (static bearer tokens and/or OAuth JWT access
// tokens), the body limits, and then the MCP server cached for the caller's
// effective tier and categories. Every tools/call leaves one audit line.
package handler

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/pve-mcp/pve-mcp/config"
	"github.com/pve-mcp/pve-mcp/pve"
	"github.com/pve-mcp/pve-mcp/secrets"
	"github.com/pve-mcp/pve-mcp/tools"
)

// MaxBodyBytes caps an MCP request body.
const MaxBodyBytes = 1 << 20

// NewServer builds the MCP server for cfg: a Proxmox client and the tools of
// the configured tier, categories and allow/deny lists, every tools/call
// audited to log. It is what stdio serves; HTTP builds one per caller tier
// (see New).
func NewServer(cfg config.Config, log *slog.Logger) (*mcp.Server, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	fleet, client, err := openClusters(&cfg, log)
	if err != nil {
		return nil, err
	}
	sel := cfg.Tools
	sel.ManyClusters = fleet.Multi()
	selected, err := tools.Select(sel)
	if err != nil {
		return nil, err
	}
	// One process: its own random key (when none is set) verifies every token it issues.
	env := &tools.Env{PVE: client, Fleet: fleet, Log: log, MaxResultBytes: cfg.MaxResultBytes, GuestExec: cfg.GuestExec, Confirm: cfg.Confirm}
	selected = env.Usable(selected)
	srv, err := tools.NewServerFor(env, selected, cfg.ToolMode)
	if err != nil {
		return nil, err
	}
	// The same audit line as over HTTP; the caller is whoever started the process.
	aud := &auditor{log: log, redact: redactorOf(fleet, client), caller: "stdio", fleet: fleet}
	srv.AddReceivingMiddleware(aud.middleware(keyOf(cfg.Tools.Tier, cfg.Tools.Categories), surfaceOf(selected, cfg.ToolMode)))
	return srv, nil
}

// redactorOf returns the redactor of every credential the server holds.
func redactorOf(fleet *tools.Fleet, client *pve.Client) func() *pve.Redactor {
	if fleet == nil {
		return client.Redactor
	}
	return fleet.Redactor
}

// openClusters makes the clients of cfg's clusters (buildFleet), once the
// cluster list and the bearer tokens are known (either may come from a
// secret read at startup), and checks in the background that each answers.
func openClusters(cfg *config.Config, log *slog.Logger) (*tools.Fleet, *pve.Client, error) {
	if err := loadClusterList(cfg); err != nil {
		return nil, nil, err
	}
	if err := config.CheckTokenClusters(cfg.Auth.Tokens, cfg.Clusters); err != nil {
		return nil, nil, err
	}
	warnUnknownCallers(*cfg, log)
	fleet, client, err := buildFleet(*cfg, log)
	if err != nil {
		return nil, nil, err
	}
	if fleet != nil && !cfg.SkipCheck {
		checkClusters(fleet, log)
	}
	return fleet, client, nil
}

// loadClusterList reads the cluster list from PVE_CLUSTERS_SECRET_ARN,
// once at startup.
func loadClusterList(cfg *config.Config) error {
	if cfg.ClustersSecretARN == "" || len(cfg.Clusters) > 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), clusterSecretTimeout)
	defer cancel()
	api, err := newSecretsAPI(ctx)
	if err != nil {
		return fmt.Errorf("PVE_CLUSTERS_SECRET_ARN: %w", err)
	}
	value, err := secrets.Fetch(ctx, api, cfg.ClustersSecretARN)
	if err != nil {
		return fmt.Errorf("PVE_CLUSTERS_SECRET_ARN: %w", err)
	}
	return cfg.UseClusters(value)
}

// New returns the HTTP handler for cfg. Audit lines go to log (JSON on
// stderr in the runners). When cfg.Auth names a Secrets Manager secret, the
// tokens are read from it now.
func New(cfg config.Config, log *slog.Logger) (http.Handler, error) {
	b, err := build(cfg, log)
	if err != nil {
		return nil, err
	}
	return b.mux, nil
}

// built is New's handler with the parts tests look into.
type built struct {
	mux     *http.ServeMux
	authn   *authenticator
	servers *serverSet
	// confirmKey is the key confirmation tokens are signed with (nil: the process's own).
	confirmKey []byte
}

func build(cfg config.Config, log *slog.Logger) (*built, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.Auth.SecretARN != "" {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		if err := loadSecretTokens(ctx, &cfg.Auth); err != nil {
			return nil, err
		}
	}
	if cfg.ConfirmKeySecretARN != "" {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		if err := loadConfirmKey(ctx, &cfg); err != nil {
			return nil, err
		}
	}
	if cfg.Confirm.Policy != tools.ConfirmOff && len(cfg.Confirm.Key) == 0 {
		log.Warn("PVE_CONFIRM_KEY is not set: confirmation tokens are signed with a random key of this process and verify only on the instance that issued them; a deployment with several instances (Lambda, Cloud Run) must set PVE_CONFIRM_KEY or PVE_CONFIRM_KEY_SECRET_ARN", "confirm", cfg.Confirm.Policy.String())
	}
	fleet, client, err := openClusters(&cfg, log)
	if err != nil {
		return nil, err
	}
	// The go-sdk logs each session's start and end at Info; on stateless HTTP
	// that is three lines per request, so only its warnings are kept; all of
	// pve-mcp's own lines are (sdklog.go).
	env := &tools.Env{PVE: client, Fleet: fleet, Log: slog.New(quietSDK{log.Handler()}), MaxResultBytes: cfg.MaxResultBytes, GuestExec: cfg.GuestExec, Confirm: cfg.Confirm}
	aud := &auditor{log: log, tokens: cfg.Auth.Tokens, redact: redactorOf(fleet, client), fleet: fleet}

	fleetNames := fleet.Names()
	authn := &authenticator{deployment: cfg.Tools, tokens: cfg.Auth.Tokens, log: log, clusters: fleetNames}
	if cfg.Auth.OAuth != nil {
		authn.oauth = newJWTVerifier(cfg.Auth.OAuth, oauthHTTPClient)
		authn.resourceMetadataURL, _ = metadataPaths(cfg.Auth.OAuth.Audience)
	}

	// One server per effective selection any caller can have: its own env
	// (the clusters it may use, its confirmation policy) over the shared one.
	servers := newServerSet(cfg.Tools, fleetNames, func(k serverKey, selected []*tools.Tool) (*mcp.Server, error) {
		own := *env
		own.Reach, own.Confirm.Policy = k.reach(), k.confirm
		selected = own.Usable(selected)
		// The mode is decided per selection, so per caller: a caller whose
		// tier and categories leave a few tools gets them all listed.
		srv, err := tools.NewServerFor(&own, selected, cfg.ToolMode)
		if err != nil {
			return nil, err
		}
		srv.AddReceivingMiddleware(aud.middleware(k, surfaceOf(selected, cfg.ToolMode)))
		return srv, nil
	})
	confirm := cfg.Confirm.Policy
	anonymous := &Caller{ID: "anonymous", Tier: cfg.Tools.Tier, Categories: cfg.Tools.Categories}
	if _, err := servers.add(servers.keyFor(anonymous, confirm)); err != nil {
		return nil, err
	}
	for _, t := range cfg.Auth.Tokens {
		c, err := authn.tokenCaller(t)
		if err != nil {
			return nil, err
		}
		if _, err := servers.add(servers.keyFor(c, confirm)); err != nil {
			return nil, err
		}
	}
	if cfg.Auth.OAuth != nil {
		for _, st := range config.ScopeTiers {
			c := &Caller{Tier: min(st.Tier, cfg.Tools.Tier), Categories: cfg.Tools.Categories}
			if _, err := servers.add(servers.keyFor(c, confirm)); err != nil {
				return nil, err
			}
		}
	}
	authOn := cfg.Auth.Enabled()
	getServer := func(r *http.Request) *mcp.Server {
		c := CallerFrom(r.Context())
		if c == nil {
			if authOn {
				return nil // unreachable: the auth middleware stops such requests
			}
			c = anonymous
		}
		// Built at startup, or (an OAuth caller whose scopes narrow the
		// clusters) now, once per distinct selection.
		ts, err := servers.add(servers.keyFor(c, confirm))
		if err != nil {
			log.Error("building a caller's server failed", "caller", c.ID, "error", err.Error())
			return nil
		}
		return ts.srv
	}
	// JSON answers, and SSE for a call that asks for progress (stream.go).
	mcpHandler := newMCPHandler(getServer, mcp.StreamableHTTPOptions{
		Stateless:           true,
		MaxRequestBodyBytes: MaxBodyBytes,
		Logger:              env.Log,
	}, cfg.HTTPStream)

	var h http.Handler = limitBody(MaxBodyBytes, mcpHandler)
	if authOn {
		h = authn.middleware(h)
	}
	h = originCheck(cfg.Auth.AllowedOrigins, h)
	h = withDeadline(cfg.Auth.RequestTimeout, h)
	h = withRequestID(h)

	mux := http.NewServeMux()
	mux.Handle("/mcp", h)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"status":"ok"}`))
	})
	if cfg.Auth.OAuth != nil {
		_, paths := metadataPaths(cfg.Auth.OAuth.Audience)
		prm := auth.ProtectedResourceMetadataHandler(protectedResourceMetadata(cfg.Auth.OAuth))
		for _, p := range paths {
			mux.Handle(p, prm)
		}
	}
	logAuth(log, cfg, servers.len())
	return &built{mux: mux, authn: authn, servers: servers, confirmKey: cfg.Confirm.Key}, nil
}

// oauthHTTPClient fetches issuer metadata and keys (nil: a default client
// with a timeout and no redirects). Tests may replace it.
var oauthHTTPClient *http.Client

func logAuth(log *slog.Logger, cfg config.Config, servers int) {
	a := cfg.Auth
	var modes []string
	if len(a.Tokens) > 0 {
		var names []string
		for _, t := range a.Tokens {
			names = append(names, fmt.Sprintf("%s(%s)", t.Name, t.Tier))
		}
		modes = append(modes, "tokens: "+strings.Join(names, " "))
	}
	if a.OAuth != nil {
		modes = append(modes, "oauth: issuer "+a.OAuth.Issuer+", audience "+a.OAuth.Audience)
	}
	if len(modes) == 0 {
		modes = append(modes, "none")
	}
	log.Info("HTTP authentication", "auth", strings.Join(modes, "; "), "tier_ceiling", cfg.Tools.Tier.String(), "servers", servers, "allowed_origins", a.AllowedOrigins)
}
