// Command bench measures pve-mcp against the performance targets of the
// project (cold start, per-call overhead, throughput, memory, context cost,
// binary size) and prints one line a script can read at the end:
//
//	BENCH cold_start_ms=… lambda_init_ms=… p50_us=… … misses=N
//
// Everything runs on loopback against the simulated cluster (-demo) or, for
// the per-call benchmark, an instant Proxmox stand-in; nothing leaves the
// machine. The targets are printed next to the figures; a missed target is
// reported, not fatal, unless -strict is given. Run it as `bash bench/run.sh`
// or `go run ./bench` from the repository root.
//
//	go run ./bench                           # everything
//	go run ./bench -only cold,size           # some parts
//	go run ./bench -duration 2s -runs 5      # quicker, noisier
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// parts in the order they run.
var parts = []string{"cold", "instructions", "lambda", "call", "throughput", "memory", "context", "size"}

type options struct {
	runs     int           // cold start runs
	duration time.Duration // throughput time per concurrency level
	calls    int           // calls per memory batch
	lambdaN  int           // Lambda init runs
	arch     string        // GOARCH of the size figure
	strict   bool
	only     map[string]bool
}

func main() {
	var o options
	only := flag.String("only", "", "comma list of parts to run: "+strings.Join(parts, ","))
	flag.IntVar(&o.runs, "runs", 15, "cold start runs (median reported)")
	flag.IntVar(&o.lambdaN, "lambda-runs", 5, "Lambda cold starts under the runtime interface emulator")
	flag.DurationVar(&o.duration, "duration", 10*time.Second, "throughput run per concurrency level")
	flag.IntVar(&o.calls, "calls", 1000, "tools/call per memory batch")
	flag.StringVar(&o.arch, "arch", "arm64", "GOARCH of the bootstrap whose size is reported")
	flag.BoolVar(&o.strict, "strict", false, "exit 1 when a target is missed")
	flag.Parse()
	if *only != "" {
		o.only = map[string]bool{}
		for _, p := range strings.Split(*only, ",") {
			p = strings.TrimSpace(p)
			if !contains(parts, p) {
				fatalf("-only: unknown part %q (have %s)", p, strings.Join(parts, ","))
			}
			o.only[p] = true
		}
	}
	if _, err := os.Stat("go.mod"); err != nil {
		fatalf("run from the repository root (go.mod not found)")
	}
	work, err := os.MkdirTemp("", "pve-mcp-bench-")
	if err != nil {
		fatalf("%v", err)
	}
	defer os.RemoveAll(work)

	r := &report{}
	bins := &binaries{dir: work}
	run := func(part string, f func() error) {
		if o.only != nil && !o.only[part] {
			return
		}
		fmt.Printf("\n== %s\n", part)
		if err := f(); err != nil {
			r.failed = append(r.failed, part)
			fmt.Printf("   %s: FAILED: %v\n", part, err)
		}
	}
	run("cold", func() error { return coldStart(r, bins, o) })
	run("instructions", func() error { return startupInstructions(r, bins) })
	run("lambda", func() error { return lambdaInit(r, bins, o) })
	run("call", func() error { return perCall(r) })
	run("throughput", func() error { return throughput(r, bins, o) })
	run("memory", func() error { return memory(r, bins, o) })
	run("context", func() error { return contextCost(r, bins) })
	run("size", func() error { return size(r, work, o) })

	r.print()
	if len(r.failed) > 0 || (o.strict && r.misses > 0) {
		os.Exit(1)
	}
}

// binaries builds each runner once, as a release would (-trimpath).
type binaries struct {
	dir   string
	built map[string]string
}

func (b *binaries) get(pkg string, env ...string) (string, error) {
	if p, ok := b.built[pkg]; ok {
		return p, nil
	}
	out := filepath.Join(b.dir, filepath.Base(pkg))
	cmd := exec.Command("go", "build", "-trimpath", "-o", out, pkg)
	cmd.Env = append(append(os.Environ(), "CGO_ENABLED=0"), env...)
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go build %s: %w", pkg, err)
	}
	if b.built == nil {
		b.built = map[string]string{}
	}
	b.built[pkg] = out
	return out, nil
}

// report collects the figures, their targets and the summary line.
type report struct {
	summary []string // key=value
	rows    []string
	misses  int
	failed  []string
}

// figure records one measured value; target describes the goal ("" = none)
// and ok says whether it is met.
func (r *report) figure(key string, value float64, unit, target string, ok bool) {
	r.summary = append(r.summary, key+"="+num(value))
	status := ""
	if target != "" {
		status = "ok  "
		if !ok {
			status = "MISS"
			r.misses++
		}
	}
	r.rows = append(r.rows, fmt.Sprintf("%-4s %-26s %12s %-6s %s", status, key, num(value), unit, target))
	fmt.Printf("   %-26s %12s %-6s %s\n", key, num(value), unit, target)
}

// note prints a line that is not a figure (a skipped part, a detail).
func (r *report) note(format string, args ...any) {
	fmt.Printf("   "+format+"\n", args...)
}

func (r *report) print() {
	fmt.Println("\n== targets")
	for _, row := range r.rows {
		fmt.Println("   " + row)
	}
	if len(r.failed) > 0 {
		fmt.Printf("   failed parts: %s\n", strings.Join(r.failed, ","))
	}
	line := append([]string{"BENCH"}, r.summary...)
	line = append(line, fmt.Sprintf("misses=%d", r.misses))
	if len(r.failed) > 0 {
		line = append(line, "failed="+strings.Join(r.failed, ","))
	}
	fmt.Println(strings.Join(line, " "))
}

func num(v float64) string {
	switch {
	case v == float64(int64(v)):
		return fmt.Sprintf("%d", int64(v))
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	case v >= 10:
		return fmt.Sprintf("%.1f", v)
	default:
		return fmt.Sprintf("%.2f", v)
	}
}

// median of d (d is sorted in place).
func median(d []time.Duration) time.Duration {
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	n := len(d)
	if n%2 == 1 {
		return d[n/2]
	}
	return (d[n/2-1] + d[n/2]) / 2
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1e3 }

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench: "+format+"\n", args...)
	os.Exit(2)
}
