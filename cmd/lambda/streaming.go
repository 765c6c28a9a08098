package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdaurl"
	"github.com/pve-mcp/pve-mcp/funcurl"
)

// The function URL's InvokeMode, as template.yaml passes it in
// FUNCTION_URL_INVOKE_MODE (unset is BUFFERED, the template's default).
const (
	invokeBuffered = "BUFFERED"
	invokeStream   = "RESPONSE_STREAM"
)

// maxStreamBytes caps a streamed answer at 20 MB less room for the prelude
// lambdaurl sends before the body: the limit Lambda set when it introduced
// response streaming (a soft limit; AWS now documents 200 MB), so the cap
// holds wherever the larger one is not there yet. pve-mcp's answers are far
// smaller (a tool result is capped at PVE_MAX_RESULT_BYTES: 32 KiB by
// default, 16 MiB at most); the cap turns a runaway answer into an error of
// ours instead of one of Lambda's.
const maxStreamBytes = 20_000_000 - 64<<10

// streamFunc is the Lambda handler of a RESPONSE_STREAM function URL.
type streamFunc = func(context.Context, *events.LambdaFunctionURLRequest) (*events.LambdaFunctionURLStreamingResponse, error)

// streamHandler serves h behind a function URL with InvokeMode
// RESPONSE_STREAM: lambdaurl.Wrap hands each Write to the runtime as it
// happens, so an SSE answer's progress notifications reach the caller
// while the call runs. Wrap builds a bare request, contains no panic (one
// would end the process) and knows nothing of AWS_IAM; the request is
// therefore rebuilt from the event by funcurl.Request, and checked and
// served as funcurl does in BUFFERED mode (see eventHandler).
func streamHandler(h http.Handler, log *slog.Logger, requireIAM bool) streamFunc {
	wrapped := lambdaurl.Wrap(eventHandler(h, log, requireIAM))
	return func(ctx context.Context, ev *events.LambdaFunctionURLRequest) (*events.LambdaFunctionURLStreamingResponse, error) {
		// Some other event, invoked directly: an invocation error, as in BUFFERED mode.
		if ev == nil {
			return nil, funcurl.ErrNotFunctionURL
		}
		if err := funcurl.CheckEvent(*ev); err != nil {
			return nil, err
		}
		return wrapped(ctx, ev)
	}
}

// eventHandler is what lambdaurl.Wrap runs: the request funcurl.Request
// makes of the event (cookies, Host, TLS, the raw path, Content-Length, a
// checked base64 body: what Wrap leaves out), the AWS_IAM check, the
// deadline margin, and h under funcurl.Serve's panic containment, writing
// through a streamWriter.
func eventHandler(h http.Handler, log *slog.Logger, requireIAM bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ev, ok := lambdaurl.RequestFromContext(r.Context())
		if !ok {
			// Only lambdaurl.Wrap calls this handler, and it always sets the event.
			http.Error(w, "internal error: no function URL event", http.StatusInternalServerError)
			return
		}
		if requireIAM {
			if err := funcurl.CheckIAM(*ev, log); err != nil {
				http.Error(w, err.Error(), http.StatusForbidden)
				return
			}
		}
		ctx := r.Context()
		// The context outlives streamHandler's return (the body is still
		// streaming then), so the margin is applied here, not there.
		if d, ok := ctx.Deadline(); ok {
			var cancel context.CancelFunc
			ctx, cancel = context.WithDeadline(ctx, d.Add(-funcurl.DefaultDeadlineMargin))
			defer cancel()
		}
		req, err := funcurl.Request(ctx, *ev)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		sw := &streamWriter{ResponseWriter: w, head: req.Method == http.MethodHead}
		ok = funcurl.Serve(h, sw, req, log)
		switch {
		case sw.overflow && !sw.started:
			http.Error(w, fmt.Sprintf("response larger than a streamed function URL answer may be (%d bytes)", maxStreamBytes), http.StatusInternalServerError)
		case sw.overflow:
			log.Error("streamed response cut: larger than the streaming cap", "path", req.URL.Path, "limit", maxStreamBytes)
		case !ok && !sw.started:
			http.Error(w, "internal error", http.StatusInternalServerError)
		case !ok:
			// The status and part of the body are gone: the caller sees the stream end early.
			log.Error("streamed response cut: the handler failed after it started answering", "path", req.URL.Path)
		}
	})
}

var errStreamTooLarge = errors.New("streamed response larger than the function URL cap")

// streamWriter is the http.ResponseWriter h writes to: lambdaurl's writer,
// plus what a net/http server does and Wrap does not (a Content-Type
// sniffed when none is set, no body for HEAD, a Flush), the byte cap, and
// the record of whether the answer has started (after which an error can
// no longer change the status).
type streamWriter struct {
	http.ResponseWriter
	head              bool
	written           int
	started, overflow bool
}

func (w *streamWriter) WriteHeader(status int) {
	w.started = true
	w.ResponseWriter.WriteHeader(status)
}

func (w *streamWriter) Write(p []byte) (int, error) {
	if w.written+len(p) > maxStreamBytes {
		w.overflow = true
		return 0, errStreamTooLarge
	}
	if !w.started {
		if len(p) > 0 && w.Header().Get("Content-Type") == "" {
			w.Header().Set("Content-Type", http.DetectContentType(p))
		}
		w.WriteHeader(http.StatusOK)
	}
	w.written += len(p)
	if w.head {
		return len(p), nil
	}
	return w.ResponseWriter.Write(p)
}

// Flush has nothing to do: lambdaurl's writer is an io.Pipe, so a Write
// returns once the runtime has taken the bytes to send on as a chunk.
func (w *streamWriter) Flush() {}

// Unwrap lets http.ResponseController reach lambdaurl's writer.
func (w *streamWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
