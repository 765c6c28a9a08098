package funcurl

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

func loadEvent(t *testing.T, name string) events.LambdaFunctionURLRequest {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var ev events.LambdaFunctionURLRequest
	if err := json.Unmarshal(b, &ev); err != nil {
		t.Fatal(err)
	}
	return ev
}

// seen is what the echo handler observed of a request.
type seen struct {
	Method, Host, Path, EscapedPath, RawQuery, RequestURI, Proto, Remote string
	Query                                                                map[string][]string
	Header                                                               map[string][]string
	Cookies                                                              map[string]string
	Body                                                                 []byte
	ContentLength                                                        int64
	TLS                                                                  bool
	FromEvent                                                            string
}

func echo(t *testing.T, got *seen) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("reading body: %v", err)
		}
		*got = seen{
			Method: r.Method, Host: r.Host, Path: r.URL.Path, EscapedPath: r.URL.EscapedPath(), RawQuery: r.URL.RawQuery,
			RequestURI: r.RequestURI, Proto: r.Proto, Remote: r.RemoteAddr, Query: r.URL.Query(), Header: r.Header,
			Cookies: map[string]string{}, Body: body, ContentLength: r.ContentLength, TLS: r.TLS != nil,
		}
		for _, c := range r.Cookies() {
			got.Cookies[c.Name] = c.Value
		}
		if ev, ok := EventFromContext(r.Context()); ok {
			got.FromEvent = ev.RequestContext.RequestID
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"ok":true}`))
	})
}

func TestRequestFromDocumentedEvents(t *testing.T) {
	tests := []struct {
		file  string
		check func(t *testing.T, s seen)
	}{
		{"get_health.json", func(t *testing.T, s seen) {
			want := seen{Method: "GET", Host: "abcdefghijklmnopqrstuvwxyz012345.lambda-url.us-west-2.on.aws", Path: "/healthz", EscapedPath: "/healthz",
				RequestURI: "/healthz", Proto: "HTTP/1.1", Remote: "203.0.113.7", TLS: true, FromEvent: "1f6e2a0c-2a53-4a33-9d5e-7c1e0b0a9f11"}
			if s.Method != want.Method || s.Host != want.Host || s.Path != want.Path || s.RequestURI != want.RequestURI ||
				s.Proto != want.Proto || s.Remote != want.Remote || !s.TLS || s.FromEvent != want.FromEvent || len(s.Body) != 0 || s.ContentLength != 0 {
				t.Errorf("got %+v", s)
			}
			if s.Header["User-Agent"][0] != "curl/8.5.0" || s.Header["X-Forwarded-Proto"][0] != "https" || s.Header["Host"] != nil {
				t.Errorf("headers %v", s.Header)
			}
		}},
		{"post_json.json", func(t *testing.T, s seen) {
			if s.Method != "POST" || string(s.Body) != `{"hello":"from client"}` || s.ContentLength != int64(len(s.Body)) || s.Header["Content-Type"][0] != "application/json" {
				t.Errorf("method/body: %+v", s)
			}
			if !reflect.DeepEqual(s.Query, map[string][]string{"parameter1": {"value1", "value2"}, "parameter2": {"value"}}) {
				t.Errorf("query %v", s.Query)
			}
			if s.RawQuery != "parameter1=value1&parameter1=value2&parameter2=value" || s.RequestURI != "/my/path?"+s.RawQuery {
				t.Errorf("raw query %q, request URI %q", s.RawQuery, s.RequestURI)
			}
			// A header sent twice arrives comma-joined, as the function URL delivers it.
			if !reflect.DeepEqual(s.Header["Header2"], []string{"value1,value2"}) || s.Header["Header1"][0] != "value1" {
				t.Errorf("headers %v", s.Header)
			}
			if !reflect.DeepEqual(s.Cookies, map[string]string{"cookie1": "one", "cookie2": "two"}) {
				t.Errorf("cookies %v", s.Cookies)
			}
		}},
		{"post_base64.json", func(t *testing.T, s seen) {
			if s.Method != "PUT" || !bytes.Equal(s.Body, []byte("\x00\x01\xff\x7e{\"a\":1}")) || s.ContentLength != 11 {
				t.Errorf("body %q (%d)", s.Body, s.ContentLength)
			}
			if s.Path != "/upload/a/b" || s.EscapedPath != "/upload/a%2Fb" {
				t.Errorf("path %q escaped %q", s.Path, s.EscapedPath)
			}
			if s.Query["name"][0] != "résumé.bin" || len(s.Query["empty"]) != 1 || s.Remote != "2001:db8::7" {
				t.Errorf("query %v remote %q", s.Query, s.Remote)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			var s seen
			resp, err := Handler(echo(t, &s), Options{})(context.Background(), loadEvent(t, tt.file))
			if err != nil || resp.StatusCode != 200 || resp.Body != `{"ok":true}` || resp.IsBase64Encoded {
				t.Fatalf("resp %+v, %v", resp, err)
			}
			tt.check(t, s)
		})
	}
}

func TestResponses(t *testing.T) {
	gz := func() []byte {
		var b bytes.Buffer
		z := gzip.NewWriter(&b)
		z.Write([]byte(`{"a":1}`))
		z.Close()
		return b.Bytes()
	}()
	tests := []struct {
		name    string
		method  string
		handler http.HandlerFunc
		want    events.LambdaFunctionURLResponse
	}{
		{"json", "POST", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusAccepted)
			w.Write([]byte(`{"jsonrpc":"2.0"}`))
		}, events.LambdaFunctionURLResponse{StatusCode: 202, Headers: map[string]string{"Content-Type": "application/json"}, Body: `{"jsonrpc":"2.0"}`}},
		{"status without body", "DELETE", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusNoContent)
			w.WriteHeader(http.StatusOK) // ignored, as in net/http
		}, events.LambdaFunctionURLResponse{StatusCode: 204, Headers: map[string]string{}}},
		{"implicit 200 with sniffed type", "GET", func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte("<html><body>hi</body></html>"))
		}, events.LambdaFunctionURLResponse{StatusCode: 200, Headers: map[string]string{"Content-Type": "text/html; charset=utf-8"}, Body: "<html><body>hi</body></html>"}},
		{"not found", "GET", func(w http.ResponseWriter, r *http.Request) {
			http.NotFound(w, r)
		}, events.LambdaFunctionURLResponse{StatusCode: 404, Headers: map[string]string{"Content-Type": "text/plain; charset=utf-8", "X-Content-Type-Options": "nosniff"}, Body: "404 page not found\n"}},
		{"binary", "GET", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/octet-stream")
			w.Write([]byte{0, 1, 2, 0xff})
		}, events.LambdaFunctionURLResponse{StatusCode: 200, Headers: map[string]string{"Content-Type": "application/octet-stream"}, Body: "AAEC/w==", IsBase64Encoded: true}},
		{"gzip json is base64", "GET", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Content-Encoding", "gzip")
			w.Write(gz)
		}, events.LambdaFunctionURLResponse{StatusCode: 200, Headers: map[string]string{"Content-Type": "application/json", "Content-Encoding": "gzip"}, Body: base64.StdEncoding.EncodeToString(gz), IsBase64Encoded: true}},
		{"text that is not UTF-8", "GET", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/plain; charset=latin1")
			w.Write([]byte("caf\xe9"))
		}, events.LambdaFunctionURLResponse{StatusCode: 200, Headers: map[string]string{"Content-Type": "text/plain; charset=latin1"}, Body: "Y2Fm6Q==", IsBase64Encoded: true}},
		{"multi-value headers and cookies", "GET", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Add("Vary", "Origin")
			w.Header().Add("Vary", "Accept")
			w.Header().Add("Set-Cookie", "a=1; Secure")
			w.Header().Add("Set-Cookie", "b=2; HttpOnly")
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(http.StatusConflict)
			w.Write([]byte(`{}`))
		}, events.LambdaFunctionURLResponse{StatusCode: 409, Headers: map[string]string{"Vary": "Origin,Accept", "Content-Type": "application/problem+json"}, Body: "{}", Cookies: []string{"a=1; Secure", "b=2; HttpOnly"}}},
		{"HEAD drops the body", "HEAD", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"status":"ok"}`))
		}, events.LambdaFunctionURLResponse{StatusCode: 200, Headers: map[string]string{"Content-Type": "application/json"}}},
		{"panic", "GET", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Half", "written")
			panic("boom")
		}, events.LambdaFunctionURLResponse{StatusCode: 500, Headers: map[string]string{"Content-Type": "text/plain; charset=utf-8", "X-Content-Type-Options": "nosniff"}, Body: "internal error\n"}},
		{"too large", "GET", func(w http.ResponseWriter, r *http.Request) {
			chunk := bytes.Repeat([]byte("x"), 1<<20)
			for range 7 {
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
			t.Error("a write past MaxResponseBytes must fail")
		}, events.LambdaFunctionURLResponse{StatusCode: 500, Headers: map[string]string{"Content-Type": "text/plain; charset=utf-8", "X-Content-Type-Options": "nosniff"}, Body: "response larger than a function URL can return (6000000 bytes)\n"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := loadEvent(t, "get_health.json")
			ev.RequestContext.HTTP.Method = tt.method
			got, err := Handler(tt.handler, Options{})(context.Background(), ev)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestBadEvents(t *testing.T) {
	h := Handler(http.NotFoundHandler(), Options{})
	ev := loadEvent(t, "post_json.json")
	ev.RequestContext.HTTP.Method = ""
	if _, err := h(context.Background(), ev); err == nil || !strings.Contains(err.Error(), "not a function URL request") {
		t.Errorf("event without method: %v", err)
	}
	ev = loadEvent(t, "post_json.json")
	ev.Version = "1.0"
	if _, err := h(context.Background(), ev); err == nil {
		t.Error("payload format 1.0 must be refused")
	}
	ev = loadEvent(t, "post_base64.json")
	ev.Body = "not base64!"
	if resp, err := h(context.Background(), ev); err != nil || resp.StatusCode != 400 || !strings.Contains(resp.Body, "invalid base64 body") {
		t.Errorf("bad base64: %+v, %v", resp, err)
	}
	ev = loadEvent(t, "get_health.json")
	ev.RawPath = "no-slash"
	if resp, err := h(context.Background(), ev); err != nil || resp.StatusCode != 400 {
		t.Errorf("bad path: %+v, %v", resp, err)
	}
}

func TestDeadline(t *testing.T) {
	deadline := time.Now().Add(30 * time.Second)
	tests := []struct {
		name   string
		margin time.Duration
		want   time.Time
	}{
		{"default margin", 0, deadline.Add(-DefaultDeadlineMargin)},
		{"custom margin", 2 * time.Second, deadline.Add(-2 * time.Second)},
		{"no margin", -1, deadline},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got time.Time
			var ok bool
			h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got, ok = r.Context().Deadline() })
			ctx, cancel := context.WithDeadline(context.Background(), deadline)
			defer cancel()
			if _, err := Handler(h, Options{DeadlineMargin: tt.margin})(ctx, loadEvent(t, "get_health.json")); err != nil {
				t.Fatal(err)
			}
			if !ok || !got.Equal(tt.want) {
				t.Fatalf("deadline %v (%v), want %v", got, ok, tt.want)
			}
		})
	}
	// Without an invocation deadline (tests, local runs) there is none.
	var ok bool
	Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, ok = r.Context().Deadline() }), Options{})(context.Background(), loadEvent(t, "get_health.json"))
	if ok {
		t.Error("deadline invented")
	}
}

// The JSON the Lambda runtime exchanges: the event decoded and the response
// encoded by aws-lambda-go exactly as in a real invocation.
func TestThroughLambdaRuntimeEncoding(t *testing.T) {
	var s seen
	lh := lambda.NewHandler(Handler(echo(t, &s), Options{}))
	payload, err := os.ReadFile("testdata/post_json.json")
	if err != nil {
		t.Fatal(err)
	}
	out, err := lh.Invoke(context.Background(), payload)
	if err != nil {
		t.Fatal(err)
	}
	var resp map[string]any
	if err := json.Unmarshal(out, &resp); err != nil {
		t.Fatal(err)
	}
	if resp["statusCode"] != float64(200) || resp["body"] != `{"ok":true}` || resp["isBase64Encoded"] != false ||
		resp["headers"].(map[string]any)["Content-Type"] != "application/json" {
		t.Fatalf("response JSON %s", out)
	}
	if string(s.Body) != `{"hello":"from client"}` || s.Cookies["cookie2"] != "two" {
		t.Fatalf("request %+v", s)
	}
}

// With RequireIAM (FUNCTION_URL_AUTH_TYPE=AWS_IAM), an invocation without
// the IAM caller Lambda adds to signed requests never reaches the handler.
func TestRequireIAM(t *testing.T) {
	signed := loadEvent(t, "post_json.json")
	if !HasIAMCaller(signed) {
		t.Fatal("the documented AWS_IAM event has no IAM caller")
	}
	unsigned := loadEvent(t, "post_json.json")
	unsigned.RequestContext.Authorizer = nil
	emptyIAM := loadEvent(t, "post_json.json")
	emptyIAM.RequestContext.Authorizer = &events.LambdaFunctionURLRequestContextAuthorizerDescription{IAM: &events.LambdaFunctionURLRequestContextAuthorizerIAMDescription{}}
	for _, c := range []struct {
		name    string
		ev      events.LambdaFunctionURLRequest
		require bool
		want    int
	}{
		{"signed", signed, true, 200},
		{"no authorizer", unsigned, true, 403},
		{"empty IAM", emptyIAM, true, 403},
		{"no authorizer, NONE", unsigned, false, 200},
	} {
		reached := false
		h := Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { reached = true }), Options{RequireIAM: c.require})
		resp, err := h(context.Background(), c.ev)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != c.want || reached != (c.want == 200) {
			t.Errorf("%s: HTTP %d (reached %v), want %d", c.name, resp.StatusCode, reached, c.want)
		}
		if c.want == 403 && !strings.Contains(resp.Body, "AWS_IAM") {
			t.Errorf("%s: body %q", c.name, resp.Body)
		}
	}
}
