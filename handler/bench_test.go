package handler_test

// Per-call overhead of the HTTP handler: a tools/call of pve_list_nodes
// through handler.New (request id, deadline, Origin check, body limits, the
// stateless go-sdk server, the tool, the audit line) against a Proxmox
// stand-in that answers /nodes at once with canned JSON, so what is measured
// is pve-mcp and the go-sdk, not Proxmox. Besides ns/op, B/op and allocs/op
// (-benchmem), each benchmark reports the p50 and p99 of the individual
// calls in µs. No timing is asserted anywhere: bench/run.sh prints the
// figures next to the targets.
//
//	go test -run '^$' -bench ToolsCall -benchmem ./handler

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pve-mcp/pve-mcp/config"
	"github.com/pve-mcp/pve-mcp/handler"
)

// benchNodes is what a three-node cluster answers to GET /nodes.
const benchNodes = `{"data":[` +
	`{"node":"pve1","status":"online","cpu":0.0312,"maxcpu":16,"mem":12884901888,"maxmem":68719476736,"disk":9663676416,"maxdisk":100861726720,"uptime":1209600,"level":"","id":"node/pve1","type":"node","ssl_fingerprint":"AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99"},` +
	`{"node":"pve2","status":"online","cpu":0.1204,"maxcpu":16,"mem":30064771072,"maxmem":68719476736,"disk":12884901888,"maxdisk":100861726720,"uptime":1209500,"level":"","id":"node/pve2","type":"node","ssl_fingerprint":"11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00"},` +
	`{"node":"pve3","status":"offline","id":"node/pve3","type":"node"}]}`

// benchCall is the JSON-RPC request every iteration sends.
const benchCall = `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"pve_list_nodes","arguments":{}}}`

// benchHandler returns handler.New in front of the instant Proxmox stand-in,
// configured the way the runners configure it (config.FromEnv), logging its
// audit lines as JSON to nowhere (the formatting is part of the cost).
func benchHandler(b *testing.B) http.Handler { return benchHandlerIn(b, "all") }

// benchHandlerIn is benchHandler with PVE_TOOL_MODE set to mode. The call
// benchmarks use all, so pve_list_nodes is called by its own name.
func benchHandlerIn(b *testing.B, mode string) http.Handler {
	b.Helper()
	pve := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || r.URL.Path != "/api2/json/nodes" {
			http.Error(w, `{"data":null,"message":"no such path"}`, http.StatusNotImplemented)
			return
		}
		w.Header().Set("Content-Type", "application/json;charset=UTF-8")
		io.WriteString(w, benchNodes)
	}))
	b.Cleanup(pve.Close)
	return handlerFor(b, pve.URL, mode)
}

// handlerFor is handler.New in front of the Proxmox at pveURL, configured
// the way the runners configure it, in tool mode mode.
func handlerFor(b *testing.B, pveURL, mode string) http.Handler {
	b.Helper()
	vars := map[string]string{
		"PVE_BASE_URL":     pveURL,
		"PVE_TOKEN_ID":     "mcp@pve!bench",
		"PVE_TOKEN_SECRET": "00000000-bench-4000-8000-000000000000",
		"PVE_TOOL_MODE":    mode,
	}
	cfg, err := config.FromEnv(func(k string) string { return vars[k] }, false)
	if err != nil {
		b.Fatal(err)
	}
	h, err := handler.New(cfg, slog.New(slog.NewJSONHandler(io.Discard, nil)))
	if err != nil {
		b.Fatal(err)
	}
	return h
}

// benchCheck fails the benchmark unless body is a successful result that
// lists the stand-in's nodes: a benchmark of error answers measures nothing.
func benchCheck(b *testing.B, status int, body []byte) {
	b.Helper()
	var r struct {
		Result *struct {
			IsError bool `json:"isError"`
			Content []struct {
				Text string `json:"text"`
			} `json:"content"`
		} `json:"result"`
	}
	if status != http.StatusOK || json.Unmarshal(body, &r) != nil || r.Result == nil || r.Result.IsError ||
		len(r.Result.Content) == 0 || !strings.Contains(r.Result.Content[0].Text, "pve2") {
		b.Fatalf("tools/call pve_list_nodes: HTTP %d: %.400s", status, body)
	}
}

// benchRequest is one POST /mcp as a Streamable HTTP client sends it.
func benchRequest(url string) *http.Request {
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(benchCall))
	if err != nil {
		panic(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("Mcp-Protocol-Version", "2025-06-18")
	return req
}

// reportPercentiles adds the p50 and p99 of the per-call durations.
func reportPercentiles(b *testing.B, d []time.Duration) {
	if len(d) == 0 {
		return
	}
	slices.Sort(d)
	at := func(q float64) float64 {
		return float64(d[min(len(d)-1, int(q*float64(len(d))))].Nanoseconds()) / 1e3
	}
	b.ReportMetric(at(0.50), "p50-µs")
	b.ReportMetric(at(0.99), "p99-µs")
}

// BenchmarkToolsCall is the handler alone: ServeHTTP on an in-memory
// request and recorder, so no client or socket on the MCP side.
func BenchmarkToolsCall(b *testing.B) {
	h := benchHandler(b)
	// One call outside the timer: connection to the stand-in, lazy init.
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, benchRequest("http://127.0.0.1/mcp"))
	benchCheck(b, rec.Code, rec.Body.Bytes())

	durations := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		req := benchRequest("http://127.0.0.1/mcp")
		rec = httptest.NewRecorder()
		start := time.Now()
		h.ServeHTTP(rec, req)
		durations = append(durations, time.Since(start))
		if rec.Code != http.StatusOK {
			b.Fatalf("HTTP %d: %s", rec.Code, rec.Body.String())
		}
	}
	b.StopTimer()
	benchCheck(b, rec.Code, rec.Body.Bytes()) // the last answer
	reportPercentiles(b, durations)
}

// BenchmarkToolsList is one tools/list through the handler at tier full, in
// each tool mode: the cost every connecting agent's first request has.
func BenchmarkToolsList(b *testing.B) {
	const list = `{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{}}`
	for _, mode := range []string{"all", "compact"} {
		b.Run(mode, func(b *testing.B) {
			h := benchHandlerIn(b, mode)
			newReq := func() *http.Request {
				req := httptest.NewRequest(http.MethodPost, "/mcp", strings.NewReader(list))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Accept", "application/json, text/event-stream")
				req.Header.Set("Mcp-Protocol-Version", "2025-06-18")
				return req
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, newReq())
			if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"pve_find_guests"`) {
				b.Fatalf("tools/list: HTTP %d: %.300s", rec.Code, rec.Body)
			}
			b.ReportMetric(float64(rec.Body.Len()), "bytes")
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				rec = httptest.NewRecorder()
				h.ServeHTTP(rec, newReq())
			}
		})
	}
}

// BenchmarkToolsCallLoopback is what a client on the same host sees: the
// handler behind a real HTTP server, called over loopback with keep-alive.
// Its allocations include the HTTP client's and server's.
func BenchmarkToolsCallLoopback(b *testing.B) {
	srv := httptest.NewServer(benchHandler(b))
	b.Cleanup(srv.Close)
	client := srv.Client()
	do := func() (int, []byte) {
		resp, err := client.Do(benchRequest(srv.URL + "/mcp"))
		if err != nil {
			b.Fatal(err)
		}
		defer resp.Body.Close()
		var buf bytes.Buffer
		if _, err := buf.ReadFrom(resp.Body); err != nil {
			b.Fatal(err)
		}
		return resp.StatusCode, buf.Bytes()
	}
	status, body := do()
	benchCheck(b, status, body)

	durations := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		status, body = do()
		durations = append(durations, time.Since(start))
		if status != http.StatusOK {
			b.Fatalf("HTTP %d: %s", status, body)
		}
	}
	b.StopTimer()
	benchCheck(b, status, body) // the last answer
	reportPercentiles(b, durations)
}
