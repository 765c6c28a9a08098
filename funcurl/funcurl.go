// Package funcurl serves an http.Handler behind an AWS Lambda function URL
// (payload format 2.0, invoke mode BUFFERED): each invocation's event
// becomes an *http.Request, the handler's answer becomes the function URL
// response.
//
// aws-lambda-go's own lambdaurl package supports only RESPONSE_STREAM
// function URLs and drops the request's cookies; pve-mcp's handler answers
// stateless JSON, which the buffered mode serves with no extra moving parts.
// cmd/lambda's RESPONSE_STREAM mode serves through lambdaurl and builds
// each request with Request, checks it with CheckEvent and runs the
// handler with Serve, so both modes see the same requests.
package funcurl

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
)

// MaxResponseBytes is the largest body a buffered function URL returns
// (Lambda's 6 MB synchronous response limit, less room for the envelope).
const MaxResponseBytes = 6_000_000

// DefaultDeadlineMargin is how long before the Lambda deadline the
// request's context ends by default.
const DefaultDeadlineMargin = 500 * time.Millisecond

// Options tune Handler.
type Options struct {
	// DeadlineMargin ends the request's context this long before the
	// invocation's deadline, so Proxmox calls stop while there is still
	// time to send an error back instead of being killed mid-call.
	// DefaultDeadlineMargin when zero; negative means no margin.
	DeadlineMargin time.Duration
	// Log receives handler panics (never request bodies).
	Log *slog.Logger
	// RequireIAM refuses (403) every invocation whose request context
	// carries no IAM authorizer: the function URL's AuthType is AWS_IAM, so
	// an event without the signed caller's identity did not come through
	// it (the URL's auth type was changed, or someone invoked the function
	// directly with a crafted event).
	RequireIAM bool
}

// HasIAMCaller reports whether a function URL event names the IAM caller
// that signed it, as Lambda adds it for AuthType AWS_IAM.
func HasIAMCaller(ev events.LambdaFunctionURLRequest) bool {
	a := ev.RequestContext.Authorizer
	return a != nil && a.IAM != nil && (a.IAM.AccountID != "" || a.IAM.UserARN != "" || a.IAM.CallerID != "")
}

// CheckIAM returns the refusal (to send with status 403) of an event that
// names no IAM caller, and logs it; nil when HasIAMCaller.
func CheckIAM(ev events.LambdaFunctionURLRequest, log *slog.Logger) error {
	if HasIAMCaller(ev) {
		return nil
	}
	log.Warn("invocation refused: FUNCTION_URL_AUTH_TYPE is AWS_IAM but the event carries no IAM authorizer", "path", ev.RawPath, "source_ip", ev.RequestContext.HTTP.SourceIP)
	return errors.New("Forbidden: this function URL requires AWS_IAM (SigV4-signed) requests, and this invocation carries no IAM caller; sign the request, or configure MCP authentication and deploy with FunctionUrlAuthType=NONE")
}

// Handler returns a Lambda handler for function URL events that serves h.
func Handler(h http.Handler, opts Options) func(context.Context, events.LambdaFunctionURLRequest) (events.LambdaFunctionURLResponse, error) {
	margin := opts.DeadlineMargin
	if margin == 0 {
		margin = DefaultDeadlineMargin
	} else if margin < 0 {
		margin = 0
	}
	log := opts.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return func(ctx context.Context, ev events.LambdaFunctionURLRequest) (events.LambdaFunctionURLResponse, error) {
		if d, ok := ctx.Deadline(); ok && margin > 0 {
			var cancel context.CancelFunc
			ctx, cancel = context.WithDeadline(ctx, d.Add(-margin))
			defer cancel()
		}
		req, err := Request(ctx, ev)
		if err != nil {
			if errors.Is(err, ErrNotFunctionURL) {
				return events.LambdaFunctionURLResponse{}, err
			}
			return textResponse(http.StatusBadRequest, err.Error()), nil
		}
		if opts.RequireIAM {
			if err := CheckIAM(ev, log); err != nil {
				return textResponse(http.StatusForbidden, err.Error()), nil
			}
		}
		w := NewResponseWriter()
		if !Serve(h, w, req, log) {
			return textResponse(http.StatusInternalServerError, "internal error"), nil
		}
		return w.Response(req.Method), nil
	}
}

// Serve runs h, turning a panic into false (net/http's server does the
// same for its connections; here a panic would end the invocation).
func Serve(h http.Handler, w http.ResponseWriter, r *http.Request, log *slog.Logger) (ok bool) {
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				log.Warn("handler aborted the request", "method", r.Method, "path", r.URL.Path)
			} else {
				log.Error("handler panic", "method", r.Method, "path", r.URL.Path, "panic", fmt.Sprint(p))
			}
			ok = false
		}
	}()
	h.ServeHTTP(w, r)
	return true
}

// ErrNotFunctionURL is the invocation error for an event that is not a
// function URL request: it was invoked directly with some other payload.
var ErrNotFunctionURL = errors.New("funcurl: the event is not a function URL request (payload format 2.0): invoke through the function URL or with events like those in events/")

type eventKey struct{}

// EventFromContext returns the function URL event a request came from.
func EventFromContext(ctx context.Context) (*events.LambdaFunctionURLRequest, bool) {
	ev, ok := ctx.Value(eventKey{}).(*events.LambdaFunctionURLRequest)
	return ev, ok
}

// CheckEvent returns ErrNotFunctionURL unless ev has the shape of a
// function URL request (payload format 2.0, with a method).
func CheckEvent(ev events.LambdaFunctionURLRequest) error {
	if ev.RequestContext.HTTP.Method == "" || (ev.Version != "" && ev.Version != "2.0") {
		return ErrNotFunctionURL
	}
	return nil
}

// Request turns a function URL event into the request a net/http server
// would have made: method, raw path and query as sent, headers (a header
// sent several times arrives comma-joined, as the function URL delivers
// it), cookies back in one Cookie header, the body decoded from base64 when
// Lambda encoded it, and the client's address.
func Request(ctx context.Context, ev events.LambdaFunctionURLRequest) (*http.Request, error) {
	if err := CheckEvent(ev); err != nil {
		return nil, err
	}
	method := ev.RequestContext.HTTP.Method
	rawPath := ev.RawPath
	if rawPath == "" {
		rawPath = "/"
	}
	if !strings.HasPrefix(rawPath, "/") {
		return nil, fmt.Errorf("invalid request path %q", rawPath)
	}
	target := rawPath
	if ev.RawQueryString != "" {
		target += "?" + ev.RawQueryString
	}
	u, err := url.ParseRequestURI(target)
	if err != nil {
		return nil, fmt.Errorf("invalid request target: %v", err)
	}
	body := []byte(ev.Body)
	if ev.IsBase64Encoded {
		if body, err = base64.StdEncoding.DecodeString(ev.Body); err != nil {
			return nil, fmt.Errorf("invalid base64 body: %v", err)
		}
	}
	ctx = context.WithValue(ctx, eventKey{}, &ev)
	r, err := http.NewRequestWithContext(ctx, method, target, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("invalid request: %v", err)
	}
	r.URL = u
	r.RequestURI = target
	if proto := ev.RequestContext.HTTP.Protocol; proto != "" {
		if major, minor, ok := http.ParseHTTPVersion(proto); ok {
			r.Proto, r.ProtoMajor, r.ProtoMinor = proto, major, minor
		}
	}
	for k, v := range ev.Headers {
		r.Header.Add(k, v)
	}
	if len(ev.Cookies) > 0 {
		r.Header.Set("Cookie", strings.Join(ev.Cookies, "; "))
	}
	r.Host = r.Header.Get("Host")
	if r.Host == "" {
		r.Host = ev.RequestContext.DomainName
	}
	r.Header.Del("Host") // net/http keeps it in r.Host only
	r.URL.Host = r.Host
	r.URL.Scheme = "https"
	r.ContentLength = int64(len(body))
	r.Header.Del("Content-Length")
	if len(body) > 0 {
		r.Header.Set("Content-Length", fmt.Sprint(len(body)))
	}
	// Function URLs are HTTPS only: the client's connection was TLS.
	r.TLS = &tls.ConnectionState{HandshakeComplete: true, ServerName: r.Host}
	r.RemoteAddr = ev.RequestContext.HTTP.SourceIP
	return r, nil
}

// ResponseWriter buffers a handler's answer for a function URL response.
type ResponseWriter struct {
	header   http.Header
	status   int
	body     bytes.Buffer
	overflow bool
}

// NewResponseWriter returns an empty buffer.
func NewResponseWriter() *ResponseWriter {
	return &ResponseWriter{header: http.Header{}}
}

// Header is the response header map.
func (w *ResponseWriter) Header() http.Header { return w.header }

// WriteHeader records the status; later calls are ignored, as in net/http.
func (w *ResponseWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}

// Write buffers body bytes up to MaxResponseBytes.
func (w *ResponseWriter) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	if w.body.Len()+len(p) > MaxResponseBytes {
		w.overflow = true
		return 0, fmt.Errorf("funcurl: response larger than %d bytes", MaxResponseBytes)
	}
	return w.body.Write(p)
}

// Flush is a no-op: the whole answer is sent when the handler returns.
func (w *ResponseWriter) Flush() {}

// Response is the function URL response for what the handler wrote. The
// body is sent as text when it is UTF-8 of a textual content type and
// base64-encoded otherwise; Set-Cookie headers become cookies.
func (w *ResponseWriter) Response(method string) events.LambdaFunctionURLResponse {
	if w.overflow {
		return textResponse(http.StatusInternalServerError, fmt.Sprintf("response larger than a function URL can return (%d bytes)", MaxResponseBytes))
	}
	status := w.status
	if status == 0 {
		status = http.StatusOK
	}
	body := w.body.Bytes()
	if method == http.MethodHead {
		body = nil
	}
	if len(body) > 0 && w.header.Get("Content-Type") == "" {
		w.header.Set("Content-Type", http.DetectContentType(body))
	}
	resp := events.LambdaFunctionURLResponse{StatusCode: status, Headers: map[string]string{}}
	for k, v := range w.header {
		if len(v) == 0 {
			continue
		}
		if k == "Set-Cookie" {
			resp.Cookies = append(resp.Cookies, v...)
			continue
		}
		resp.Headers[k] = strings.Join(v, ",")
	}
	if isText(w.header) && utf8.Valid(body) {
		resp.Body = string(body)
	} else {
		resp.Body = base64.StdEncoding.EncodeToString(body)
		resp.IsBase64Encoded = true
	}
	return resp
}

// isText reports whether a body with these headers can travel as a JSON
// string unchanged: a textual media type and no content encoding.
func isText(h http.Header) bool {
	if h.Get("Content-Encoding") != "" {
		return false
	}
	mt, _, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil {
		return h.Get("Content-Type") == ""
	}
	switch {
	case strings.HasPrefix(mt, "text/"),
		strings.HasSuffix(mt, "+json"), strings.HasSuffix(mt, "+xml"):
		return true
	}
	switch mt {
	case "application/json", "application/xml", "application/javascript",
		"application/x-www-form-urlencoded", "application/x-ndjson":
		return true
	}
	return false
}

func textResponse(status int, msg string) events.LambdaFunctionURLResponse {
	return events.LambdaFunctionURLResponse{
		StatusCode: status,
		Headers:    map[string]string{"Content-Type": "text/plain; charset=utf-8", "X-Content-Type-Options": "nosniff"},
		Body:       msg + "\n",
	}
}
