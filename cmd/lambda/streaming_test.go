package main

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

// streamEnv is a demo deployment as template.yaml sets it with
// InvokeMode=RESPONSE_STREAM, behind an AWS_IAM function URL.
func streamEnv(extra map[string]string) func(string) string {
	env := map[string]string{
		"FUNCTION_URL_INVOKE_MODE": "RESPONSE_STREAM", "PVE_HTTP_STREAM": "true",
		"FUNCTION_URL_AUTH_TYPE": "AWS_IAM", "PVE_TOOL_MODE": "all",
	}
	for k, v := range extra {
		env[k] = v
	}
	return demoEnv(env)
}

func streamSetup(t *testing.T, getenv func(string) string) streamFunc {
	t.Helper()
	fn, cleanup, err := setup(getenv)
	t.Cleanup(cleanup)
	if err != nil {
		t.Fatal(err)
	}
	s, ok := fn.(streamFunc)
	if !ok {
		t.Fatalf("RESPONSE_STREAM gives a %T", fn)
	}
	return s
}

// rpcEvent is events/tools-call.json (a signed function URL request) with
// another JSON-RPC body.
func rpcEvent(t *testing.T, body string) *events.LambdaFunctionURLRequest {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "events", "tools-call.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ev events.LambdaFunctionURLRequest
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatal(err)
	}
	ev.Body = body
	return &ev
}

// statusCall is a quick read (no task to wait for).
const statusCall = `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"pve_get_node_status","arguments":{"node":"pve1"}}}`

func startCall(meta string) string {
	return `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"pve_start_qemu_vm","arguments":{"vmid":102,"wait":10}` + meta + `}}`
}

func invokeStreamed(t *testing.T, fn streamFunc, ev *events.LambdaFunctionURLRequest) *events.LambdaFunctionURLStreamingResponse {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	resp, err := fn(ctx, ev)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Close() })
	return resp
}

// A tools/call with a progress token, through the function a
// RESPONSE_STREAM deployment runs: the invocation returns as soon as the
// answer starts, and the body is an SSE stream whose progress events (the
// demo task's log, over its 2 s) arrive while the call runs, well before
// the result.
func TestStreamedProgress(t *testing.T) {
	fn := streamSetup(t, streamEnv(nil))
	began := time.Now()
	resp := invokeStreamed(t, fn, rpcEvent(t, startCall(`,"_meta":{"progressToken":"p1"}`)))
	returned := time.Since(began)
	if resp.StatusCode != 200 || resp.Headers["Content-Type"] != "text/event-stream" || resp.Headers["X-Request-Id"] == "" {
		t.Fatalf("status %d headers %v", resp.StatusCode, resp.Headers)
	}
	var progressAt []time.Duration
	var resultAt time.Duration
	var result string
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line, ok := strings.CutPrefix(sc.Text(), "data: ")
		if !ok {
			continue
		}
		switch {
		case strings.Contains(line, `"notifications/progress"`):
			if resultAt != 0 {
				t.Errorf("progress after the result: %s", line)
			}
			if !strings.Contains(line, `"progressToken":"p1"`) {
				t.Errorf("progress without the call's token: %s", line)
			}
			progressAt = append(progressAt, time.Since(began))
		case strings.Contains(line, `"id":7`):
			resultAt, result = time.Since(began), line
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(progressAt) == 0 || resultAt == 0 {
		t.Fatalf("%d progress events, result %q", len(progressAt), result)
	}
	if strings.Contains(result, `"isError":true`) || !strings.Contains(result, "running") {
		t.Errorf("result %s", result)
	}
	t.Logf("returned %v, %d progress events from %v, result at %v", returned, len(progressAt), progressAt[0], resultAt)
	// Streamed, not buffered: the answer began, and the first progress
	// came, long before the result (a buffered body has them all at once).
	if gap := resultAt - progressAt[0]; gap < 500*time.Millisecond || returned > progressAt[0] {
		t.Errorf("invocation returned at %v, first progress at %v, result at %v: held back, not streamed", returned, progressAt[0], resultAt)
	}
}

// The same call without a progress token is one JSON body.
func TestStreamModeAnswersJSONWithoutToken(t *testing.T) {
	fn := streamSetup(t, streamEnv(nil))
	resp := invokeStreamed(t, fn, rpcEvent(t, startCall("")))
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Headers["Content-Type"], "application/json") {
		t.Fatalf("status %d headers %v", resp.StatusCode, resp.Headers)
	}
	body, _ := io.ReadAll(resp.Body)
	var msg struct {
		ID     int
		Result struct{ IsError bool }
	}
	if err := json.Unmarshal(body, &msg); err != nil || msg.ID != 7 || msg.Result.IsError {
		t.Fatalf("%v: %s", err, body)
	}
}

// What funcurl guarantees in BUFFERED mode holds when streaming: the
// AWS_IAM check, the request as a net/http server builds it (cookies,
// base64 bodies checked), body limits, a contained panic, and events that
// are no function URL request.
func TestStreamModeGuarantees(t *testing.T) {
	fn := streamSetup(t, streamEnv(nil))
	call := statusCall
	cases := []struct {
		name   string
		edit   func(*events.LambdaFunctionURLRequest)
		status int
		want   string
	}{
		{"unsigned under AWS_IAM", func(ev *events.LambdaFunctionURLRequest) { ev.RequestContext.Authorizer = nil }, 403, "AWS_IAM"},
		{"body over the limit", func(ev *events.LambdaFunctionURLRequest) {
			ev.Body = `{"jsonrpc":"2.0","id":1,"method":"ping","params":{"pad":"` + strings.Repeat("x", 2<<20) + `"}}`
		}, 413, "request body exceeds"},
		{"bad base64 body", func(ev *events.LambdaFunctionURLRequest) { ev.IsBase64Encoded, ev.Body = true, "not base64!" }, 400, "invalid base64 body"},
		{"base64 body", func(ev *events.LambdaFunctionURLRequest) {
			ev.IsBase64Encoded, ev.Body = true, base64.StdEncoding.EncodeToString([]byte(call))
		}, 200, `"id":7`},
		{"relative path", func(ev *events.LambdaFunctionURLRequest) { ev.RawPath = "mcp" }, 400, "invalid request path"},
		{"health", func(ev *events.LambdaFunctionURLRequest) {
			ev.RawPath, ev.Body, ev.RequestContext.HTTP.Method = "/healthz", "", "GET"
		}, 200, `"status":"ok"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ev := rpcEvent(t, call)
			c.edit(ev)
			resp := invokeStreamed(t, fn, ev)
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != c.status || !strings.Contains(string(body), c.want) {
				t.Fatalf("status %d, want %d with %q: %s", resp.StatusCode, c.status, c.want, body)
			}
		})
	}
	for name, ev := range map[string]*events.LambdaFunctionURLRequest{
		"no event":        nil,
		"not a URL event": {Version: "1.0", RequestContext: events.LambdaFunctionURLRequestContext{HTTP: events.LambdaFunctionURLRequestContextHTTPDescription{Method: "GET"}}},
		"no method":       {Version: "2.0", RawPath: "/mcp"},
	} {
		if resp, err := fn(context.Background(), ev); err == nil || resp != nil {
			t.Errorf("%s: %v %v, want an invocation error", name, resp, err)
		}
	}
}

// A public URL (AuthType NONE) does not ask for the IAM caller.
func TestStreamModeWithoutIAM(t *testing.T) {
	fn := streamSetup(t, streamEnv(map[string]string{"FUNCTION_URL_AUTH_TYPE": "NONE", "MCP_AUTH": "none"}))
	ev := rpcEvent(t, statusCall)
	ev.RequestContext.Authorizer = nil
	if resp := invokeStreamed(t, fn, ev); resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
}

// A panicking handler costs its caller a 500 (before the answer started)
// or the rest of the stream (after), never the process; an answer over the
// cap is refused; the request is the one funcurl builds (cookies, Host).
func TestStreamWriterEdges(t *testing.T) {
	ev := rpcEvent(t, "{}")
	ev.Cookies = []string{"a=1", "b=2"}
	cases := []struct {
		name    string
		h       http.HandlerFunc
		status  int
		body    string
		headers map[string]string
	}{
		{"panic before answering", func(w http.ResponseWriter, r *http.Request) { panic("boom") }, 500, "internal error\n", nil},
		{"panic while streaming", func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte("data: first\n\n"))
			panic("boom")
		}, 200, "data: first\n\n", nil},
		{"aborted", func(w http.ResponseWriter, r *http.Request) { panic(http.ErrAbortHandler) }, 500, "internal error\n", nil},
		{"over the cap at once", func(w http.ResponseWriter, r *http.Request) {
			w.Write(make([]byte, maxStreamBytes+1))
		}, 500, "response larger than a streamed function URL answer may be", nil},
		{"over the cap midway", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/event-stream")
			w.Write([]byte("data: x\n\n"))
			if _, err := w.Write(make([]byte, maxStreamBytes)); err == nil {
				t.Error("write over the cap accepted")
			}
		}, 200, "data: x\n\n", nil},
		{"request as funcurl builds it", func(w http.ResponseWriter, r *http.Request) {
			c, err := r.Cookie("b")
			if err != nil || r.Host != "abcdefghijklmnopqrstuvwxyz012345.lambda-url.eu-central-1.on.aws" || r.TLS == nil || r.ContentLength != 2 || r.RequestURI != "/mcp" {
				t.Errorf("cookie %v %v, host %q, TLS %v, length %d, URI %q", c, err, r.Host, r.TLS != nil, r.ContentLength, r.RequestURI)
			}
			http.SetCookie(w, &http.Cookie{Name: "s", Value: "1"})
			w.Write([]byte("<!DOCTYPE html><html></html>"))
		}, 200, "<!DOCTYPE html>", map[string]string{"Content-Type": "text/html; charset=utf-8"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fn := streamHandler(c.h, slog.New(slog.DiscardHandler), true)
			resp := invokeStreamed(t, fn, ev)
			body, _ := io.ReadAll(resp.Body)
			got := string(body)
			if len(got) > 200 {
				got = got[:200]
			}
			if resp.StatusCode != c.status || !strings.HasPrefix(got, c.body) || len(body) > len(c.body)+100 {
				t.Fatalf("status %d body %q, want %d %q", resp.StatusCode, got, c.status, c.body)
			}
			for k, v := range c.headers {
				if resp.Headers[k] != v {
					t.Errorf("%s = %q, want %q", k, resp.Headers[k], v)
				}
			}
		})
	}
}

// HEAD gets the status and headers, no body, as from net/http.
func TestStreamHead(t *testing.T) {
	ev := rpcEvent(t, "")
	ev.RequestContext.HTTP.Method = "HEAD"
	fn := streamHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("hello")) }), slog.New(slog.DiscardHandler), true)
	resp := invokeStreamed(t, fn, ev)
	if body, _ := io.ReadAll(resp.Body); resp.StatusCode != 200 || len(body) != 0 || resp.Headers["Content-Type"] == "" {
		t.Fatalf("status %d headers %v body %q", resp.StatusCode, resp.Headers, body)
	}
}

// Under the runtime's invoke path (lambda.NewHandler, as lambda.Start
// runs it), the answer is the http-integration-response Lambda expects of
// a streaming function: the JSON prelude, eight NUL bytes, the body.
func TestStreamThroughRuntimeHandler(t *testing.T) {
	fn := streamSetup(t, streamEnv(nil))
	payload, err := json.Marshal(rpcEvent(t, statusCall))
	if err != nil {
		t.Fatal(err)
	}
	out, err := lambda.NewHandler(fn).Invoke(context.Background(), payload)
	if err != nil {
		t.Fatal(err)
	}
	prelude, body, ok := strings.Cut(string(out), "\x00\x00\x00\x00\x00\x00\x00\x00")
	var p struct {
		StatusCode int               `json:"statusCode"`
		Headers    map[string]string `json:"headers"`
	}
	if !ok || json.Unmarshal([]byte(prelude), &p) != nil || p.StatusCode != 200 || !strings.Contains(body, `"id":7`) {
		t.Fatalf("%q", out)
	}
}

func TestInvokeModeFromEnvironment(t *testing.T) {
	for mode, want := range map[string]string{"": "buffered", "BUFFERED": "buffered", "RESPONSE_STREAM": "stream", "STREAM": "error", "response_stream": "error"} {
		fn, cleanup, err := setup(demoEnv(map[string]string{"FUNCTION_URL_INVOKE_MODE": mode}))
		cleanup()
		got := "error"
		switch fn.(type) {
		case bufferedFunc:
			got = "buffered"
		case streamFunc:
			got = "stream"
		}
		if got != want || (want == "error") != (err != nil) {
			t.Errorf("FUNCTION_URL_INVOKE_MODE=%q: %s (%v), want %s", mode, got, err, want)
		}
	}
}
