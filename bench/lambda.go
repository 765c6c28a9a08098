package main

import (
	"archive/zip"
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/pve-mcp/pve-mcp/internal/syncbuf"
	"github.com/pve-mcp/pve-mcp/tools"
)

// lambdaInit starts the bootstrap under the AWS Lambda Runtime Interface
// Emulator o.lambdaN times and reads the init duration the emulator logs
// ("INIT REPORT(durationMs: …)": bootstrap exec to its first request for
// work, i.e. what Lambda bills as Init Duration). The emulator is the one
// e2e/lambda_rie.sh uses; it is not installed here.
func lambdaInit(r *report, bins *binaries, o options) error {
	rie := findRIE()
	if rie == "" {
		r.note("skipped: aws-lambda-rie not found (bash e2e/lambda_rie.sh installs it, or: go install github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@latest)")
		return nil
	}
	bin, err := bins.get("./cmd/lambda")
	if err != nil {
		return err
	}
	// The bootstrap as for provided.al2023: static, no RPC shim, this machine's architecture.
	boot := filepath.Join(filepath.Dir(bin), "bootstrap")
	cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-trimpath", "-o", boot, "./cmd/lambda")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("building the bootstrap: %w", err)
	}
	event, err := os.ReadFile("events/tools-list.json")
	if err != nil {
		return err
	}
	var inits, firsts []time.Duration
	for i := 0; i < o.lambdaN; i++ {
		init, first, err := lambdaOnce(rie, boot, event)
		if err != nil {
			return err
		}
		inits = append(inits, init)
		firsts = append(firsts, first)
	}
	mi, mf := median(inits), median(firsts)
	r.note("%d cold starts: init min %.1f ms, median %.1f ms, max %.1f ms; first tools/list answer (init + invoke, as the caller waits) median %.1f ms",
		len(inits), ms(inits[0]), ms(mi), ms(inits[len(inits)-1]), ms(mf))
	r.figure("lambda_init_ms", ms(mi), "ms", "< 50 ms", mi < 50*time.Millisecond)
	r.figure("lambda_first_answer_ms", ms(mf), "ms", "", true)
	return nil
}

func findRIE() string {
	if p, err := exec.LookPath("aws-lambda-rie"); err == nil {
		return p
	}
	out, err := exec.Command("go", "env", "GOBIN", "GOPATH").Output()
	if err != nil {
		return ""
	}
	f := strings.Split(strings.TrimSpace(string(out)), "\n")
	for _, dir := range []string{f[0], filepath.Join(f[len(f)-1], "bin")} {
		if dir == "" || dir == "bin" {
			continue
		}
		p := filepath.Join(dir, "aws-lambda-rie")
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p
		}
	}
	return ""
}

var initReport = regexp.MustCompile(`INIT REPORT\(durationMs: ([0-9.]+)\)`)

// lambdaOnce runs one emulator with a fresh bootstrap, invokes event once
// and returns the init duration the emulator logged and the time of the
// first invocation as the caller saw it.
func lambdaOnce(rie, boot string, event []byte) (init, first time.Duration, err error) {
	invokePort, err := freePort()
	if err != nil {
		return 0, 0, err
	}
	apiPort, err := freePort()
	if err != nil {
		return 0, 0, err
	}
	cmd := exec.Command(rie,
		"--runtime-interface-emulator-address", "127.0.0.1:"+invokePort,
		"--runtime-api-address", "127.0.0.1:"+apiPort,
		"--log-level", "info", boot)
	cmd.Dir = filepath.Dir(boot)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.TempDir(), "PVE_DEMO=true", "MCP_AUTH=none",
		"AWS_LAMBDA_FUNCTION_NAME=pve-mcp-bench", "AWS_LAMBDA_FUNCTION_TIMEOUT=30",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=256", "AWS_REGION=eu-central-1"}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // the bootstrap is the emulator's child
	var logs syncbuf.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		return 0, 0, err
	}
	defer func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		cmd.Wait()
	}()
	url := "http://127.0.0.1:" + invokePort + "/2015-03-31/functions/function/invocations"
	for i := 0; ; i++ {
		c, err := net.DialTimeout("tcp", "127.0.0.1:"+invokePort, time.Second)
		if err == nil {
			c.Close()
			break
		}
		if i > 100 {
			return 0, 0, fmt.Errorf("the emulator did not listen: %s", logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	// The emulator starts the bootstrap on the first invocation.
	t0 := time.Now()
	resp, err := http.Post(url, "application/json", bytes.NewReader(event))
	if err != nil {
		return 0, 0, err
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	first = time.Since(t0)
	var fr struct {
		StatusCode int    `json:"statusCode"`
		Body       string `json:"body"`
	}
	if err := json.Unmarshal(body, &fr); err != nil || fr.StatusCode != 200 || !strings.Contains(fr.Body, `"pve_search_tools"`) {
		return 0, 0, fmt.Errorf("tools/list through the emulator: %.300s\n%s", body, logs.String())
	}
	for i := 0; i < 40; i++ {
		if m := initReport.FindStringSubmatch(logs.String()); m != nil {
			v, _ := strconv.ParseFloat(m[1], 64)
			return time.Duration(v * float64(time.Millisecond)), first, nil
		}
		time.Sleep(25 * time.Millisecond)
	}
	return 0, 0, fmt.Errorf("the emulator logged no INIT REPORT:\n%s", logs.String())
}

func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return port, nil
}

// contextCost: tools/list bytes per tier (cmd/gendocs -stats, which sizes
// the list as the server sends it) and the size of typical results on the
// demo cluster.
func contextCost(r *report, bins *binaries) error {
	out, err := exec.Command("go", "run", "./cmd/gendocs", "-stats").CombinedOutput()
	if err != nil {
		return fmt.Errorf("gendocs -stats: %w\n%s", err, out)
	}
	line := regexp.MustCompile(`^(\S+)\s+(\d+) tools, tools/list\s+(\d+) bytes,\s+(\d+) without descriptions`)
	keys := map[string]string{tools.ReadOnly.String(): "read_only", tools.ReadExecute.String(): "read_execute", tools.Full.String(): "full"}
	seen := 0
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		m := line.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		key, ok := keys[m[1]]
		if !ok {
			continue
		}
		n, _ := strconv.Atoi(m[2])
		size, _ := strconv.Atoi(m[3])
		bare, _ := strconv.Atoi(m[4])
		seen++
		per := float64(size) / float64(n)
		r.note("%-13s %3d tools, tools/list %6d bytes, %.0f bytes per tool (%.0f of them descriptions, %.0f structure: names, types, enums, bounds, annotations)",
			m[1], n, size, per, float64(size-bare)/float64(n), float64(bare)/float64(n))
		r.figure("list_bytes_"+key, float64(size), "B", "", true)
		if key == "full" {
			r.figure("tools_full", float64(n), "", "", true)
			r.figure("bytes_per_tool_full", per, "B", "<= 680 B", per <= 680)
			r.figure("bare_bytes_per_tool_full", float64(bare)/float64(n), "B", "", true)
		}
	}
	if seen != 3 {
		return fmt.Errorf("unexpected gendocs -stats output:\n%s", out)
	}
	compact := regexp.MustCompile(`^(\S+)\s+compact:\s+(\d+) tools listed, tools/list\s+(\d+) bytes`)
	targets := map[string]int{"read_only": 6 << 10, "full": 8 << 10}
	sc = bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		m := compact.FindStringSubmatch(sc.Text())
		if m == nil || targets[keys[m[1]]] == 0 {
			continue
		}
		size, _ := strconv.Atoi(m[3])
		limit := targets[keys[m[1]]]
		r.note("compact %-13s %s tools listed, tools/list %d bytes", m[1], m[2], size)
		r.figure("compact_list_bytes_"+keys[m[1]], float64(size), "B", fmt.Sprintf("<= %d B", limit), size <= limit)
	}
	if err := retrieval(r); err != nil {
		return err
	}

	bin, err := bins.get("./cmd/local")
	if err != nil {
		return err
	}
	s, err := startStdio(bin, "PVE_TOOL_MODE=all")
	if err != nil {
		return err
	}
	defer s.stop()
	if err := s.initialize(); err != nil {
		return err
	}
	for _, t := range []struct{ name, key string }{
		{"pve_list_nodes", "nodes"},
		{"pve_list_cluster_resources", "resources"},
	} {
		line, text, err := s.call(t.name, nil)
		if err != nil {
			return err
		}
		indented := strings.Contains(text, "\n ") || strings.Contains(text, "\n\t")
		r.note("%s: result text %d bytes (whole JSON-RPC answer %d bytes)%s", t.name, len(text), len(line),
			map[bool]string{true: ", INDENTED", false: ", compact"}[indented])
		r.figure(t.key+"_result_bytes", float64(len(text)), "B", "compact", !indented)
	}
	return nil
}

// retrieval: how often pve_search_tools ranks the expected tool in its top
// 3, over the operator requests of tools/search_test.go.
func retrieval(r *report) error {
	out, err := exec.Command("go", "test", "./tools", "-run", "^TestSearchRetrieval$", "-count=1", "-v").CombinedOutput()
	if err != nil {
		return fmt.Errorf("TestSearchRetrieval: %w\n%s", err, out)
	}
	m := regexp.MustCompile(`retrieval: (\d+) requests, top-1 ([0-9.]+) %, top-3 ([0-9.]+) %`).FindSubmatch(out)
	if m == nil {
		return fmt.Errorf("no retrieval figure in:\n%s", out)
	}
	top1, _ := strconv.ParseFloat(string(m[2]), 64)
	top3, _ := strconv.ParseFloat(string(m[3]), 64)
	r.note("search over %s operator requests: expected tool first %.1f %%, in the top 3 %.1f %%", m[1], top1, top3)
	r.figure("search_top3_pct", top3, "%", ">= 95 %", top3 >= 95)
	return nil
}

// size: the stripped bootstrap for the Lambda architecture and its zip.
func size(r *report, work string, o options) error {
	boot := filepath.Join(work, "size", "bootstrap")
	cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-trimpath", "-ldflags=-s -w", "-o", boot, "./cmd/lambda")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+o.arch)
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("building the bootstrap for %s: %w", o.arch, err)
	}
	st, err := os.Stat(boot)
	if err != nil {
		return err
	}
	zipped, err := zipSize(boot)
	if err != nil {
		return err
	}
	mib := float64(st.Size()) / (1 << 20)
	r.note("linux/%s bootstrap (-s -w -trimpath): %d bytes; zip: %d bytes", o.arch, st.Size(), zipped)
	r.figure("bootstrap_mib", mib, "MiB", "< 20 MB", st.Size() < 20_000_000)
	r.figure("zip_mib", float64(zipped)/(1<<20), "MiB", "", true)
	return nil
}

// zipSize is the size of a deployment zip holding bin as an executable
// "bootstrap", deflated as `sam build` and `zip` do.
func zipSize(bin string) (int64, error) {
	data, err := os.ReadFile(bin)
	if err != nil {
		return 0, err
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	h := &zip.FileHeader{Name: "bootstrap", Method: zip.Deflate}
	h.SetMode(0o755)
	w, err := zw.CreateHeader(h)
	if err != nil {
		return 0, err
	}
	if _, err := w.Write(data); err != nil {
		return 0, err
	}
	if err := zw.Close(); err != nil {
		return 0, err
	}
	return int64(buf.Len()), nil
}
