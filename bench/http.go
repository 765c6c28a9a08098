package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// perCall runs the handler benchmarks (handler/bench_test.go) and reads
// their ns/op, B/op, allocs/op and p50/p99.
func perCall(r *report) error {
	cmd := exec.Command("go", "test", "-run", "^$", "-bench", "^BenchmarkToolsCall", "-benchmem", "-benchtime", "3s", "-count", "1", "./handler")
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go test -bench: %w\n%s", err, out.String())
	}
	results := map[string]map[string]float64{}
	for _, line := range strings.Split(out.String(), "\n") {
		f := strings.Fields(line)
		if len(f) < 4 || !strings.HasPrefix(f[0], "BenchmarkToolsCall") {
			continue
		}
		name := strings.TrimPrefix(f[0], "Benchmark")
		if i := strings.LastIndexByte(name, '-'); i > 0 {
			name = name[:i]
		}
		m := map[string]float64{}
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err == nil {
				m[f[i+1]] = v
			}
		}
		results[name] = m
		r.note("%s", strings.Join(f, " "))
	}
	m, ok := results["ToolsCall"]
	if !ok {
		return fmt.Errorf("no BenchmarkToolsCall result in:\n%s", out.String())
	}
	r.figure("p50_us", m["p50-µs"], "µs", "< 300 µs", m["p50-µs"] < 300)
	r.figure("p99_us", m["p99-µs"], "µs", "< 2000 µs", m["p99-µs"] < 2000)
	r.figure("ns_per_call", m["ns/op"], "ns", "", true)
	r.figure("bytes_per_call", m["B/op"], "B", "", true)
	r.figure("allocs_per_call", m["allocs/op"], "allocs", "", true)
	if l, ok := results["ToolsCallLoopback"]; ok {
		r.figure("loopback_p50_us", l["p50-µs"], "µs", "", true)
		r.figure("loopback_p99_us", l["p99-µs"], "µs", "", true)
	}
	return nil
}

// callBody is the request every throughput worker sends.
const callBody = `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"pve_list_nodes","arguments":{}}}`

// throughput drives cmd/server -demo (stateless Streamable HTTP) at
// concurrency 1, 8 and 64 for o.duration each.
func throughput(r *report, bins *binaries, o options) error {
	bin, err := bins.get("./cmd/server")
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "-demo", "-addr", "127.0.0.1:0")
	// Mode all: the calls name pve_list_nodes directly (per-call cost, not search).
	cmd.Env = append(os.Environ(), "PORT=", "PVE_TOOL_MODE=all")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	defer func() {
		cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	}()
	addr, err := listenAddr(stderr)
	if err != nil {
		return err
	}
	url := "http://" + addr + "/mcp"

	total := 0
	for _, c := range []int{1, 8, 64} {
		res := load(url, c, o.duration)
		total += res.errors
		r.note("concurrency %2d: %d calls in %s, %d errors, p50 %.0f µs, p99 %.0f µs%s", c, res.ok+res.errors, o.duration,
			res.errors, res.p50, res.p99, res.firstErr)
		target, ok := "", true
		if c == 8 {
			target, ok = ">= 3000/s", res.rps >= 3000
		}
		r.figure(fmt.Sprintf("rps_c%d", c), res.rps, "req/s", target, ok)
	}
	r.figure("http_errors", float64(total), "", "0", total == 0)
	return nil
}

// listenAddr reads the server's JSON log lines until it says where it
// listens, then keeps draining them.
func listenAddr(stderr io.Reader) (string, error) {
	found := make(chan string, 1)
	var lines []string
	var mu sync.Mutex
	go func() {
		s := bufio.NewScanner(stderr)
		for s.Scan() {
			var m struct {
				Message string `json:"message"`
				Addr    string `json:"addr"`
			}
			if json.Unmarshal(s.Bytes(), &m) == nil && m.Addr != "" && strings.Contains(m.Message, "serving") {
				select {
				case found <- m.Addr:
				default:
				}
			}
			mu.Lock()
			lines = append(lines, s.Text())
			mu.Unlock()
		}
	}()
	select {
	case a := <-found:
		return a, nil
	case <-time.After(20 * time.Second):
		mu.Lock()
		defer mu.Unlock()
		return "", fmt.Errorf("cmd/server did not report its address: %s", strings.Join(lines, " | "))
	}
}

type loadResult struct {
	ok, errors int
	rps        float64
	p50, p99   float64 // µs
	firstErr   string
}

// load sends callBody from c workers for d, each on its own keep-alive
// connection. An answer counts as an error unless it is HTTP 200 with a
// JSON-RPC result that is not a tool error.
func load(url string, c int, d time.Duration) loadResult {
	tr := &http.Transport{MaxIdleConnsPerHost: c, MaxConnsPerHost: c, IdleConnTimeout: time.Minute}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	var ok, bad atomic.Int64
	var firstErr atomic.Value
	lat := make([][]time.Duration, c)
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < c; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for time.Now().Before(deadline) {
				t0 := time.Now()
				err := post(client, url)
				lat[w] = append(lat[w], time.Since(t0))
				if err != nil {
					bad.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
					continue
				}
				ok.Add(1)
			}
		}(w)
	}
	wg.Wait()
	elapsed := time.Since(start)
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	res := loadResult{ok: int(ok.Load()), errors: int(bad.Load())}
	res.rps = float64(res.ok) / elapsed.Seconds()
	if n := len(all); n > 0 {
		res.p50 = float64(all[n/2].Nanoseconds()) / 1e3
		res.p99 = float64(all[min(n-1, n*99/100)].Nanoseconds()) / 1e3
	}
	if e, _ := firstErr.Load().(string); e != "" {
		res.firstErr = " (first error: " + e + ")"
	}
	return res
}

var toolError = regexp.MustCompile(`"isError"\s*:\s*true`)

func post(client *http.Client, url string) error {
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(callBody))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("Mcp-Protocol-Version", "2025-06-18")
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("HTTP %d: %.200s", resp.StatusCode, body)
	}
	if !bytes.Contains(body, []byte(`"result"`)) || toolError.Match(body) {
		return errors.New("not a successful result: " + string(body[:min(len(body), 200)]))
	}
	return nil
}
