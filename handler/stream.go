package handler

import (
	"context"
	"net/http"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// Two ways to answer a POST to /mcp, chosen per request:
//
//   - one application/json body: the default. It is all a buffered
//     platform (a Lambda function URL in BUFFERED mode) can deliver, and
//     what every call without progress needs.
//   - an SSE stream (text/event-stream) carrying the call's
//     notifications/progress as they are sent, then its result: for a
//     tools/call whose request carries a progress token
//     (params._meta.progressToken) from a client that accepts
//     text/event-stream. Only then is there anything to stream: the
//     go-sdk's JSON answer drops the notifications a request causes (a
//     stateless server has no other stream to put them on).
//
// Both are the go-sdk's stateless StreamableHTTPHandler over the same
// servers, one with JSONResponse, one without; the choice is made below
// every middleware (request id, deadline, Origin, authentication, body
// limits and framing, the audit in each server), so both answers pass
// exactly the same checks and leave the same audit line.

// newMCPHandler returns the /mcp handler of opts (stateless, JSON answers)
// and, when stream is set, its streaming twin with the choice between them.
func newMCPHandler(getServer func(*http.Request) *mcp.Server, opts mcp.StreamableHTTPOptions, stream bool) http.Handler {
	opts.JSONResponse = true
	buffered := mcp.NewStreamableHTTPHandler(getServer, &opts)
	if !stream {
		return buffered
	}
	opts.JSONResponse = false
	return &answerChooser{buffered: buffered, streamed: mcp.NewStreamableHTTPHandler(getServer, &opts)}
}

// answerChooser sends a request that asks for progress to the streaming
// handler, any other to the JSON one.
type answerChooser struct {
	buffered, streamed http.Handler
}

func (c *answerChooser) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if wantsStream(r) {
		c.streamed.ServeHTTP(w, r)
		return
	}
	c.buffered.ServeHTTP(w, r)
}

// wantsStream reports whether r is a tools/call with a progress token from
// a client that accepts an event stream. It reads what limitBody's framing
// check learned of the body (no second decoding); a request it did not
// check (not POST, not JSON) is the go-sdk's to refuse either way.
func wantsStream(r *http.Request) bool {
	f, ok := r.Context().Value(frameFactsKey{}).(frameFacts)
	return ok && f.method == "tools/call" && f.progressToken && acceptsEventStream(r.Header.Values("Accept"))
}

// acceptsEventStream reports whether an Accept header lists
// text/event-stream, as the go-sdk reads it (text/* and */* count).
func acceptsEventStream(values []string) bool {
	for _, v := range values {
		for _, item := range strings.Split(v, ",") {
			base, _, _ := strings.Cut(item, ";")
			switch strings.ToLower(strings.TrimSpace(base)) {
			case "text/event-stream", "text/*", "*/*":
				return true
			}
		}
	}
	return false
}

type frameFactsKey struct{}

// withFrameFacts records on a request's context what the framing check
// learned of its body.
func withFrameFacts(ctx context.Context, f frameFacts) context.Context {
	return context.WithValue(ctx, frameFactsKey{}, f)
}
