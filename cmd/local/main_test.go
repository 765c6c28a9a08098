package main

import (
	"bufio"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pve-mcp/pve-mcp/internal/syncbuf"
)

// runMainEnv makes the test binary run main(): the tests start it as the
// stdio server, without building it again.
const runMainEnv = "PVE_MCP_LOCAL_TEST_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(runMainEnv) == "1" {
		os.Args = append([]string{"pve-mcp"}, strings.Fields(os.Getenv("PVE_MCP_LOCAL_TEST_ARGS"))...)
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// A stdio session as a desktop client runs it, then Ctrl-C: one answer per
// request on stdout, exit 0, and stderr says it waits on stdin, carries no
// SDK lifecycle lines with an empty session_id and no ERROR.
func TestStdioSessionAndCtrlC(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(self)
	cmd.Env = []string{runMainEnv + "=1", "PVE_MCP_LOCAL_TEST_ARGS=-demo", "PATH=" + os.Getenv("PATH")}
	var stderr syncbuf.Buffer
	cmd.Stderr = &stderr
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
		}
	})
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 1<<20), 1<<24)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	send := func(s string) { io.WriteString(stdin, s+"\n") }
	read := func() map[string]any {
		select {
		case l, ok := <-lines:
			var m map[string]any
			if !ok || json.Unmarshal([]byte(l), &m) != nil {
				t.Fatalf("stdout %q (open %v)\nstderr:\n%s", l, ok, stderr.String())
			}
			return m
		case <-time.After(15 * time.Second):
			t.Fatalf("no answer\nstderr:\n%s", stderr.String())
		}
		return nil
	}
	send(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"test","version":"0"}}}`)
	if r := read(); r["result"] == nil {
		t.Fatalf("initialize: %v", r)
	}
	send(`{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	send(`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"pve_read","arguments":{"tool":"pve_list_nodes"}}}`)
	if r := read(); !strings.Contains(jsonString(r), "pve1") {
		t.Fatalf("pve_list_nodes: %v", r)
	}

	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after Ctrl-C: %v\n%s", err, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("no exit after Ctrl-C\n%s", stderr.String())
	}
	out := stderr.String()
	for _, bad := range []string{`"session_id":""`, `"level":"ERROR"`, "context canceled", "server session"} {
		if strings.Contains(out, bad) {
			t.Errorf("stderr has %s:\n%s", bad, out)
		}
	}
	for _, want := range []string{`"message":"pve-mcp serving MCP over stdio: waiting for a client's JSON-RPC on stdin"`, `"message":"stopped"`, `"severity":"WARNING"`} {
		if !strings.Contains(out, want) {
			t.Errorf("stderr lacks %s:\n%s", want, out)
		}
	}
}

func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
