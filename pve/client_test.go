package pve

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Fake credentials built for the tests; never real values.
const (
	testTokenID     = "mcp@pve!test"
	testTokenSecret = "5e3c0a4e-1f2b-4c3d-8e9f-0a1b2c3d4e5f"
)

// testClient returns a client for url with a short backoff, so retry tests
// stay fast; the retry count is the production one.
func testClient(t *testing.T, url string, mod ...func(*Config)) *Client {
	t.Helper()
	cfg := Config{BaseURL: url, TokenID: testTokenID, TokenSecret: testTokenSecret}
	for _, m := range mod {
		m(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	c.backoff = time.Millisecond
	return c
}

// newServer starts an httptest server that closes every connection after
// one answer, so the client's own transport never replays a request on a
// reused connection and attempt counts are exact.
func newServer(t *testing.T, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	ts := httptest.NewUnstartedServer(h)
	ts.Config.SetKeepAlivesEnabled(false)
	ts.Start()
	t.Cleanup(ts.Close)
	return ts
}

// rawReply writes a whole HTTP response by hand so the status line can
// carry Proxmox's own reason phrase ("500 VM 101 not running"), which
// net/http's ResponseWriter cannot.
func rawReply(t *testing.T, w http.ResponseWriter, statusLine string, body string) {
	t.Helper()
	conn, rw, err := w.(http.Hijacker).Hijack()
	if err != nil {
		t.Error(err)
		return
	}
	defer conn.Close()
	fmt.Fprintf(rw, "HTTP/1.1 %s\r\nContent-Type: application/json;charset=UTF-8\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s", statusLine, len(body), body)
	rw.Flush()
}

func TestNewValidates(t *testing.T) {
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{BaseURL: "pve.example.com:8006", TokenID: testTokenID, TokenSecret: "s3cr"}, "PVE_BASE_URL"},
		{Config{BaseURL: "ftp://pve", TokenID: testTokenID, TokenSecret: "s3cr"}, "PVE_BASE_URL"},
		{Config{BaseURL: "https://pve:8006/?x=1", TokenID: testTokenID, TokenSecret: "s3cr"}, "query"},
		{Config{BaseURL: "https://root:pw@pve:8006", TokenID: testTokenID, TokenSecret: "s3cr"}, "credentials"},
		// Credentials that break URL parsing are not quoted either.
		{Config{BaseURL: "https://root:p/w@pve:8006", TokenID: testTokenID, TokenSecret: "s3cr"}, "PVE_BASE_URL"},
		{Config{BaseURL: "https://root:p w%zz@pve:8006", TokenID: testTokenID, TokenSecret: "s3cr"}, "credentials"},
		{Config{BaseURL: "https://pve:8006", TokenID: "mcp@pve", TokenSecret: "s3cr"}, "PVE_TOKEN_ID"},
		{Config{BaseURL: "https://pve:8006", TokenID: testTokenID}, "PVE_TOKEN_SECRET"},
		{Config{BaseURL: "https://pve:8006", TokenID: testTokenID, TokenSecret: "s3cr", TLS: TLSConfig{Fingerprint: "AB:CD"}}, "PVE_TLS_FINGERPRINT"},
	} {
		_, err := New(tc.cfg)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New(%+v) = %v, want an error naming %s", tc.cfg, err, tc.want)
		}
		if err != nil && (strings.Contains(err.Error(), "s3cr") || strings.Contains(err.Error(), "root") || strings.Contains(err.Error(), "p/w")) {
			t.Errorf("error shows a secret: %v", err)
		}
	}
	// The documented base URL forms all work, /api2/json suffix included.
	for _, base := range []string{"https://pve:8006", "https://pve:8006/", "https://pve:8006/api2/json", " https://pve:8006/api2/json/ "} {
		c, err := New(Config{BaseURL: base, TokenID: testTokenID, TokenSecret: testTokenSecret})
		if err != nil || c.Host() != "pve:8006" {
			t.Errorf("New(%q): %v", base, err)
		}
	}
}

func TestAuthHeaderAndDataUnwrap(t *testing.T) {
	ts := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if got, want := r.Header.Get("Authorization"), "PVEAPIToken="+testTokenID+"="+testTokenSecret; got != want {
			t.Errorf("Authorization = %q, want %q", got, want)
		}
		if r.URL.Path != "/api2/json/version" {
			t.Errorf("path = %q", r.URL.Path)
		}
		w.Write([]byte(`{"data":{"version":"9.1.1","release":"9.1","repoid":"abc"}}`))
	})
	c := testClient(t, ts.URL+"/api2/json")
	var v struct{ Version, Release string }
	if err := c.Get(context.Background(), "/version", nil, &v); err != nil {
		t.Fatal(err)
	}
	if v.Version != "9.1.1" || v.Release != "9.1" {
		t.Errorf("decoded %+v", v)
	}
	var raw json.RawMessage
	if err := c.Get(context.Background(), "/version", nil, &raw); err != nil {
		t.Fatal(err)
	}
	if string(raw) != `{"version":"9.1.1","release":"9.1","repoid":"abc"}` {
		t.Errorf("raw data = %s", raw)
	}
	if ver, err := c.Check(context.Background()); err != nil || ver != "9.1.1" {
		t.Errorf("Check = %q, %v", ver, err)
	}
}

// TestAnswerAttrs: an *Answer takes the attributes Proxmox sets beside
// data (the network's pending diff), redacted like data.
func TestAnswerAttrs(t *testing.T) {
	ts := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"data":[{"iface":"vmbr0"}],"changes":"--- a\n+++ b\n+token ` + testTokenSecret + `\n"}`))
	})
	c := testClient(t, ts.URL+"/api2/json")
	var a Answer
	if err := c.Get(context.Background(), "/nodes/pve1/network", nil, &a); err != nil {
		t.Fatal(err)
	}
	var changes string
	if err := json.Unmarshal(a.Attrs["changes"], &changes); err != nil || !strings.HasPrefix(changes, "--- a\n") {
		t.Errorf("changes %q: %v", a.Attrs["changes"], err)
	}
	if strings.Contains(changes, testTokenSecret) {
		t.Error("the secret reached the attributes")
	}
	if string(a.Data) != `[{"iface":"vmbr0"}]` || len(a.Attrs) != 1 {
		t.Errorf("data %s, attrs %v", a.Data, a.Attrs)
	}
}

func TestEncodingByMethod(t *testing.T) {
	type seen struct {
		method, query, body, contentType string
	}
	got := make(chan seen, 1)
	ts := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- seen{r.Method, r.URL.RawQuery, string(b), r.Header.Get("Content-Type")}
		w.Write([]byte(`{"data":null}`))
	})
	c := testClient(t, ts.URL)
	params := Values{"node": {"pve1"}, "tags": {"a b", "c&d=e"}, "onboot": {"1"}}
	const encoded = "node=pve1&onboot=1&tags=a+b&tags=c%26d%3De"
	for _, tc := range []struct {
		method              string
		wantQuery, wantBody string
		wantForm            bool
	}{
		{http.MethodGet, encoded, "", false},
		{http.MethodDelete, encoded, "", false},
		{http.MethodPost, "", encoded, true},
		{http.MethodPut, "", encoded, true},
	} {
		if err := c.Do(context.Background(), tc.method, "/nodes/pve1/qemu/101/config", params, nil); err != nil {
			t.Fatalf("%s: %v", tc.method, err)
		}
		s := <-got
		if s.method != tc.method || s.query != tc.wantQuery || s.body != tc.wantBody {
			t.Errorf("%s: sent query %q body %q", tc.method, s.query, s.body)
		}
		if tc.wantForm != (s.contentType == "application/x-www-form-urlencoded") {
			t.Errorf("%s: Content-Type %q", tc.method, s.contentType)
		}
	}
	// A POST without parameters has no body (pveproxy accepts that).
	if err := c.Do(context.Background(), http.MethodPost, "/nodes/pve1/qemu/101/status/start", nil, nil); err != nil {
		t.Fatal(err)
	}
	if s := <-got; s.body != "" || s.query != "" {
		t.Errorf("empty POST sent %+v", s)
	}
}

func TestErrorKeepsProxmoxMessages(t *testing.T) {
	for _, tc := range []struct {
		name, status, body string
		wantStatus         int
		want               []string
	}{
		{
			name: "reason phrase", status: "500 VM 101 not running", body: `{"data":null}`,
			wantStatus: 500, want: []string{"Proxmox POST /nodes/pve1/qemu/101/status/stop failed: 500 VM 101 not running"},
		},
		{
			name: "errors map", status: "400 Parameter verification failed.",
			body:       `{"data":null,"errors":{"vmid":"invalid format - value does not look like a valid VM ID\n","cores":"value must have a minimum value of 1"}}`,
			wantStatus: 400,
			want:       []string{"400 Parameter verification failed.: cores: value must have a minimum value of 1; vmid: invalid format - value does not look like a valid VM ID"},
		},
		{
			name: "body message when the phrase is standard", status: "500 Internal Server Error", body: `{"data":null,"message":"storage 'nfs1' is not online\n"}`,
			wantStatus: 500, want: []string{"500 storage 'nfs1' is not online"},
		},
		{
			name: "401 tells what to check", status: "401 authentication failure", body: `{"data":null}`,
			wantStatus: 401, want: []string{"401 authentication failure", "PVE_TOKEN_ID", "PVE_TOKEN_SECRET"},
		},
		{
			name: "403 names the privilege", status: "403 Permission check failed (/vms/101, VM.PowerMgmt)", body: `{"data":null}`,
			wantStatus: 403, want: []string{"Permission check failed (/vms/101, VM.PowerMgmt)", "privilege-separated token"},
		},
		{
			name: "pveproxy's own status", status: "596 Connection timed out", body: ``,
			wantStatus: 596, want: []string{"596 Connection timed out"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var calls atomic.Int32
			ts := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				calls.Add(1)
				rawReply(t, w, tc.status, tc.body)
			})
			c := testClient(t, ts.URL)
			err := c.Do(context.Background(), http.MethodPost, "/nodes/pve1/qemu/101/status/stop", nil, nil)
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("err = %#v, want *Error", err)
			}
			if pe.Status != tc.wantStatus || pe.Method != "POST" || pe.Path != "/nodes/pve1/qemu/101/status/stop" || StatusOf(err) != tc.wantStatus {
				t.Errorf("error fields %+v", pe)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\ndoes not contain %q", err, w)
				}
			}
			if calls.Load() != 1 {
				t.Errorf("%d calls", calls.Load())
			}
		})
	}
	t.Run("errors map kept as data", func(t *testing.T) {
		ts := newServer(t, func(w http.ResponseWriter, r *http.Request) {
			rawReply(t, w, "400 Parameter verification failed.", `{"errors":{"memory":"value must have a minimum value of 16"},"data":null}`)
		})
		err := testClient(t, ts.URL).Do(context.Background(), http.MethodPut, "/nodes/pve1/qemu/101/config", Values{"memory": {"1"}}, nil)
		var pe *Error
		if !errors.As(err, &pe) || pe.Errors["memory"] != "value must have a minimum value of 16" || pe.Message != "Parameter verification failed." {
			t.Errorf("err = %#v", err)
		}
	})
}

func TestCheckMessages(t *testing.T) {
	ts := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		rawReply(t, w, "401 No ticket", `{"data":null}`)
	})
	_, err := testClient(t, ts.URL).Check(context.Background())
	if err == nil || !strings.Contains(err.Error(), "rejected the API token") || !strings.Contains(err.Error(), "PVE_TOKEN_SECRET") {
		t.Errorf("Check on 401: %v", err)
	}
	ts.Close()
	_, err = testClient(t, ts.URL).Check(context.Background())
	if err == nil || !strings.Contains(err.Error(), "connection check failed") || !strings.Contains(err.Error(), "cannot reach Proxmox at "+strings.TrimPrefix(ts.URL, "http://")) {
		t.Errorf("Check on closed server: %v", err)
	}
}

func TestConnectionErrorNamesHostAndCause(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	c := testClient(t, "https://"+addr)
	err = c.Get(context.Background(), "/version", nil, nil)
	var ce *ConnError
	if !errors.As(err, &ce) || ce.Host != addr {
		t.Fatalf("err = %#v, want *ConnError for %s", err, addr)
	}
	msg := err.Error()
	if !strings.Contains(msg, "cannot reach Proxmox at "+addr) || !strings.Contains(msg, "connection refused") {
		t.Errorf("message %q does not name host and cause", msg)
	}
	if strings.Contains(msg, testTokenSecret) || strings.Contains(msg, testTokenID) {
		t.Errorf("message shows credentials: %q", msg)
	}
}

func TestRedirectNotFollowed(t *testing.T) {
	var elsewhere atomic.Int32
	other := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		elsewhere.Add(1)
		w.Write([]byte(`{"data":"stolen"}`))
	})
	ts := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/api2/json/version", http.StatusFound)
	})
	var out any
	err := testClient(t, ts.URL).Get(context.Background(), "/version", nil, &out)
	if StatusOf(err) != http.StatusFound {
		t.Errorf("err = %v, want the 302 as an error", err)
	}
	if elsewhere.Load() != 0 || out != nil {
		t.Errorf("redirect followed: %d requests elsewhere, out %v", elsewhere.Load(), out)
	}
}

func TestResponseSizeCap(t *testing.T) {
	const limit = 1024
	payload := func(n int) string { // a {"data":"xxx"} document of exactly n bytes
		return `{"data":"` + strings.Repeat("x", n-len(`{"data":""}`)) + `"}`
	}
	var size atomic.Int64
	var calls atomic.Int32
	ts := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.Write([]byte(payload(int(size.Load()))))
	})
	c := testClient(t, ts.URL, func(c *Config) { c.MaxResponse = limit })
	size.Store(limit)
	var s string
	if err := c.Get(context.Background(), "/cluster/resources", nil, &s); err != nil || len(s) != limit-len(`{"data":""}`) {
		t.Errorf("answer of exactly the cap: len %d, %v", len(s), err)
	}
	size.Store(limit + 1)
	calls.Store(0)
	err := c.Get(context.Background(), "/cluster/resources", nil, &s)
	if err == nil || !strings.Contains(err.Error(), "larger than 1024 bytes") {
		t.Errorf("oversized answer: %v", err)
	}
	if calls.Load() != 1 {
		t.Errorf("oversized answer fetched %d times; a too large answer is not worth a retry", calls.Load())
	}
}

func TestRetries(t *testing.T) {
	// Each script entry is one answer: a status code, or 0 to drop the
	// connection without answering.
	for _, tc := range []struct {
		name         string
		method       string
		script       []int
		wantAttempts int
		wantOK       bool
	}{
		{"GET retried on 503 until it works", "GET", []int{503, 503, 200}, 3, true},
		{"GET retried on 502", "GET", []int{502, 200}, 2, true},
		{"GET retried on 504", "GET", []int{504, 200}, 2, true},
		{"GET retried on a dropped connection", "GET", []int{0, 0, 200}, 3, true},
		{"GET gives up after the retries", "GET", []int{503, 503, 503, 503, 503, 503}, 1 + defaultRetries, false},
		{"GET not retried on 500", "GET", []int{500, 200}, 1, false},
		{"GET not retried on 400", "GET", []int{400, 200}, 1, false},
		{"GET not retried on 401", "GET", []int{401, 200}, 1, false},
		{"GET not retried on 403", "GET", []int{403, 200}, 1, false},
		{"GET not retried on 404", "GET", []int{404, 200}, 1, false},
		{"GET not retried on 501", "GET", []int{501, 200}, 1, false},
		{"POST never retried on 503", "POST", []int{503, 200}, 1, false},
		{"POST never retried on a dropped connection", "POST", []int{0, 200}, 1, false},
		{"PUT never retried", "PUT", []int{502, 200}, 1, false},
		{"DELETE never retried", "DELETE", []int{504, 200}, 1, false},
		{"DELETE never retried on a dropped connection", "DELETE", []int{0, 200}, 1, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var n atomic.Int32
			ts := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				i := int(n.Add(1)) - 1
				code := 200
				if i < len(tc.script) {
					code = tc.script[i]
				}
				switch code {
				case 0:
					conn, _, _ := w.(http.Hijacker).Hijack()
					conn.Close()
				case 200:
					w.Write([]byte(`{"data":"ok"}`))
				default:
					rawReply(t, w, strconv.Itoa(code)+" "+http.StatusText(code), `{"data":null}`)
				}
			})
			var out string
			err := testClient(t, ts.URL).Do(context.Background(), tc.method, "/cluster/resources", nil, &out)
			if got := int(n.Load()); got != tc.wantAttempts {
				t.Errorf("%d attempts, want %d", got, tc.wantAttempts)
			}
			if tc.wantOK != (err == nil) {
				t.Errorf("err = %v", err)
			}
			if tc.wantOK && out != "ok" {
				t.Errorf("out = %q", out)
			}
		})
	}
}

// TestRetryBackoffStaysInsideDeadline uses the production backoff: with a
// server that is always 503, the retries must stop at the caller's deadline
// and report Proxmox's last answer.
func TestRetryBackoffStaysInsideDeadline(t *testing.T) {
	var n atomic.Int32
	ts := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		rawReply(t, w, "503 Service Unavailable", `{"data":null}`)
	})
	c := testClient(t, ts.URL)
	c.backoff = 200 * time.Millisecond
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := c.Get(ctx, "/version", nil, nil)
	if elapsed := time.Since(start); elapsed > 750*time.Millisecond {
		t.Errorf("returned after %v; the deadline was 150ms", elapsed)
	}
	if StatusOf(err) != 503 {
		t.Errorf("err = %v, want the 503", err)
	}
	if n.Load() < 1 || int(n.Load()) > 1+defaultRetries {
		t.Errorf("%d attempts", n.Load())
	}
}

func TestTimeouts(t *testing.T) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	var n atomic.Int32
	ts := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		select { // a Proxmox that hangs
		case <-r.Context().Done():
		case <-release:
		}
	})
	host := strings.TrimPrefix(ts.URL, "http://")
	check := func(t *testing.T, err error, start time.Time) {
		t.Helper()
		if elapsed := time.Since(start); elapsed > 2*time.Second {
			t.Errorf("returned after %v", elapsed)
		}
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("err = %v, want it to wrap context.DeadlineExceeded", err)
		}
		if err == nil || !strings.Contains(err.Error(), host) {
			t.Errorf("err = %v, want the host named", err)
		}
	}
	t.Run("caller's deadline", func(t *testing.T) {
		c := testClient(t, ts.URL) // default 30 s timeout: the caller's earlier deadline wins
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		start := time.Now()
		check(t, c.Get(ctx, "/version", nil, nil), start)
	})
	t.Run("client timeout", func(t *testing.T) {
		c := testClient(t, ts.URL, func(c *Config) { c.Timeout = 100 * time.Millisecond })
		n.Store(0)
		start := time.Now()
		check(t, c.Do(context.Background(), http.MethodPost, "/nodes/pve1/qemu/101/status/start", nil, nil), start)
		if n.Load() != 1 {
			t.Errorf("POST sent %d times", n.Load())
		}
	})
	t.Run("cancelled caller", func(t *testing.T) {
		c := testClient(t, ts.URL)
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(50*time.Millisecond, cancel)
		if err := c.Get(ctx, "/version", nil, nil); !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want it to wrap context.Canceled", err)
		}
	})
	if DefaultTimeout != 30*time.Second {
		t.Errorf("DefaultTimeout = %v, the documented default is 30 s", DefaultTimeout)
	}
}

// echoServer answers like a hostile or buggy Proxmox: the Authorization
// header it received comes back in the reason phrase, the errors map and
// the data.
func echoServer(t *testing.T, status int) *httptest.Server {
	return newServer(t, func(w http.ResponseWriter, r *http.Request) {
		auth := r.Header.Get("Authorization")
		tokenID, secret, _ := strings.Cut(strings.TrimPrefix(auth, "PVEAPIToken="), "=")
		if status == 200 {
			body, _ := json.Marshal(map[string]any{"data": map[string]any{
				"auth":   auth,
				"secret": secret,
				"upid":   "UPID:pve1:000A1B2C:0012D687:6650A1B2:qmstart:101:" + tokenID + ":",
				"user":   tokenID,
			}})
			w.Write(body)
			return
		}
		body, _ := json.Marshal(map[string]any{"data": nil, "message": auth, "errors": map[string]string{
			"token":  "token " + tokenID + " with secret " + secret + " rejected",
			tokenID:  "echoed key",
			"header": auth,
		}})
		rawReply(t, w, fmt.Sprintf("%d bad header %s (user %s, secret %s)", status, auth, tokenID, secret), string(body))
	})
}

func assertClean(t *testing.T, what, s string) {
	t.Helper()
	for _, secret := range []string{testTokenSecret, strings.ToUpper(testTokenSecret), "5e3c0a4e"} {
		if strings.Contains(s, secret) {
			t.Errorf("%s shows %q: %s", what, secret, s)
		}
	}
}

func TestRedaction(t *testing.T) {
	for _, status := range []int{400, 401, 403, 500, 503} {
		t.Run(strconv.Itoa(status), func(t *testing.T) {
			ts := echoServer(t, status)
			c := testClient(t, ts.URL)
			upid := "UPID:pve1:000A1B2C:0012D687:6650A1B2:qmstart:101:" + testTokenID + ":"
			path, err := BuildPath("/nodes/{node}/tasks/{upid}/status", map[string]string{"node": "pve1", "upid": upid})
			if err != nil {
				t.Fatal(err)
			}
			err = c.Get(context.Background(), path, nil, nil)
			if err == nil {
				t.Fatal("no error")
			}
			assertClean(t, "error", err.Error())
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("err = %#v", err)
			}
			assertClean(t, "message", pe.Message)
			assertClean(t, "path", pe.Path)
			for k, v := range pe.Errors {
				assertClean(t, "errors map", k+": "+v)
			}
			if !strings.Contains(pe.Message, Redacted) || !strings.Contains(pe.Errors["token"], Redacted) {
				t.Errorf("redaction lost the rest of the message: %q / %q", pe.Message, pe.Errors["token"])
			}
			if _, err := c.Check(context.Background()); err == nil {
				t.Error("Check succeeded")
			} else {
				assertClean(t, "Check error", err.Error())
			}
		})
	}
	t.Run("data", func(t *testing.T) {
		ts := echoServer(t, 200)
		c := testClient(t, ts.URL)
		var raw json.RawMessage
		if err := c.Get(context.Background(), "/cluster/tasks", nil, &raw); err != nil {
			t.Fatal(err)
		}
		assertClean(t, "raw data", string(raw))
		var typed struct{ Auth, Secret, UPID, User string }
		if err := c.Get(context.Background(), "/cluster/tasks", nil, &typed); err != nil {
			t.Fatal(err)
		}
		assertClean(t, "decoded data", fmt.Sprintf("%+v", typed))
		var generic map[string]any
		if err := c.Get(context.Background(), "/cluster/tasks", nil, &generic); err != nil {
			t.Fatal(err)
		}
		assertClean(t, "decoded map", fmt.Sprint(generic))
		// The token id is no secret: UPIDs keep it, so they work as they are.
		want := "UPID:pve1:000A1B2C:0012D687:6650A1B2:qmstart:101:" + testTokenID + ":"
		if typed.UPID != want || typed.User != testTokenID {
			t.Errorf("UPID %q, user %q: the token id should be shown in clear", typed.UPID, typed.User)
		}
		// A UPID redacted by an earlier version still reaches the task.
		old := strings.ReplaceAll(want, testTokenID, Redacted)
		if got := c.RestoreUPID(old); got != want {
			t.Errorf("RestoreUPID(%q) = %q, want %q", old, got, want)
		}
		if got := c.RestoreUPID("not a UPID " + Redacted); got != "not a UPID "+Redacted {
			t.Errorf("RestoreUPID touched a non-UPID: %q", got)
		}
	})
	t.Run("redactor", func(t *testing.T) {
		r := NewRedactor("abc", "secret-long", "secret") // too short ignored, longest first
		if got := r.String("abc secret-long secret"); got != "abc [REDACTED] [REDACTED]" {
			t.Errorf("got %q", got)
		}
		b := []byte("nothing here")
		if got := r.Bytes(b); &got[0] != &b[0] {
			t.Error("Bytes copied an unchanged slice")
		}
		var nilR *Redactor
		if nilR.String("x") != "x" || NewRedactor().String("secret") != "secret" {
			t.Error("empty redactor changed text")
		}
	})
}

// A change that has begun is sent to the end when the caller cancels (its
// client went away); a read is cut off, and a canceled call sends nothing.
func TestCanceledCallerAndChanges(t *testing.T) {
	release := make(chan struct{})
	var got []string
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-release
		mu.Lock()
		got = append(got, r.Method)
		mu.Unlock()
		w.Write([]byte(`{"data":null}`))
	}))
	defer srv.Close()
	c, err := New(Config{BaseURL: srv.URL, TokenID: "a@pve!t", TokenSecret: "secret-value"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		method  string
		wantErr bool
	}{{"POST", false}, {"GET", true}} {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- c.Do(ctx, tc.method, "/nodes", nil, nil) }()
		time.Sleep(50 * time.Millisecond) // the request is at the server
		cancel()
		time.Sleep(20 * time.Millisecond)
		release <- struct{}{}
		if err := <-done; (err != nil) != tc.wantErr {
			t.Errorf("%s after cancel: err = %v, want error %v", tc.method, err, tc.wantErr)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := c.Do(ctx, "POST", "/nodes", nil, nil); err == nil {
		t.Error("a call canceled before it began sent its change")
	}
}
