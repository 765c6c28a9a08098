package handler

import (
	"bufio"
	"cmp"
	"context"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// answerTypes records the Content-Type of every tools/call answer, in order.
type answerTypes struct {
	mu    sync.Mutex
	types []string
}

func (a *answerTypes) RoundTrip(r *http.Request) (*http.Response, error) {
	call := r.Header.Get("Mcp-Method") == "tools/call"
	if !call && r.GetBody != nil {
		if b, err := r.GetBody(); err == nil {
			var m struct {
				Method string `json:"method"`
			}
			json.NewDecoder(b).Decode(&m)
			call = m.Method == "tools/call"
		}
	}
	resp, err := http.DefaultTransport.RoundTrip(r)
	if err == nil && call {
		a.mu.Lock()
		a.types = append(a.types, strings.TrimSpace(strings.Split(resp.Header.Get("Content-Type"), ";")[0]))
		a.mu.Unlock()
	}
	return resp, err
}

func (a *answerTypes) take() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := a.types
	a.types = nil
	return out
}

// mcpPost is a POST of body to url as a Streamable HTTP client sends it,
// under protocol 2025-06-18.
func mcpPost(ctx context.Context, url, body string) *http.Request {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		panic(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("Mcp-Protocol-Version", "2025-06-18")
	return req
}

// progressLog collects the progress notifications a client receives.
type progressLog struct {
	mu  sync.Mutex
	got []*mcp.ProgressNotificationParams
}

func (p *progressLog) handle(_ context.Context, req *mcp.ProgressNotificationClientRequest) {
	p.mu.Lock()
	p.got = append(p.got, req.Params)
	p.mu.Unlock()
}

// until waits a moment for a notification whose message holds want (the
// client handles notifications apart from results), if wait is set, then
// takes them all.
func (p *progressLog) until(wait bool, want string) []*mcp.ProgressNotificationParams {
	if !wait {
		time.Sleep(100 * time.Millisecond) // a stray notification would be here by now
	}
	for deadline := time.Now().Add(2 * time.Second); wait && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		p.mu.Lock()
		done := len(p.got) > 0 && strings.Contains(p.got[len(p.got)-1].Message, want)
		p.mu.Unlock()
		if done {
			break
		}
	}
	return p.take()
}

func (p *progressLog) take() []*mcp.ProgressNotificationParams {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := p.got
	p.got = nil
	return out
}

// Over HTTP, with the go-sdk client, a tools/call with wait and a progress
// token gets an SSE answer carrying the task's log as progress, then the
// result; the same call without a token gets one JSON body and no progress.
// PVE_HTTP_STREAM=false answers JSON with no progress either way. Under
// every protocol version the tests speak.
func TestProgressOverHTTP(t *testing.T) {
	for _, c := range []struct {
		name   string
		env    map[string]string
		stream bool
	}{
		{"default", nil, true},
		{"PVE_HTTP_STREAM=false", map[string]string{"PVE_HTTP_STREAM": "false"}, false},
	} {
		// The go-sdk's latest (stateless server/discover) and the initialize
		// handshake of today's clients.
		for _, version := range []string{"", "2025-11-25", "2025-06-18"} {
			t.Run(c.name+"/"+cmp.Or(version, "latest"), func(t *testing.T) {
				env := map[string]string{"SIM_TASK_DURATION": "700ms"}
				maps.Copy(env, c.env)
				e := newSecEnv(t, env)
				types := &answerTypes{}
				progress := &progressLog{}
				client := mcp.NewClient(&mcp.Implementation{Name: "handler-test", Version: "1"}, &mcp.ClientOptions{ProgressNotificationHandler: progress.handle})
				cs, err := client.Connect(context.Background(), &mcp.StreamableClientTransport{
					Endpoint: e.srv.URL + "/mcp", HTTPClient: &http.Client{Transport: types}, DisableStandaloneSSE: true, MaxRetries: -1,
				}, &mcp.ClientSessionOptions{ProtocolVersion: version})
				if err != nil {
					t.Fatal(err)
				}
				defer cs.Close()

				start := &mcp.CallToolParams{Name: "pve_start_qemu_vm", Arguments: map[string]any{"vmid": 102, "wait": 10}}
				start.SetProgressToken("start-102")
				res, err := cs.CallTool(context.Background(), start)
				if err != nil || res.IsError {
					t.Fatalf("start: %v %v", err, res)
				}
				if !strings.Contains(resultText(res), `"status":"stopped"`) {
					t.Errorf("start did not wait for its task: %s", resultText(res))
				}
				got := progress.until(c.stream, "TASK OK")
				want := "application/json"
				if c.stream {
					want = "text/event-stream"
					last, log := -1.0, []string{}
					for _, p := range got {
						if p.ProgressToken != "start-102" || p.Progress < last {
							t.Errorf("progress %+v after %v", p, last)
						}
						last = p.Progress
						log = append(log, p.Message)
					}
					if len(got) == 0 || !strings.Contains(strings.Join(log, "\n"), "TASK OK") {
						t.Errorf("%d progress notifications, want the task log as it grows, ending with TASK OK: %q", len(got), log)
					}
				} else if len(got) != 0 {
					t.Errorf("%d progress notifications with streaming off", len(got))
				}
				if ty := types.take(); len(ty) != 1 || ty[0] != want {
					t.Errorf("answered as %v, want %s", ty, want)
				}

				// Without a token: JSON, no progress, whatever the setting.
				stop := &mcp.CallToolParams{Name: "pve_stop_qemu_vm", Arguments: map[string]any{"vmid": 102, "wait": 10}}
				if res, err := cs.CallTool(context.Background(), stop); err != nil || res.IsError {
					t.Fatalf("stop: %v %v", err, res)
				}
				time.Sleep(100 * time.Millisecond) // a stray notification would be here by now
				if got := progress.take(); len(got) != 0 {
					t.Errorf("%d progress notifications without a progress token", len(got))
				}
				if ty := types.take(); len(ty) != 1 || ty[0] != "application/json" {
					t.Errorf("call without a progress token answered as %v, want application/json", ty)
				}
			})
		}
	}
}

// Which answer a request gets, decided from its body and Accept header.
func TestWantsStream(t *testing.T) {
	call := func(meta string) string {
		return `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"pve_list_nodes","arguments":{}` + meta + `}}`
	}
	both := "application/json, text/event-stream"
	for _, c := range []struct {
		name, body, accept string
		want               bool
	}{
		{"string token", call(`,"_meta":{"progressToken":"t1"}`), both, true},
		{"number token", call(`,"_meta":{"progressToken":7}`), both, true},
		{"escaped member names", call(`,"_\u006deta":{"progress\u0054oken":"t"}`), both, true},
		{"Accept with parameters", call(`,"_meta":{"progressToken":"t"}`), "application/json;q=0.9, text/event-stream;q=1", true},
		{"Accept */*", call(`,"_meta":{"progressToken":"t"}`), "*/*", true},
		{"no token", call(""), both, false},
		{"null token", call(`,"_meta":{"progressToken":null}`), both, false},
		{"object token", call(`,"_meta":{"progressToken":{"a":1}}`), both, false},
		{"token outside _meta", call(`,"progressToken":"t"`), both, false},
		{"token in the arguments", `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x","arguments":{"_meta":{"progressToken":"t"}}}}`, both, false},
		{"_meta not under params", `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{},"x":{"_meta":{"progressToken":"t"}}}`, both, false},
		{"other case", call(`,"_Meta":{"ProgressToken":"t"}`), both, false},
		{"not a tool call", `{"jsonrpc":"2.0","id":1,"method":"resources/read","params":{"uri":"x","_meta":{"progressToken":"t"}}}`, both, false},
		{"method by other case", `{"jsonrpc":"2.0","id":1,"Method":"tools/call","params":{"_meta":{"progressToken":"t"}}}`, both, false},
		{"batch", "[" + call(`,"_meta":{"progressToken":"t"}`) + "]", both, false},
		{"params as an array", `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":[{"_meta":{"progressToken":"t"}}]}`, both, false},
		{"JSON only", call(`,"_meta":{"progressToken":"t"}`), "application/json", false},
	} {
		facts, fe := scanFrame([]byte(c.body))
		if fe != nil {
			t.Fatalf("%s: refused: %v", c.name, fe)
		}
		r, _ := http.NewRequest(http.MethodPost, "/mcp", nil)
		r.Header.Set("Accept", c.accept)
		r = r.WithContext(withFrameFacts(r.Context(), facts))
		if got := wantsStream(r); got != c.want {
			t.Errorf("%s: wantsStream = %v (facts %+v), want %v", c.name, got, facts, c.want)
		}
	}
	// A request the framing check did not see is answered JSON.
	r, _ := http.NewRequest(http.MethodPost, "/mcp", nil)
	r.Header.Set("Accept", both)
	if wantsStream(r) {
		t.Error("a request without frame facts streams")
	}
}

// A streamed call and a JSON one leave the same audit line: same caller,
// tier, tool, arguments, Proxmox calls and outcome.
func TestStreamedCallAudit(t *testing.T) {
	body := rpcBody(1, "tools/call", map[string]any{"name": "pve_list_nodes", "arguments": map[string]any{}, "_meta": map[string]any{"progressToken": "p"}})
	var lines []map[string]any
	for _, stream := range []string{"true", "false"} {
		e := newSecEnv(t, map[string]string{"MCP_AUTH_TOKENS": allTokens, "PVE_HTTP_STREAM": stream})
		resp, answer := e.raw(tokOperator, body)
		wantType := map[string]string{"true": "text/event-stream", "false": "application/json"}[stream]
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), wantType) || !strings.Contains(answer, `"pve1"`) {
			t.Fatalf("PVE_HTTP_STREAM=%s: HTTP %d %s: %s", stream, resp.StatusCode, resp.Header.Get("Content-Type"), answer)
		}
		audit := e.logs.auditLines(t)
		if len(audit) != 1 {
			t.Fatalf("PVE_HTTP_STREAM=%s: %d audit lines", stream, len(audit))
		}
		for _, k := range []string{"time", "request_id", "duration_ms"} {
			if audit[0][k] == nil {
				t.Errorf("audit line has no %s: %v", k, audit[0])
			}
			delete(audit[0], k)
		}
		lines = append(lines, audit[0])
		// The go-sdk's session lines (Info) are not logged; ours are.
		for _, l := range e.logs.lines(t) {
			if m := l["msg"]; m != "HTTP authentication" && m != "tool call" {
				t.Errorf("PVE_HTTP_STREAM=%s: log line %v", stream, l)
			}
		}
	}
	a, _ := json.Marshal(lines[0])
	b, _ := json.Marshal(lines[1])
	if string(a) != string(b) {
		t.Errorf("streamed call's audit line differs from the JSON one's:\n%s\n%s", a, b)
	}
}

// A client that closes the HTTP connection while wait follows a task stops
// the waiting at once, says so in the log, and leaves the task running:
// over a streamed answer and over a JSON one.
func TestClosedConnectionStopsWait(t *testing.T) {
	params := func(meta map[string]any) map[string]any {
		p := map[string]any{"name": "pve_start_qemu_vm", "arguments": map[string]any{"vmid": 102, "wait": 60}}
		if meta != nil {
			p["_meta"] = meta
		}
		return p
	}
	// raw posts one call and reads its answer.
	raw := func(meta map[string]any) func(context.Context, *secEnv) error {
		return func(ctx context.Context, e *secEnv) error {
			resp, err := http.DefaultClient.Do(mcpPost(ctx, e.srv.URL+"/mcp", rpcBody(1, "tools/call", params(meta))))
			if err != nil {
				return err
			}
			defer resp.Body.Close()
			_, err = io.ReadAll(resp.Body)
			return err
		}
	}
	for _, c := range []struct {
		name string
		call func(context.Context, *secEnv) error
	}{
		{"streamed", raw(map[string]any{"progressToken": "p"})},
		{"json", raw(nil)},
		// The go-sdk client cancels a call by ending its HTTP request.
		{"go-sdk client, latest protocol", func(ctx context.Context, e *secEnv) error {
			client := mcp.NewClient(&mcp.Implementation{Name: "handler-test", Version: "1"}, nil)
			cs, err := client.Connect(context.Background(), &mcp.StreamableClientTransport{Endpoint: e.srv.URL + "/mcp", DisableStandaloneSSE: true, MaxRetries: -1}, nil)
			if err != nil {
				return err
			}
			defer cs.Close()
			p := &mcp.CallToolParams{Name: "pve_start_qemu_vm", Arguments: map[string]any{"vmid": 102, "wait": 60}}
			p.SetProgressToken("p")
			_, err = cs.CallTool(ctx, p)
			return err
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newSecEnv(t, map[string]string{"SIM_TASK_DURATION": "4s"})
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			// Nothing is written before the task's log has a line (the
			// simulated one logs at its end), so the client gives up
			// while its request is still waiting for an answer.
			answered := make(chan error, 1)
			go func() { answered <- c.call(ctx, e) }()
			time.Sleep(500 * time.Millisecond) // the wait is under way
			closed := time.Now()
			cancel()
			if err := <-answered; err == nil {
				t.Fatal("answered before the client left: the task was too short")
			}

			var stopped map[string]any
			for deadline := time.Now().Add(3 * time.Second); stopped == nil && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
				for _, l := range e.logs.lines(t) {
					if strings.HasPrefix(l["msg"].(string), "stopped waiting for a task") {
						stopped = l
					}
				}
			}
			if stopped == nil {
				t.Fatalf("no log line says the wait stopped; log:\n%s", e.logs.String())
			}
			if d := time.Since(closed); d > 2500*time.Millisecond {
				t.Errorf("the wait stopped %v after the connection closed", d)
			}
			if stopped["cause"] != errClientGone.Error() {
				t.Errorf("cause %v, want %q", stopped["cause"], errClientGone)
			}
			upid, _ := stopped["upid"].(string)
			res, err := e.call("", "pve_get_task_status", map[string]any{"upid": upid})
			if err != nil || res.IsError || !strings.Contains(res.text(), `"status":"running"`) {
				t.Errorf("the task should still run after the client left: %v %s", err, res.text())
			}
			// The call still leaves its audit line.
			var calls []string
			for _, l := range e.logs.auditLines(t) {
				calls = append(calls, l["tool"].(string))
			}
			if len(calls) != 2 || calls[0] != "pve_start_qemu_vm" {
				t.Errorf("audit lines for %v, want the start then the status", calls)
			}
		})
	}
}

// Each event of a streamed answer leaves as it is sent, through the
// middleware's response writers (the authenticator's wraps it): a
// notification sent 400 ms before the result arrives 400 ms before it.
func TestStreamFlushesEachEvent(t *testing.T) {
	srv := mcp.NewServer(&mcp.Implementation{Name: "flush-test", Version: "1"}, nil)
	type in struct{}
	mcp.AddTool(srv, &mcp.Tool{Name: "slow"}, func(ctx context.Context, req *mcp.CallToolRequest, _ in) (*mcp.CallToolResult, any, error) {
		req.Session.NotifyProgress(ctx, &mcp.ProgressNotificationParams{ProgressToken: req.Params.GetProgressToken(), Message: "first", Progress: 1})
		time.Sleep(400 * time.Millisecond)
		return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "done"}}}, nil, nil
	})
	var h http.Handler = newMCPHandler(func(*http.Request) *mcp.Server { return srv }, mcp.StreamableHTTPOptions{Stateless: true}, true)
	h = limitBody(MaxBodyBytes, h)
	inner := h
	h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		inner.ServeHTTP(&challengeWriter{ResponseWriter: w, a: &authenticator{}}, r)
	})
	ts := httptest.NewServer(withRequestID(withDeadline(0, originCheck(nil, h))))
	defer ts.Close()

	body := rpcBody(1, "tools/call", map[string]any{"name": "slow", "arguments": map[string]any{}, "_meta": map[string]any{"progressToken": "f"}})
	resp, err := http.DefaultClient.Do(mcpPost(context.Background(), ts.URL, body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("Content-Type %q", ct)
	}
	var progressAt, resultAt time.Time
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		switch line := sc.Text(); {
		case strings.Contains(line, "notifications/progress"):
			progressAt = time.Now()
		case strings.Contains(line, `"result"`):
			resultAt = time.Now()
		}
	}
	if progressAt.IsZero() || resultAt.IsZero() {
		t.Fatalf("progress at %v, result at %v", progressAt, resultAt)
	}
	if gap := resultAt.Sub(progressAt); gap < 300*time.Millisecond {
		t.Errorf("the progress event arrived %v before the result: it was held back, not streamed", gap)
	}
}
