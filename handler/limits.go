package handler

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/pve-mcp/pve-mcp/config"
)

// MaxJSONDepth caps the nesting of a request body. No MCP message needs more
// than a few levels; deep nesting only costs the decoder stack and time.
const MaxJSONDepth = 64

const requestIDHeader = "X-Request-Id"

var requestIDRE = regexp.MustCompile(`^[A-Za-z0-9._:/+=-]{1,128}$`)

// withRequestID gives every request an id: the caller's X-Request-Id when it
// is sane, the platform's trace id (Cloud Run, AWS) otherwise, else a random
// one. It is set on the request (the audit log reads it from there) and
// echoed in the answer.
func withRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get(requestIDHeader)
		if !requestIDRE.MatchString(id) {
			id = ""
			if tc, _, _ := strings.Cut(r.Header.Get("X-Cloud-Trace-Context"), "/"); requestIDRE.MatchString(tc) {
				id = tc
			} else if at := r.Header.Get("X-Amzn-Trace-Id"); requestIDRE.MatchString(at) {
				id = at
			} else {
				var b [12]byte
				rand.Read(b[:])
				id = hex.EncodeToString(b[:])
			}
		}
		r.Header.Set(requestIDHeader, id)
		w.Header().Set(requestIDHeader, id)
		next.ServeHTTP(w, r)
	})
}

// withDeadline bounds a request. An earlier deadline already on the context
// (a Lambda invocation's) wins. The go-sdk runs MCP methods on a context
// detached from the request's cancellation, so the deadline also travels as a
// context value that callDeadline applies to each method, a little earlier,
// leaving time to write the answer before the request itself times out; and
// so does the request's own context, whose end (the client closed the
// connection) ends the method too.
func withDeadline(d time.Duration, next http.Handler) http.Handler {
	if d <= 0 {
		d = config.DefaultRequestTimeout * time.Second
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), d)
		defer cancel()
		end, _ := ctx.Deadline()
		margin := min(time.Until(end)/10, time.Second)
		ctx = context.WithValue(ctx, deadlineKey{}, requestBounds{end: end.Add(-margin), conn: r.Context()})
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

type deadlineKey struct{}

// requestBounds is what withDeadline tells each method of its request.
type requestBounds struct {
	end  time.Time
	conn context.Context // the request as the server got it: canceled when the client goes away
}

// errClientGone is the cause of a method's end when its HTTP request was
// canceled: the client closed the connection (net/http says no more; the
// other case is cmd/server cutting requests after its shutdown grace). No
// answer can reach the client any more, so the method stops (a wait stops
// waiting); Proxmox tasks it started go on.
var errClientGone = errors.New("the HTTP request was canceled: the client closed the connection (or the server shut down)")

// callDeadline applies the request's deadline and end (see withDeadline) to ctx.
func callDeadline(ctx context.Context) (context.Context, context.CancelFunc) {
	b, ok := ctx.Value(deadlineKey{}).(requestBounds)
	if !ok {
		return ctx, func() {}
	}
	ctx, cancelDeadline := context.WithDeadline(ctx, b.end)
	ctx, cancel := context.WithCancelCause(ctx)
	stop := context.AfterFunc(b.conn, func() {
		cause := context.Cause(b.conn)
		if errors.Is(cause, context.Canceled) {
			cause = errClientGone
		}
		cancel(cause)
	})
	return ctx, func() {
		stop()
		cancel(nil)
		cancelDeadline()
	}
}

// originCheck rejects browser requests from origins not listed in
// MCP_ALLOWED_ORIGINS (the DNS-rebinding protection the MCP transport spec
// asks for) and answers CORS preflights for the listed ones. Requests with no
// Origin header (every non-browser MCP client) pass.
func originCheck(allowed []string, next http.Handler) http.Handler {
	any := slices.Contains(allowed, "*")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		if origin == "" {
			next.ServeHTTP(w, r)
			return
		}
		ok := any
		if !ok {
			if norm, err := config.NormalizeOrigin(origin); err == nil {
				ok = slices.Contains(allowed, norm) || norm == ownLoopbackOrigin(r)
			}
		}
		if !ok {
			http.Error(w, "Forbidden: origin not allowed (see MCP_ALLOWED_ORIGINS)", http.StatusForbidden)
			return
		}
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", origin)
		h.Add("Vary", "Origin")
		h.Set("Access-Control-Expose-Headers", "WWW-Authenticate, Mcp-Session-Id, Mcp-Protocol-Version, X-Request-Id")
		if r.Method == http.MethodOptions {
			h.Set("Access-Control-Allow-Methods", "POST, OPTIONS")
			h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, Accept, Mcp-Protocol-Version, Mcp-Session-Id, Last-Event-ID, X-Request-Id")
			h.Set("Access-Control-Max-Age", "600")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// ownLoopbackOrigin is the server's own origin when the request came to a
// loopback address by a loopback name (http://127.0.0.1:8080): a page it
// serves itself, which DNS rebinding cannot fake (a rebound name is not a
// loopback host, and on loopback the go-sdk refuses such a Host anyway).
// Elsewhere it is "": same-origin by Host alone is what rebinding forges.
func ownLoopbackOrigin(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.Host)
	if err != nil {
		host = r.Host
	}
	if !config.IsLoopbackHost(host) {
		return ""
	}
	if la, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		if ta, ok := la.(*net.TCPAddr); ok && !ta.IP.IsLoopback() {
			return ""
		}
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	own, err := config.NormalizeOrigin(scheme + "://" + r.Host)
	if err != nil {
		return ""
	}
	return own
}

// limitBody reads a POST body up to max bytes and refuses JSON nested deeper
// than MaxJSONDepth, and a JSON body checkFrame refuses (duplicate keys,
// trailing data, batches over MaxBatch), before the MCP layer decodes anything.
func limitBody(max int64, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.Body == nil {
			next.ServeHTTP(w, r)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, max))
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				http.Error(w, fmt.Sprintf("request body exceeds %d bytes", max), http.StatusRequestEntityTooLarge)
				return
			}
			http.Error(w, "cannot read the request body", http.StatusBadRequest)
			return
		}
		if jsonDepth(body) > MaxJSONDepth {
			http.Error(w, fmt.Sprintf("request JSON is nested deeper than %d levels", MaxJSONDepth), http.StatusBadRequest)
			return
		}
		if len(body) > 0 && isJSON(r) {
			facts, fe := scanFrame(body)
			if fe != nil {
				writeRPCError(w, http.StatusBadRequest, fe)
				return
			}
			r = r.WithContext(withFrameFacts(r.Context(), facts))
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
		next.ServeHTTP(w, r)
	})
}

// jsonDepth is the deepest nesting of arrays and objects in b, scanning
// without decoding (strings and escapes are skipped; validity is the
// decoder's business).
func jsonDepth(b []byte) int {
	depth, deepest := 0, 0
	inString, escaped := false, false
	for _, c := range b {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			depth++
			deepest = max(deepest, depth)
		case c == '}' || c == ']':
			depth--
		}
	}
	return deepest
}
