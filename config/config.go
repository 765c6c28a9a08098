// Package config reads pve-mcp's settings from the environment. Every value
// is checked at startup: an invalid one is an error naming the variable and
// the valid values, never a silent default (a typo in PVE_ACCESS_TIER must
// not become "full").
package config

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/pve-mcp/pve-mcp/pve"
	"github.com/pve-mcp/pve-mcp/tools"
)

// Config is the whole configuration of one deployment.
type Config struct {
	PVE   pve.Config
	Tools tools.Selection
	// ToolMode is how tools are listed (PVE_TOOL_MODE): all, compact, or
	// auto, decided per caller from the size of its selection.
	ToolMode tools.Mode
	// MaxResultBytes caps one tool result (tools.DefaultMaxResultBytes if 0).
	MaxResultBytes int
	Debug          bool
	// GuestExec gates the guest-agent exec/file-write tools.
	GuestExec tools.GuestExecPolicy
	// SkipCheck skips the startup GET /version (PVE_SKIP_CHECK=true).
	SkipCheck bool
	// HTTPStream lets the HTTP handler answer a tools/call that asks for
	// progress with an SSE stream (PVE_HTTP_STREAM, default true); false
	// where the platform buffers the answer anyway (a BUFFERED Lambda
	// function URL). stdio ignores it.
	HTTPStream bool
	// Auth is the HTTP handler's authentication (config/auth.go); stdio ignores it.
	Auth Auth
	// Confirm is which tools ask for a yes first, and the token key (config/confirm.go).
	Confirm tools.Confirmation
	// ConfirmKeySecretARN names a Secrets Manager secret holding the
	// confirmation key; the handler reads it at startup into Confirm.Key.
	ConfirmKeySecretARN string
	// Clusters are the named clusters of PVE_CLUSTERS (nil: the one cluster
	// of PVE_BASE_URL); DefaultCluster is the one a call without a cluster
	// argument goes to ("" : none, the argument is required).
	Clusters       []Cluster
	DefaultCluster string
	// ClustersSecretARN names the secret holding the cluster list; the
	// runner reads it at startup (UseClusters).
	ClustersSecretARN string
}

// Var documents one environment variable; the README's table is checked against this list.
type Var struct {
	Name, Default, Desc string
}

// Vars lists every variable FromEnv reads.
var Vars = []Var{
	{"PVE_BASE_URL", "", "Proxmox API address, e.g. `https://pve.example.com:8006` (required)"},
	{"PVE_TOKEN_ID", "", "API token id `user@realm!name` (required)"},
	{"PVE_TOKEN_SECRET", "", "API token secret (UUID) (required)"},
	{"PVE_ACCESS_TIER", "full", "`read-only`, `read-execute` or `full`"},
	{"PVE_CATEGORIES", "all", "comma list of categories to register"},
	{"PVE_TOOL_WHITELIST", "", "comma list: register only these tools (within tier and categories)"},
	{"PVE_TOOL_BLACKLIST", "", "comma list: never register these tools (wins over the whitelist)"},
	{"PVE_TOOL_MODE", "auto", "`all` lists every tool; `compact` lists a few core tools, `pve_search_tools` and the dispatchers `pve_read`, `pve_change`, `pve_destroy`; `auto` is `all` for a caller with at most 40 tools, else `compact`"},
	{"PVE_VERIFY_SSL", "true", "`false` turns TLS certificate verification off (prefer the two below)"},
	{"PVE_CA_CERT", "", "PEM file of a private CA to trust"},
	{"PVE_TLS_FINGERPRINT", "", "SHA-256 fingerprint of the Proxmox certificate (`AA:BB:...`) to pin"},
	{"PVE_TIMEOUT", "30", "seconds one Proxmox call may take"},
	{"PVE_MAX_CONCURRENCY", "8", "most Proxmox requests in flight at once per instance; more wait (within the request deadline) for a free slot"},
	{"PVE_MAX_RESULT_BYTES", "32768", "largest tool result; longer lists are cut with a note on how to page"},
	{"PVE_SKIP_CHECK", "false", "`true` skips the startup connection check (`GET /version`)"},
	{"PVE_HTTP_STREAM", "true", "HTTP only: a `tools/call` with a progress token, from a client accepting `text/event-stream`, is answered as an SSE stream carrying `notifications/progress` while `wait` follows the task; `false` answers every request with one JSON body (set where the platform buffers the answer: a Lambda function URL in BUFFERED mode, template.yaml's default)"},
	{"DEBUG", "false", "`true` logs debug lines to stderr"},
	ConfirmVars[0], ConfirmVars[1], ConfirmVars[2],
}

// FromEnv reads the configuration. getenv is os.Getenv in production and a
// map lookup in tests. With demo set, the Proxmox address and token are not
// required (the simulator supplies them).
func FromEnv(getenv func(string) string, demo bool) (Config, error) {
	var errs []error
	var c Config
	c.PVE.BaseURL = strings.TrimSpace(getenv("PVE_BASE_URL"))
	c.PVE.TokenID = strings.TrimSpace(getenv("PVE_TOKEN_ID"))
	c.PVE.TokenSecret = strings.TrimSpace(getenv("PVE_TOKEN_SECRET"))
	errs = append(errs, clustersFromEnv(getenv, demo, &c)...)
	multi := len(c.Clusters) > 0 || c.ClustersSecretARN != ""
	if !demo && !multi {
		for _, v := range []struct{ name, val string }{{"PVE_BASE_URL", c.PVE.BaseURL}, {"PVE_TOKEN_ID", c.PVE.TokenID}, {"PVE_TOKEN_SECRET", c.PVE.TokenSecret}} {
			if v.val == "" {
				errs = append(errs, fmt.Errorf("%s is required (or run with -demo to try the simulated cluster)", v.name))
			}
		}
	}

	tier := "full"
	if v := strings.TrimSpace(getenv("PVE_ACCESS_TIER")); v != "" {
		tier = v
	}
	var err error
	if c.Tools.Tier, err = tools.ParseTier(tier); err != nil {
		errs = append(errs, fmt.Errorf("PVE_ACCESS_TIER: %w", err))
	}
	if c.Tools.Categories, err = tools.ParseCategories(getenv("PVE_CATEGORIES")); err != nil {
		errs = append(errs, fmt.Errorf("PVE_CATEGORIES: %w", err))
	}
	c.Tools.Allow = tools.ParseList(getenv("PVE_TOOL_WHITELIST"))
	c.Tools.Deny = tools.ParseList(getenv("PVE_TOOL_BLACKLIST"))
	if c.ToolMode, err = tools.ParseMode(getenv("PVE_TOOL_MODE")); err != nil {
		errs = append(errs, fmt.Errorf("PVE_TOOL_MODE: %w", err))
	}

	verify, err := parseBool(getenv, "PVE_VERIFY_SSL", true)
	errs = appendErr(errs, err)
	c.PVE.TLS.Insecure = !verify
	c.PVE.TLS.CAFile = strings.TrimSpace(getenv("PVE_CA_CERT"))
	if fp := strings.TrimSpace(getenv("PVE_TLS_FINGERPRINT")); fp != "" {
		if _, err := pve.ParseFingerprint(fp); err != nil {
			errs = append(errs, err)
		}
		c.PVE.TLS.Fingerprint = fp
	}
	if c.PVE.TLS.Insecure && (c.PVE.TLS.CAFile != "" || c.PVE.TLS.Fingerprint != "") {
		errs = append(errs, errors.New("PVE_VERIFY_SSL=false contradicts PVE_CA_CERT/PVE_TLS_FINGERPRINT: drop PVE_VERIFY_SSL to verify with them"))
	}
	if c.PVE.TLS.CAFile != "" && c.PVE.TLS.Fingerprint != "" {
		errs = append(errs, errors.New("set either PVE_CA_CERT or PVE_TLS_FINGERPRINT, not both"))
	}

	secs, err := parseInt(getenv, "PVE_TIMEOUT", 30, 1, 900)
	errs = appendErr(errs, err)
	c.PVE.Timeout = time.Duration(secs) * time.Second
	c.PVE.MaxConcurrency, err = parseInt(getenv, "PVE_MAX_CONCURRENCY", pve.DefaultMaxConcurrency, 1, 256)
	errs = appendErr(errs, err)
	c.MaxResultBytes, err = parseInt(getenv, "PVE_MAX_RESULT_BYTES", tools.DefaultMaxResultBytes, 1024, 1<<24)
	errs = appendErr(errs, err)
	c.GuestExec, err = guestExecFromEnv(getenv)
	errs = appendErr(errs, err)
	c.SkipCheck, err = parseBool(getenv, "PVE_SKIP_CHECK", false)
	errs = appendErr(errs, err)
	c.HTTPStream, err = parseBool(getenv, "PVE_HTTP_STREAM", true)
	errs = appendErr(errs, err)
	c.Debug, err = parseBool(getenv, "DEBUG", false)
	errs = appendErr(errs, err)
	c.Confirm, c.ConfirmKeySecretARN, err = confirmFromEnv(getenv)
	errs = appendErr(errs, err)
	var authErrs []error
	c.Auth, authErrs = authFromEnv(getenv)
	errs = append(errs, authErrs...)

	// Validate the tool names now, so a typo stops startup; reported with
	// every other problem, not only once the rest is right.
	if _, err := tools.Select(c.Tools); err != nil {
		errs = append(errs, err)
	}
	if err := CheckTokenClusters(c.Auth.Tokens, c.Clusters); err != nil && c.ClustersSecretARN == "" {
		errs = append(errs, err)
	}
	if !demo && !multi && c.PVE.BaseURL != "" && c.PVE.TokenID != "" && c.PVE.TokenSecret != "" {
		// The client's own checks (URL and token id form, PVE_CA_CERT
		// readable) belong with the rest too; a bad fingerprint is reported above.
		check := c.PVE
		check.TLS.Fingerprint = ""
		if _, err := pve.New(check); err != nil {
			errs = append(errs, err)
		}
	}
	return c, errors.Join(errs...)
}

// Warnings are the settings that work but weaken security, for loud log
// lines at startup.
func (c Config) Warnings() []string {
	var out []string
	if c.PVE.TLS.Insecure {
		out = append(out, "PVE_VERIFY_SSL=false: the Proxmox certificate is not verified, so anyone on the network path can impersonate Proxmox and collect the API token; pin it with PVE_TLS_FINGERPRINT or trust its CA with PVE_CA_CERT instead")
	}
	if u, err := url.Parse(strings.TrimSpace(c.PVE.BaseURL)); err == nil && strings.EqualFold(u.Scheme, "http") {
		out = append(out, "PVE_BASE_URL uses http://: the API token and every answer travel in clear; use https:// (Proxmox serves it on port 8006)")
	}
	return out
}

func appendErr(errs []error, err error) []error {
	if err != nil {
		return append(errs, err)
	}
	return errs
}

func parseBool(getenv func(string) string, name string, def bool) (bool, error) {
	v := strings.ToLower(strings.TrimSpace(getenv(name)))
	switch v {
	case "":
		return def, nil
	case "1", "true", "yes", "on":
		return true, nil
	case "0", "false", "no", "off":
		return false, nil
	}
	return def, fmt.Errorf("%s=%q: use true or false", name, getenv(name))
}

func parseInt(getenv func(string) string, name string, def, lo, hi int) (int, error) {
	v := strings.TrimSpace(getenv(name))
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return def, fmt.Errorf("%s=%q: must be a whole number from %d to %d", name, v, lo, hi)
	}
	return n, nil
}
