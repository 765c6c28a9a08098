package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pve-mcp/pve-mcp/internal/syncbuf"
)

// binary is the server the tests start: this test binary itself, which
// runs main() when runMainEnv is set (see TestMain). No second build of the
// server: on a cold cache that doubled the package's test time.
var binary string

const runMainEnv = "PVE_MCP_SERVER_TEST_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(runMainEnv) == "1" {
		main()
		os.Exit(0)
	}
	var err error
	if binary, err = os.Executable(); err != nil {
		fmt.Fprintln(os.Stderr, "finding the test binary:", err)
		os.Exit(1)
	}
	os.Exit(m.Run())
}

func freePort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return port
}

func post(t *testing.T, url string, id int, method string, params any) map[string]any {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": id, "method": method, "params": params})
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("MCP-Protocol-Version", "2025-06-18")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if resp.StatusCode != 200 || json.Unmarshal(raw, &out) != nil || out["error"] != nil {
		t.Fatalf("%s: %d %s", method, resp.StatusCode, raw)
	}
	return out["result"].(map[string]any)
}

// The container entrypoint as Cloud Run runs it: PORT set, answers
// /healthz and MCP, logs Cloud Logging JSON, exits 0 on SIGTERM.
func TestContainerEntrypoint(t *testing.T) {
	port := freePort(t)
	var stderr syncbuf.Buffer
	cmd := exec.Command(binary)
	cmd.Env = []string{runMainEnv + "=1", "PORT=" + port, "PVE_DEMO=true", "PATH=" + os.Getenv("PATH")}
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
		}
	})
	base := "http://127.0.0.1:" + port
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := http.Get(base + "/healthz")
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || !strings.Contains(string(b), `"ok"`) {
				t.Fatalf("/healthz: %d %s", resp.StatusCode, b)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("server did not answer /healthz: %v\n%s", err, stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}

	init := post(t, base+"/mcp", 1, "initialize", map[string]any{
		"protocolVersion": "2025-06-18", "capabilities": map[string]any{},
		"clientInfo": map[string]any{"name": "test", "version": "1"},
	})
	if init["serverInfo"] == nil {
		t.Fatalf("initialize: %v", init)
	}
	list := post(t, base+"/mcp", 2, "tools/list", map[string]any{})
	// Tier full lists the compact surface by default; other tools run through a dispatcher.
	if n := len(list["tools"].([]any)); n < 10 || n > 16 {
		t.Fatalf("tools/list returned %d tools", n)
	}
	call := post(t, base+"/mcp", 3, "tools/call", map[string]any{"name": "pve_read", "arguments": map[string]any{"tool": "pve_list_nodes"}})
	text, _ := json.Marshal(call)
	if call["isError"] == true || !strings.Contains(string(text), "pve1") {
		t.Fatalf("tools/call: %s", text)
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", err, stderr.String())
		}
	case <-time.After(9 * time.Second):
		t.Fatalf("no exit within Cloud Run's grace period\n%s", stderr.String())
	}

	var severities []string
	sc := bufio.NewScanner(strings.NewReader(stderr.String()))
	for sc.Scan() {
		var line map[string]any
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("log line is not JSON: %s", sc.Text())
		}
		sev, _ := line["severity"].(string)
		if sev == "" || line["message"] == nil || line["timestamp"] == nil || line["msg"] != nil {
			t.Fatalf("log line not in the runners' form (Cloud Logging reads severity and message): %s", sc.Text())
		}
		severities = append(severities, sev+" "+line["message"].(string))
	}
	joined := strings.Join(severities, "\n")
	// The audit line has the keys, in the order, docs/security.md shows.
	doc, err := os.ReadFile("../../docs/security.md")
	if err != nil {
		t.Fatal(err)
	}
	_, example, _ := strings.Cut(string(doc), "audit line (wrapped here):\n\n```json\n")
	example, _, _ = strings.Cut(example, "```")
	var audit string
	for _, l := range strings.Split(stderr.String(), "\n") {
		if strings.Contains(l, `"audit":true`) {
			audit = l
		}
	}
	if want, got := topKeys(t, example), topKeys(t, audit); !slices.Equal(want, got) {
		t.Errorf("audit line keys %v, docs/security.md shows %v:\n%s", got, want, audit)
	}
	for _, want := range []string{"WARNING DEMO MODE", "INFO pve-mcp serving MCP over HTTP", "INFO SIGTERM: shutting down", "INFO stopped"} {
		if !strings.Contains(joined, want) {
			t.Errorf("logs lack %q:\n%s", want, joined)
		}
	}
}

func TestBadConfigurationExits1(t *testing.T) {
	var stderr syncbuf.Buffer
	cmd := exec.Command(binary)
	cmd.Env = []string{runMainEnv + "=1", "PORT=" + freePort(t), "PVE_BASE_URL=https://pve.example.com:8006", "PVE_ACCESS_TIER=admin"}
	cmd.Stderr = &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("exit: %v", err)
	}
	out := stderr.String()
	if !strings.Contains(out, `"severity":"ERROR"`) || !strings.Contains(out, "PVE_ACCESS_TIER") || !strings.Contains(out, "PVE_TOKEN_ID is required") {
		t.Fatalf("stderr: %s", out)
	}
}

// topKeys lists the top-level keys of a JSON object in their order.
func topKeys(t *testing.T, raw string) []string {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(raw))
	var keys []string
	depth := 0
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return keys
		}
		if err != nil {
			t.Fatalf("%v in %s", err, raw)
		}
		switch v := tok.(type) {
		case json.Delim:
			if v == '{' || v == '[' {
				depth++
			} else {
				depth--
			}
		case string:
			if depth == 1 && dec.More() {
				// A key at the top level is followed by its value.
				keys = append(keys, v)
				var skip json.RawMessage
				if err := dec.Decode(&skip); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
}
