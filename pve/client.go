package pve

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Values are request parameters: the query string of a GET/DELETE or the
// form body of a POST/PUT.
type Values = url.Values

// Defaults for a Client; each can be overridden in Config.
const (
	DefaultTimeout     = 30 * time.Second
	DefaultMaxResponse = 16 << 20 // bytes of one Proxmox answer we are willing to read
	defaultRetries     = 3
)

// Config says where Proxmox is and how to talk to it.
type Config struct {
	BaseURL     string // https://pve.example.com:8006 (no /api2/json)
	TokenID     string // user@realm!tokenname
	TokenSecret string // UUID
	TLS         TLSConfig
	Timeout     time.Duration // per call, when the caller's context has no earlier deadline
	MaxResponse int64         // cap on a response body, in bytes
	// Transport replaces the HTTP transport (tests); TLS settings are then ignored.
	Transport http.RoundTripper
	// MaxConcurrency caps the requests in flight (DefaultMaxConcurrency if 0);
	// more wait for a free slot within their deadline.
	MaxConcurrency int
	// AnswerBudget is the memory, in bytes, that answers larger than 1 MiB
	// share while they are read and decoded (MaxResponse if 0: one at a time).
	AnswerBudget int64
	// Refresh, when set, is called once when Proxmox answers 401, to fetch
	// the token again (it may have been rotated, e.g. in a secret store);
	// the call is then retried once with the new token. Concurrent 401s
	// share one Refresh. See refresh.go.
	Refresh func(ctx context.Context) (tokenID, secret string, err error)
}

// Client calls the Proxmox VE API with an API token. It is safe for
// concurrent use and holds no per-request state.
type Client struct {
	base        *url.URL
	http        *http.Client
	timeout     time.Duration
	maxResponse int64
	retries     int
	backoff     time.Duration
	cred        atomic.Pointer[credential] // swapped by a refresh after a 401
	refresh     func(ctx context.Context) (tokenID, secret string, err error)
	refreshMu   sync.Mutex
	limits      *limits
}

// New validates cfg and returns a client. It does not contact Proxmox; see Check.
func New(cfg Config) (*Client, error) {
	raw := strings.TrimRight(strings.TrimSpace(cfg.BaseURL), "/")
	raw = strings.TrimSuffix(raw, "/api2/json")
	// A URL with user info may hold a password: refuse it without quoting it.
	if hasUserInfo(raw) {
		return nil, errors.New("PVE_BASE_URL must not carry credentials (user:password@host): remove them and set the API token in PVE_TOKEN_ID and PVE_TOKEN_SECRET")
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		shown := fmt.Sprintf(" %q", cfg.BaseURL)
		if strings.Contains(raw, "@") {
			shown = "" // it may still hold credentials
		}
		return nil, fmt.Errorf("PVE_BASE_URL%s must be an absolute http(s) URL such as https://pve.example.com:8006", shown)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, fmt.Errorf("PVE_BASE_URL must not carry a query, fragment or user info")
	}
	if !strings.Contains(cfg.TokenID, "@") || !strings.Contains(cfg.TokenID, "!") {
		return nil, fmt.Errorf("PVE_TOKEN_ID must look like user@realm!tokenname")
	}
	if cfg.TokenSecret == "" {
		return nil, fmt.Errorf("PVE_TOKEN_SECRET is empty")
	}
	transport := cfg.Transport
	if transport == nil {
		tlsConf, err := cfg.TLS.build()
		if err != nil {
			return nil, err
		}
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.TLSClientConfig = tlsConf
		t.MaxIdleConnsPerHost = 32
		t.MaxConnsPerHost = cmp.Or(max(cfg.MaxConcurrency, 0), DefaultMaxConcurrency)
		transport = t
	}
	c := &Client{
		base:        u,
		http:        &http.Client{Transport: transport, CheckRedirect: noRedirect},
		timeout:     cfg.Timeout,
		maxResponse: cfg.MaxResponse,
		retries:     defaultRetries,
		backoff:     200 * time.Millisecond,
		refresh:     cfg.Refresh,
	}
	c.cred.Store(newCredential(cfg.TokenID, cfg.TokenSecret, nil))
	if c.timeout <= 0 {
		c.timeout = DefaultTimeout
	}
	if c.maxResponse <= 0 {
		c.maxResponse = DefaultMaxResponse
	}
	budget := cfg.AnswerBudget
	if budget <= 0 {
		budget = c.maxResponse
	}
	c.limits = newLimits(cfg.MaxConcurrency, budget)
	return c, nil
}

// hasUserInfo reports whether an address has an '@' before its path, where
// URL syntax puts user[:password]; parsed or not, it is not echoed.
func hasUserInfo(raw string) bool {
	rest := raw
	if _, after, ok := strings.Cut(raw, "://"); ok {
		rest = after
	}
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		rest = rest[:i]
	}
	return strings.Contains(rest, "@")
}

// A redirect would carry the token to wherever it points; Proxmox never redirects the API.
func noRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// Redactor returns the redactor holding this client's credentials, for
// layers above that format Proxmox data themselves.
func (c *Client) Redactor() *Redactor { return c.cred.Load().redact }

// RestoreUPID puts the token id back into a task id that shows it as
// [REDACTED]. Proxmox writes the caller (our token id) into every UPID;
// results now show it in clear, but earlier versions redacted it, and an
// agent handing such a UPID back must still reach the task.
func (c *Client) RestoreUPID(upid string) string {
	if !strings.HasPrefix(upid, "UPID:") {
		return upid
	}
	return strings.ReplaceAll(upid, Redacted, c.cred.Load().tokenID)
}

// Host is the Proxmox host:port, for messages.
func (c *Client) Host() string { return c.base.Host }

// Get calls GET path with query parameters and decodes "data" into out (if non-nil).
func (c *Client) Get(ctx context.Context, path string, q Values, out any) error {
	return c.Do(ctx, http.MethodGet, path, q, out)
}

// Do makes one API call. path is below /api2/json and must already be built
// with BuildPath (segments escaped). The "data" member of the answer is
// decoded into out, which may be a *json.RawMessage to keep it as sent.
func (c *Client) Do(ctx context.Context, method, path string, params Values, out any) error {
	if method != http.MethodGet && ctx.Err() == nil {
		// A change, once begun, is not cut off when the caller goes away
		// (a client closing its connection cancels the call): Proxmox may
		// have applied it already, so it is sent to the end and answered.
		// Deadlines still hold. A canceled call still sends no new change.
		dl, hasDeadline := ctx.Deadline()
		ctx = context.WithoutCancel(ctx)
		if hasDeadline {
			var cancel context.CancelFunc
			ctx, cancel = context.WithDeadline(ctx, dl)
			defer cancel()
		}
	}
	// The caller's deadline (a Lambda invocation's, say) wins when it is earlier.
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	cred := c.cred.Load()
	err := c.attempts(ctx, cred, method, path, params, out)
	if c.refresh != nil && StatusOf(err) == http.StatusUnauthorized && ctx.Err() == nil {
		err = c.retryRefreshed(ctx, cred, err, method, path, params, out)
	}
	return c.cleanErr(err)
}

// attempts makes the call, retrying a GET on connection failures and
// 502/503/504. The error is not yet redacted.
func (c *Client) attempts(ctx context.Context, cred *credential, method, path string, params Values, out any) error {
	attempts := 1
	if method == http.MethodGet {
		attempts += c.retries
	}
	var err error
	for i := 0; i < attempts; i++ {
		if i > 0 {
			// Full jitter: a random wait up to base*2^i, so parallel callers spread out.
			wait := time.Duration(rand.Int64N(int64(c.backoff) << i))
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return err
			case <-t.C:
			}
		}
		var retry bool
		retry, err = c.once(ctx, cred, method, path, params, out)
		if err == nil || !retry || ctx.Err() != nil {
			break
		}
	}
	return err
}

func (c *Client) cleanErr(err error) error {
	if err == nil {
		return nil
	}
	redact := c.Redactor()
	var pe *Error
	if errors.As(err, &pe) {
		pe.Message = redact.String(pe.Message)
		// The path may hold a UPID, which carries the token id; the errors
		// map's keys are Proxmox's text as much as its values.
		pe.Path = redact.String(pe.Path)
		if pe.Errors != nil {
			clean := make(map[string]string, len(pe.Errors))
			for k, v := range pe.Errors {
				clean[redact.String(k)] = redact.String(v)
			}
			pe.Errors = clean
		}
		return pe
	}
	var ce *ConnError
	if errors.As(err, &ce) {
		return &ConnError{Host: ce.Host, Err: c.redactErr(ce.Err)}
	}
	return c.redactErr(err)
}

// redactErr returns err itself when its text holds no secret, so callers can
// still match it (errors.Is(err, context.DeadlineExceeded)); otherwise a
// plain error with the redacted text.
func (c *Client) redactErr(err error) error {
	msg := err.Error()
	if clean := c.Redactor().String(msg); clean != msg {
		return errors.New(clean)
	}
	return err
}

func (c *Client) once(ctx context.Context, cred *credential, method, path string, params Values, out any) (retry bool, err error) {
	u := *c.base
	full := strings.TrimRight(c.base.EscapedPath(), "/") + "/api2/json" + path
	parsed, err := url.Parse(full)
	if err != nil {
		return false, fmt.Errorf("invalid API path %q: %v", path, err)
	}
	u.Path, u.RawPath = parsed.Path, parsed.RawPath
	var body io.Reader
	if method == http.MethodGet || method == http.MethodDelete {
		u.RawQuery = params.Encode()
	} else if len(params) > 0 {
		body = strings.NewReader(params.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return false, err
	}
	req.Header.Set("Authorization", cred.auth)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	// The slot is held until the answer is decoded: what it bounds is
	// Proxmox's load and the memory answers take here.
	release, err := c.limits.acquire(ctx)
	if err != nil {
		return false, err
	}
	defer release()
	resp, err := c.http.Do(req)
	traceAttempt(ctx, method, path, resp)
	if err != nil {
		if cert := certificateProblem(unwrapURLError(err)); cert != nil {
			return false, &ConnError{Host: c.base.Host, Err: cert}
		}
		return true, &ConnError{Host: c.base.Host, Err: unwrapURLError(err)}
	}
	defer resp.Body.Close()
	raw, releaseMem, err := c.limits.readAnswer(ctx, resp, c.maxResponse)
	defer releaseMem()
	if errors.Is(err, ErrBusy) {
		return false, err
	}
	if resp.ContentLength > c.maxResponse {
		return false, fmt.Errorf("Proxmox %s %s: answer larger than %d bytes; ask for less (filters, limit)", method, path, c.maxResponse)
	}
	if err != nil {
		return true, &ConnError{Host: c.base.Host, Err: fmt.Errorf("reading answer: %w", err)}
	}
	if int64(len(raw)) > c.maxResponse {
		return false, fmt.Errorf("Proxmox %s %s: answer larger than %d bytes; ask for less (filters, limit)", method, path, c.maxResponse)
	}
	if resp.StatusCode/100 != 2 {
		e := &Error{Status: resp.StatusCode, Method: method, Path: path, Message: reason(resp)}
		var env struct {
			Errors  map[string]string `json:"errors"`
			Message string            `json:"message"`
		}
		if json.Unmarshal(raw, &env) == nil {
			e.Errors = env.Errors
			if e.Message == "" || e.Message == http.StatusText(resp.StatusCode) {
				if m := strings.TrimSpace(env.Message); m != "" {
					e.Message = m
				}
			}
		}
		switch resp.StatusCode {
		case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
			return true, e
		}
		return false, e
	}
	if out == nil {
		return false, nil
	}
	if a, ok := out.(*Answer); ok {
		var all map[string]json.RawMessage
		if err := json.Unmarshal(raw, &all); err != nil {
			return false, fmt.Errorf("Proxmox %s %s: answer is not JSON: %v", method, path, err)
		}
		for k, v := range all {
			all[k] = c.Redactor().Bytes(v)
		}
		a.Data = all["data"]
		delete(all, "data")
		a.Attrs = all
		return false, nil
	}
	var env struct {
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(raw, &env); err != nil {
		return false, fmt.Errorf("Proxmox %s %s: answer is not JSON: %v", method, path, err)
	}
	// Redact before decoding, whatever out is: typed results reach agents too.
	env.Data = c.Redactor().Bytes(env.Data)
	if rm, ok := out.(*json.RawMessage); ok {
		*rm = env.Data
		return false, nil
	}
	if len(env.Data) == 0 {
		env.Data = json.RawMessage("null")
	}
	if err := json.Unmarshal(env.Data, out); err != nil {
		return false, fmt.Errorf("Proxmox %s %s: unexpected answer: %v", method, path, err)
	}
	return false, nil
}

// Answer, passed as out, takes a whole answer: its data and the attributes
// Proxmox sets beside it, such as "changes" (the pending diff) on GET
// /nodes/{node}/network.
type Answer struct {
	Data  json.RawMessage
	Attrs map[string]json.RawMessage
}

// reason is the reason phrase of the status line ("VM 101 not running"),
// which is where Proxmox puts its error message.
func reason(resp *http.Response) string {
	code := strconv.Itoa(resp.StatusCode)
	return strings.TrimSpace(strings.TrimPrefix(resp.Status, code))
}

func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// Check calls GET /version: the startup connection check. Its error says
// what to fix (URL, token, TLS).
func (c *Client) Check(ctx context.Context) (string, error) {
	var v struct {
		Version string `json:"version"`
		Release string `json:"release"`
	}
	if err := c.Get(ctx, "/version", nil, &v); err != nil {
		switch StatusOf(err) {
		case http.StatusUnauthorized, http.StatusForbidden:
			return "", fmt.Errorf("Proxmox at %s rejected the API token: %w", c.base.Host, err)
		}
		return "", fmt.Errorf("connection check failed: %w", err)
	}
	return v.Version, nil
}
