package pve

import (
	"context"
	"net/http"
	"sync"
)

// TraceCall is one HTTP exchange with Proxmox: what the audit log records
// about a tool call's effect on the cluster.
type TraceCall struct {
	Method string `json:"method"`
	Path   string `json:"path"`   // below /api2/json, escaped as sent
	Status int    `json:"status"` // HTTP status; 0 when Proxmox was not reached
}

// maxTraceCalls bounds a trace; a tool makes a handful of calls, so only a
// runaway loop would reach it, and the audit line must stay one line.
const maxTraceCalls = 64

// Trace collects the Proxmox calls made under one context. It is safe for
// concurrent use; the zero value is not usable, create one with WithTrace.
type Trace struct {
	mu      sync.Mutex
	calls   []TraceCall
	dropped int
}

type traceKey struct{}

// WithTrace returns a context whose Proxmox calls (every attempt, retries
// included) are recorded in the returned Trace.
func WithTrace(ctx context.Context) (context.Context, *Trace) {
	t := &Trace{}
	return context.WithValue(ctx, traceKey{}, t), t
}

// Calls returns the calls recorded so far, in order.
func (t *Trace) Calls() []TraceCall {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]TraceCall(nil), t.calls...)
}

// Dropped is the number of calls not kept because the trace was full.
func (t *Trace) Dropped() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.dropped
}

func (t *Trace) add(c TraceCall) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.calls) >= maxTraceCalls {
		t.dropped++
		return
	}
	t.calls = append(t.calls, c)
}

// traceAttempt records one attempt of a call if ctx carries a Trace. resp is
// nil when the request did not get an answer.
func traceAttempt(ctx context.Context, method, path string, resp *http.Response) {
	t, _ := ctx.Value(traceKey{}).(*Trace)
	if t == nil {
		return
	}
	c := TraceCall{Method: method, Path: path}
	if resp != nil {
		c.Status = resp.StatusCode
	}
	t.add(c)
}
