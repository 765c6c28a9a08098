package handler_test

// Hostile-input figures (issue 12): what one request, or many, can make an
// instance spend and make Proxmox carry. No timing is asserted; run
//
//	go test -run '^$' -bench Hostile -benchtime 1x ./handler
//
// and read the metrics: ms/op per hostile request, rss-growth-MB (largest
// resident set while it ran, minus before), peak-pve-conns (most requests
// in flight at the Proxmox stand-in, which answers /nodes after 20 ms).

import (
	"bufio"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// slowPVE is a Proxmox stand-in answering GET /nodes after delay; peak is
// the most requests it ever had in flight.
type slowPVE struct {
	srv       *httptest.Server
	now, peak atomic.Int32
	total     atomic.Int32
}

func newSlowPVE(b *testing.B, delay time.Duration) *slowPVE {
	p := &slowPVE{}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := p.now.Add(1)
		defer p.now.Add(-1)
		p.total.Add(1)
		for old := p.peak.Load(); n > old && !p.peak.CompareAndSwap(old, n); old = p.peak.Load() {
		}
		time.Sleep(delay)
		w.Header().Set("Content-Type", "application/json;charset=UTF-8")
		io.WriteString(w, benchNodes)
	}))
	b.Cleanup(p.srv.Close)
	return p
}

// hostileHandler is the handler in mode all: the hostile calls name
// pve_list_nodes directly, so they reach the Proxmox stand-in.
func hostileHandler(b *testing.B, pveURL string) http.Handler { return handlerFor(b, pveURL, "all") }

// batchOf is a batch of n copies of item, each with its own id.
func batchOf(n int, item string) string {
	items := make([]string, n)
	for i := range items {
		items[i] = strings.Replace(item, `"id":1`, `"id":`+strconv.Itoa(i+1), 1)
	}
	return "[" + strings.Join(items, ",") + "]"
}

// rssKB is the resident set of this process (Linux; 0 elsewhere).
func rssKB() int {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if rest, ok := strings.CutPrefix(s.Text(), "VmRSS:"); ok {
			n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
			return n
		}
	}
	return 0
}

// peakRSS samples the resident set every millisecond until stop is called.
func peakRSS() (stop func() int) {
	var peak atomic.Int64
	peak.Store(int64(rssKB()))
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-done:
				return
			case <-time.After(time.Millisecond):
				if r := int64(rssKB()); r > peak.Load() {
					peak.Store(r)
				}
			}
		}
	}()
	return func() int {
		close(done)
		wg.Wait()
		return int(peak.Load())
	}
}

func post(h http.Handler, body, version string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "/mcp", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	if version != "" {
		req.Header.Set("Mcp-Protocol-Version", version)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// BenchmarkHostileBatch: one request holding a 2,000-item tools/list batch
// (2025-03-26, which allows batches).
func BenchmarkHostileBatch(b *testing.B) {
	p := newSlowPVE(b, 20*time.Millisecond)
	h := hostileHandler(b, p.srv.URL)
	body := batchOf(2000, `{"jsonrpc":"2.0","id":1,"method":"tools/list"}`)
	post(h, `{"jsonrpc":"2.0","id":1,"method":"tools/list"}`, "2025-03-26") // warm up
	before := rssKB()
	stop := peakRSS()
	var status, size int
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rec := post(h, body, "2025-03-26")
		status, size = rec.Code, rec.Body.Len()
	}
	b.StopTimer()
	b.ReportMetric(float64(stop()-before)/1024, "rss-growth-MB")
	b.ReportMetric(float64(status), "http-status")
	b.ReportMetric(float64(size)/1024, "answer-KB")
}

// BenchmarkHostileFanoutOneRequest: one request holding 1,000 pve_list_nodes
// calls, each a Proxmox request.
func BenchmarkHostileFanoutOneRequest(b *testing.B) {
	p := newSlowPVE(b, 20*time.Millisecond)
	h := hostileHandler(b, p.srv.URL)
	body := batchOf(1000, `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"pve_list_nodes","arguments":{}}}`)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		post(h, body, "2025-03-26")
	}
	b.StopTimer()
	b.ReportMetric(float64(p.peak.Load()), "peak-pve-conns")
	b.ReportMetric(float64(p.total.Load())/float64(b.N), "pve-requests/op")
}

// BenchmarkHostileFanoutAcross: 1,000 pve_list_nodes calls as 100 requests
// of 10 arriving at once.
func BenchmarkHostileFanoutAcross(b *testing.B) {
	p := newSlowPVE(b, 20*time.Millisecond)
	h := hostileHandler(b, p.srv.URL)
	body := batchOf(10, `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"pve_list_nodes","arguments":{}}}`)
	var failed atomic.Int32
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var wg sync.WaitGroup
		for range 100 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if rec := post(h, body, "2025-03-26"); rec.Code != http.StatusOK || strings.Contains(rec.Body.String(), `"isError":true`) {
					failed.Add(1)
				}
			}()
		}
		wg.Wait()
	}
	b.StopTimer()
	b.ReportMetric(float64(p.peak.Load()), "peak-pve-conns")
	b.ReportMetric(float64(p.total.Load())/float64(b.N), "pve-requests/op")
	b.ReportMetric(float64(failed.Load())/float64(b.N), "failed-requests/op")
}

// BenchmarkHostileLargeAnswers: 8 concurrent pve_list_nodes calls whose
// Proxmox answer is 15 MiB each (under the 16 MiB cap), as a huge cluster
// or a hostile Proxmox could send; rss-growth-MB is the peak it cost.
func BenchmarkHostileLargeAnswers(b *testing.B) {
	var big strings.Builder
	big.WriteString(`{"data":[`)
	item := `{"node":"pve1","status":"online","cpu":0.03,"maxcpu":16,"mem":1,"maxmem":2,"uptime":1,"id":"node/pve1","type":"node","ssl_fingerprint":"` + strings.Repeat("AB:", 120) + `"},`
	for big.Len() < 15<<20 {
		big.WriteString(item)
	}
	body := strings.TrimSuffix(big.String(), ",") + "]}"
	pveSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json;charset=UTF-8")
		io.WriteString(w, body)
	}))
	b.Cleanup(pveSrv.Close)
	h := hostileHandler(b, pveSrv.URL)
	call := `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"pve_list_nodes","arguments":{}}}`
	before := rssKB()
	stop := peakRSS()
	var failed atomic.Int32
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var wg sync.WaitGroup
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if rec := post(h, call, "2025-06-18"); rec.Code != http.StatusOK || strings.Contains(rec.Body.String(), `"isError":true`) {
					failed.Add(1)
				}
			}()
		}
		wg.Wait()
	}
	b.StopTimer()
	b.ReportMetric(float64(stop()-before)/1024, "rss-growth-MB")
	b.ReportMetric(float64(failed.Load())/float64(b.N), "failed-calls/op")
}
