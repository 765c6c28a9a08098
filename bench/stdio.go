package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// stdioServer is cmd/local -demo with a line-oriented JSON-RPC client.
type stdioServer struct {
	cmd    *exec.Cmd
	in     io.WriteCloser
	out    *bufio.Reader
	stderr *lineLog
	nextID int
}

// lineLog keeps the server's stderr lines (the gctrace lines among them).
type lineLog struct {
	mu    sync.Mutex
	lines []string
	done  chan struct{}
}

func (l *lineLog) read(r io.Reader) {
	defer close(l.done)
	s := bufio.NewScanner(r)
	s.Buffer(make([]byte, 64<<10), 1<<20)
	for s.Scan() {
		l.mu.Lock()
		l.lines = append(l.lines, s.Text())
		l.mu.Unlock()
	}
}

func (l *lineLog) snapshot() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.lines...)
}

// startStdio starts bin -demo with extra environment variables.
func startStdio(bin string, env ...string) (*stdioServer, error) {
	return startCommand(exec.Command(bin, "-demo"), env...)
}

// startCommand starts cmd (a stdio server, possibly under a wrapper such
// as valgrind) with extra environment variables.
func startCommand(cmd *exec.Cmd, env ...string) (*stdioServer, error) {
	cmd.Env = append(os.Environ(), env...)
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	errPipe, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	s := &stdioServer{cmd: cmd, in: in, out: bufio.NewReaderSize(out, 256<<10), stderr: &lineLog{done: make(chan struct{})}}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	go s.stderr.read(errPipe)
	return s, nil
}

// send writes one JSON-RPC message; a request (id != 0) waits for and
// returns its answer line.
func (s *stdioServer) send(method string, params any, request bool) ([]byte, error) {
	msg := map[string]any{"jsonrpc": "2.0", "method": method}
	if params != nil {
		msg["params"] = params
	}
	id := 0
	if request {
		s.nextID++
		id = s.nextID
		msg["id"] = id
	}
	b, err := json.Marshal(msg)
	if err != nil {
		return nil, err
	}
	if _, err := s.in.Write(append(b, '\n')); err != nil {
		return nil, err
	}
	if !request {
		return nil, nil
	}
	for {
		line, err := s.out.ReadBytes('\n')
		if err != nil {
			return nil, fmt.Errorf("%s: reading the answer: %w (stderr: %s)", method, err, strings.Join(s.stderr.snapshot(), " | "))
		}
		var r struct {
			ID    *int            `json:"id"`
			Error json.RawMessage `json:"error"`
		}
		if json.Unmarshal(line, &r) != nil || r.ID == nil || *r.ID != id {
			continue // a notification or log message
		}
		if len(r.Error) > 0 {
			return nil, fmt.Errorf("%s: %s", method, r.Error)
		}
		return bytes.TrimRight(line, "\n"), nil
	}
}

// initialize performs the handshake a desktop client does.
func (s *stdioServer) initialize() error {
	_, err := s.send("initialize", map[string]any{
		"protocolVersion": "2025-06-18",
		"capabilities":    map[string]any{},
		"clientInfo":      map[string]any{"name": "pve-mcp-bench", "version": "1"},
	}, true)
	if err != nil {
		return err
	}
	_, err = s.send("notifications/initialized", nil, false)
	return err
}

// call is a tools/call that must succeed; it returns the answer line and
// the tool's text content.
func (s *stdioServer) call(name string, args map[string]any) (line []byte, text string, err error) {
	if args == nil {
		args = map[string]any{}
	}
	line, err = s.send("tools/call", map[string]any{"name": name, "arguments": args}, true)
	if err != nil {
		return nil, "", err
	}
	var r struct {
		Result struct {
			IsError bool `json:"isError"`
			Content []struct {
				Text string `json:"text"`
			} `json:"content"`
		} `json:"result"`
	}
	if err := json.Unmarshal(line, &r); err != nil {
		return nil, "", err
	}
	if len(r.Result.Content) > 0 {
		text = r.Result.Content[0].Text
	}
	if r.Result.IsError {
		return nil, "", fmt.Errorf("%s: tool error: %.300s", name, text)
	}
	return line, text, nil
}

// stop closes stdin (the server exits at EOF) and waits.
func (s *stdioServer) stop() { s.stopWithin(5 * time.Second) }

// stopWithin is stop with a longer grace for slow exits (valgrind).
func (s *stdioServer) stopWithin(grace time.Duration) {
	s.in.Close()
	done := make(chan struct{})
	go func() { s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(grace):
		s.cmd.Process.Kill()
		<-done
	}
}

// coldStart: process start of cmd/local -demo to the tools/list answer.
func coldStart(r *report, bins *binaries, o options) error {
	bin, err := bins.get("./cmd/local")
	if err != nil {
		return err
	}
	var d, inits []time.Duration
	var listBytes int
	for i := 0; i < o.runs+1; i++ {
		start := time.Now()
		s, err := startStdio(bin)
		if err != nil {
			return err
		}
		err = s.initialize()
		initialized := time.Since(start)
		var line []byte
		if err == nil {
			line, err = s.send("tools/list", map[string]any{}, true)
		}
		elapsed := time.Since(start)
		s.stop()
		if err != nil {
			return err
		}
		if i == 0 {
			continue // warms the page cache; not counted
		}
		d = append(d, elapsed)
		inits = append(inits, initialized)
		listBytes = len(line)
	}
	med := median(d)
	r.note("%d runs: min %.1f ms, median %.1f ms, max %.1f ms; of which start to initialize answer: median %.1f ms (tools/list answer %d bytes)",
		len(d), ms(d[0]), ms(med), ms(d[len(d)-1]), ms(median(inits)), listBytes)
	r.figure("cold_start_ms", ms(med), "ms", "< 30 ms", med < 30*time.Millisecond)
	return nil
}

// memory: RSS and live heap of the stdio server over two batches of calls.
// GODEBUG=gctrace=1 makes the runtime print, after every collection, the
// heap it kept ("A->B->C MB": C is the live heap), so no debug flag is needed
// in the server; /proc/<pid>/status gives VmRSS and VmHWM (peak).
func memory(r *report, bins *binaries, o options) error {
	bin, err := bins.get("./cmd/local")
	if err != nil {
		return err
	}
	s, err := startStdio(bin, "GODEBUG=gctrace=1", "PVE_TOOL_MODE=all")
	if err != nil {
		return err
	}
	defer s.stop()
	if err := s.initialize(); err != nil {
		return err
	}
	if _, err := s.send("tools/list", map[string]any{}, true); err != nil {
		return err
	}
	pid := s.cmd.Process.Pid
	rss0, _, err := procMem(pid)
	if err != nil {
		return err
	}
	// The calls alternate between the two list tools an agent uses most.
	batch := func() (live float64, gcs int, err error) {
		before := len(s.stderr.snapshot())
		for i := 0; i < o.calls; i++ {
			name := "pve_list_nodes"
			if i%2 == 1 {
				name = "pve_list_cluster_resources"
			}
			if _, _, err := s.call(name, nil); err != nil {
				return 0, 0, err
			}
		}
		// The gctrace line of a collection can trail the answer slightly.
		time.Sleep(50 * time.Millisecond)
		lines := s.stderr.snapshot()[before:]
		live, gcs = lastLiveHeap(lines)
		return live, gcs, nil
	}
	live1, gc1, err := batch()
	if err != nil {
		return err
	}
	rss1, _, err := procMem(pid)
	if err != nil {
		return err
	}
	live2, gc2, err := batch()
	if err != nil {
		return err
	}
	rss2, hwm, err := procMem(pid)
	if err != nil {
		return err
	}
	r.note("RSS after tools/list %.1f MiB; after %d calls %.1f MiB; after %d more %.1f MiB; peak (VmHWM) %.1f MiB",
		kib2mib(rss0), o.calls, kib2mib(rss1), o.calls, kib2mib(rss2), kib2mib(hwm))
	r.note("live heap after the last GC of each batch: %.2f MiB (%d GCs), %.2f MiB (%d GCs)", live1, gc1, live2, gc2)
	r.figure("rss_peak_mib", kib2mib(hwm), "MiB", "< 30 MiB", kib2mib(hwm) < 30)
	growth := float64(rss2 - rss1) // KiB over the second batch
	r.figure("rss_growth_kib_per_1k_calls", growth*1000/float64(o.calls), "KiB", "~0 (< 1024)", growth*1000/float64(o.calls) < 1024)
	if gc1 > 0 && gc2 > 0 {
		r.figure("heap_live_mib", live2, "MiB", "", true)
		// gctrace prints whole MiB, so ±1 is the resolution, not growth.
		r.figure("heap_growth_mib", live2-live1, "MiB", "0 (±1 resolution)", live2-live1 <= 1)
	} else {
		r.note("no collection ran during a batch: raise -calls to see the live heap")
	}
	return nil
}

// gctrace: "gc 12 @0.123s 1%: ... ms cpu, 4->4->1 MB, 5 MB goal, ..."
var gcLine = regexp.MustCompile(`^gc \d+ @.*?, (\d+)->(\d+)->(\d+) MB`)

// lastLiveHeap returns the live heap (MiB, whole units) after the last collection in
// lines and how many collections there were.
func lastLiveHeap(lines []string) (float64, int) {
	var live float64
	n := 0
	for _, l := range lines {
		m := gcLine.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		n++
		v, _ := strconv.ParseFloat(m[3], 64)
		live = v // the runtime prints heap>>20, i.e. MiB, in whole units
	}
	return live, n
}

// procMem reads VmRSS and VmHWM (KiB) of pid.
func procMem(pid int) (rss, hwm int64, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, fmt.Errorf("reading /proc (Linux only): %w", err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) < 2 {
			continue
		}
		v, _ := strconv.ParseInt(f[1], 10, 64)
		switch f[0] {
		case "VmRSS:":
			rss = v
		case "VmHWM:":
			hwm = v
		}
	}
	if rss == 0 || hwm == 0 {
		return 0, 0, errors.New("VmRSS/VmHWM not found in /proc/<pid>/status")
	}
	return rss, hwm, nil
}

func kib2mib(k int64) float64 { return float64(k) / 1024 }
