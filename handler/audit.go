package handler

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/pve-mcp/pve-mcp/config"
	"github.com/pve-mcp/pve-mcp/pve"
	"github.com/pve-mcp/pve-mcp/tools"
)

// surface is what one server offers: the tools it lists and, in compact
// mode, the selected tools its dispatchers run.
type surface struct {
	listed, selected map[string]bool
}

func surfaceOf(selected []*tools.Tool, m tools.Mode) surface {
	s := surface{listed: map[string]bool{}, selected: map[string]bool{}}
	for _, t := range selected {
		s.selected[t.Name] = true
	}
	for _, t := range tools.Listed(selected, m) {
		s.listed[t.Name] = true
	}
	if m.For(len(selected)) == tools.ModeCompact {
		for _, n := range tools.MetaTools(selected) {
			s.listed[n] = true
		}
	}
	return s
}

// Audit outcomes.
const (
	OutcomeOK       = "ok"        // the tool succeeded
	OutcomePVEError = "pve_error" // Proxmox answered with an error
	OutcomeRefused  = "refused"   // the tool is not available to this caller (or does not exist)
	OutcomeError    = "error"     // anything else: invalid arguments, Proxmox unreachable, ...
	// OutcomeConfirm: nothing done, the call asks for a yes first (a
	// question to the user, or a summary and a token; see tools/confirm.go).
	OutcomeConfirm = "confirmation_needed"
	// OutcomeDryRun: nothing done, the call answered a plan (tools/dryrun.go).
	OutcomeDryRun = "dry_run"
)

// Bounds that keep an audit record one reasonable line.
const (
	auditMaxString = 256
	auditMaxItems  = 50
	auditMaxArgs   = 64 << 10 // larger arguments are not decoded, only their size logged
	auditMaxError  = 300
)

// secretKey matches argument names whose values are never logged.
var secretKey = regexp.MustCompile(`(?i)pass|secret|token|key|auth|cookie|credential|private|otp|totp`)

// auditor writes one JSON line per tools/call: who, what, which Proxmox
// calls it caused, how it ended, how long it took.
type auditor struct {
	log    *slog.Logger
	tokens []config.BearerToken // a string argument equal to one is redacted too
	redact func() *pve.Redactor // the Proxmox credentials (current: they rotate)
	caller string               // who calls when the request names no one ("anonymous" if empty)
	fleet  *tools.Fleet         // the clusters, to name each call's (nil: one cluster)
	// presented is the bearer token of the request being recorded (a JWT
	// too), redacted wherever the caller also put it.
	presented string
}

// middleware is go-sdk server middleware for one cached server; key names
// the server's effective selection and names its tools. It also applies the
// HTTP request's deadline to every method.
func (a *auditor) middleware(key serverKey, names surface) mcp.Middleware {
	return func(next mcp.MethodHandler) mcp.MethodHandler {
		return func(ctx context.Context, method string, req mcp.Request) (mcp.Result, error) {
			ctx, cancel := callDeadline(ctx)
			defer cancel()
			if !audited[method] {
				return next(ctx, method, req)
			}
			start := time.Now()
			ctx, trace := pve.WithTrace(ctx)
			ctx, bound := tools.RecordCluster(ctx)
			res, err := next(ctx, method, req)
			a.record(key, names, req, res, err, trace, bound(), time.Since(start))
			return res, err
		}
	}
}

// record writes the audit line; cluster is the one the call was bound to
// ("*": several; "": none, then the one the arguments name or imply).
func (a *auditor) record(key serverKey, names surface, req mcp.Request, res mcp.Result, err error, trace *pve.Trace, cluster string, d time.Duration) {
	var tool, via string
	var args json.RawMessage
	known := true // resources, prompts and completions: the SDK refuses unknown ones
	switch p := req.GetParams().(type) {
	case *mcp.CallToolParamsRaw:
		if p != nil {
			tool, args = p.Name, p.Arguments
		}
		known = names.listed[tool]
	case *mcp.ReadResourceParams:
		tool, args = "resources/read", mustJSON(map[string]any{"uri": p.URI})
	case *mcp.GetPromptParams:
		tool, args = "prompts/get", mustJSON(map[string]any{"name": p.Name, "arguments": p.Arguments})
	case *mcp.CompleteParams:
		tool, args = "completion/complete", mustJSON(map[string]any{"ref": p.Ref, "argument": p.Argument})
	}
	if known && tools.IsDispatcher(tool) {
		// The line names the tool that ran, as a direct call would.
		if inner, innerArgs, ok := tools.DispatchedCall(args); ok {
			via, tool, args = tool, inner, innerArgs
			known = names.selected[inner]
		}
	}
	requestID, caller := "", cmp.Or(a.caller, "anonymous")
	if extra := req.GetExtra(); extra != nil {
		if extra.Header != nil {
			requestID = extra.Header.Get(requestIDHeader)
			if scheme, tok, ok := strings.Cut(extra.Header.Get("Authorization"), " "); ok && strings.EqualFold(scheme, "Bearer") && len(strings.TrimSpace(tok)) >= 16 {
				cp := *a
				cp.presented = strings.TrimSpace(tok)
				a = &cp
			}
		}
		if extra.TokenInfo != nil && extra.TokenInfo.UserID != "" {
			caller = extra.TokenInfo.UserID
		}
	}
	if requestID == "" { // stdio: no header to carry one
		var b [12]byte
		rand.Read(b[:])
		requestID = hex.EncodeToString(b[:])
	}
	calls := trace.Calls()
	for i := range calls {
		calls[i].Path = a.cleanPath(calls[i].Path)
	}
	outcome, detail := OutcomeOK, ""
	switch {
	case !known:
		outcome = OutcomeRefused
	case err != nil:
		outcome, detail = OutcomeError, err.Error()
	default:
		if r, ok := res.(*mcp.CallToolResult); ok && r != nil && (r.InputRequests != nil || tools.IsConfirmAnswer(r)) {
			outcome = OutcomeConfirm
		} else if ok && r != nil && tools.IsDryRunAnswer(r) {
			outcome = OutcomeDryRun
		} else if ok && r != nil && r.IsError {
			outcome, detail = OutcomeError, resultText(r)
			for _, c := range calls {
				if c.Status >= 400 {
					outcome = OutcomePVEError
				}
			}
		}
	}
	attrs := []slog.Attr{
		slog.Bool("audit", true),
		slog.String("request_id", a.clean(requestID)),
		slog.String("caller", caller),
		slog.String("tier", key.String()),
		slog.String("tool", truncate(a.clean(tool), 128)),
		slog.Any("args", a.redactArgs(args)),
		slog.Any("pve", calls),
		slog.String("outcome", outcome),
		slog.Int64("duration_ms", d.Milliseconds()),
	}
	if via != "" {
		attrs = append(attrs, slog.String("via", via))
	}
	if cluster == "" {
		cluster = a.fleet.ClusterOfCall(tool, args)
	}
	if cluster != "" && a.fleet != nil {
		attrs = append(attrs, slog.String("cluster", truncate(a.clean(cluster), 64)))
	}
	if n := trace.Dropped(); n > 0 {
		attrs = append(attrs, slog.Int("pve_dropped", n))
	}
	if detail != "" {
		attrs = append(attrs, slog.String("error", truncate(a.clean(detail), auditMaxError)))
	}
	msg := "tool call"
	if _, ok := req.GetParams().(*mcp.CallToolParamsRaw); !ok {
		msg = "read" // a resource, prompt or completion: reads Proxmox, changes nothing
	}
	a.log.LogAttrs(context.Background(), slog.LevelInfo, msg, attrs...)
}

// audited are the methods that reach Proxmox, each leaving one audit line.
var audited = map[string]bool{"tools/call": true, "resources/read": true, "prompts/get": true, "completion/complete": true}

func resultText(r *mcp.CallToolResult) string {
	var b strings.Builder
	for _, c := range r.Content {
		if t, ok := c.(*mcp.TextContent); ok {
			b.WriteString(t.Text)
		}
	}
	return b.String()
}

// redactArgs returns the arguments fit for a log: values under secret-like
// names (or names holding a token) and strings holding a bearer token or
// the Proxmox secret replaced, long strings and lists
// shortened. It never fails; what it cannot read it describes.
func (a *auditor) redactArgs(raw json.RawMessage) json.RawMessage {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return json.RawMessage("{}")
	}
	if len(raw) > auditMaxArgs {
		return mustJSON(map[string]any{"_omitted_bytes": len(raw)})
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return mustJSON(map[string]any{"_invalid_json_bytes": len(raw)})
	}
	return mustJSON(a.scrub(v, false))
}

func (a *auditor) scrub(v any, secret bool) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, val := range t {
			ck := a.clean(k)
			out[truncate(ck, 64)] = a.scrub(val, secret || secretKey.MatchString(k) || ck != k)
		}
		return out
	case []any:
		n := min(len(t), auditMaxItems)
		out := make([]any, 0, n+1)
		for _, val := range t[:n] {
			out = append(out, a.scrub(val, secret))
		}
		if len(t) > n {
			out = append(out, fmt.Sprintf("... %d more", len(t)-n))
		}
		return out
	case string:
		if secret || a.isToken(t) {
			return pve.Redacted
		}
		return truncate(a.clean(t), auditMaxString)
	case json.Number:
		if secret {
			return pve.Redacted
		}
		return json.Number(truncate(string(t), 64))
	case bool:
		if secret {
			return pve.Redacted
		}
		return t
	}
	return v
}

// clean removes from s, before any truncation, every bearer token and
// Proxmox secret it holds, wherever in s they are.
func (a *auditor) clean(s string) string {
	s = config.RedactTokens(s, a.tokens, pve.Redacted)
	if a.presented != "" {
		s = strings.ReplaceAll(s, a.presented, pve.Redacted)
	}
	if a.redact != nil {
		s = a.redact().String(s)
	}
	return s
}

// cleanPath is clean for an escaped URL path: a token escaped in it is
// found in its unescaped form, which is then what is logged.
func (a *auditor) cleanPath(p string) string {
	if c := a.clean(p); c != p {
		return c
	}
	if u, err := url.PathUnescape(p); err == nil && u != p {
		if c := a.clean(u); c != u {
			return c
		}
	}
	return p
}

// isToken reports whether s is one of the static bearer tokens.
func (a *auditor) isToken(s string) bool {
	if len(s) < config.MinTokenLength || len(a.tokens) == 0 {
		return false
	}
	h := sha256.Sum256([]byte(s))
	hit := false
	for _, t := range a.tokens {
		hit = hit || subtle.ConstantTimeCompare(h[:], t.Hash[:]) == 1
	}
	return hit
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%s...(%d bytes)", s[:cut], len(s))
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		return json.RawMessage(`{"_unloggable":true}`)
	}
	return b
}
