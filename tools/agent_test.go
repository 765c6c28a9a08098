package tools

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pve-mcp/pve-mcp/pve/pvesim"
)

// agentPolicy enables exec for these patterns, and file writes for those
// written "file-write <path pattern>".
func agentPolicy(t *testing.T, patterns ...string) GuestExecPolicy {
	t.Helper()
	var cmds, paths []string
	for _, p := range patterns {
		if path, ok := strings.CutPrefix(p, "file-write "); ok {
			paths = append(paths, path)
		} else {
			cmds = append(cmds, p)
		}
	}
	allow, err := ParseGuestExecAllow(strings.Join(cmds, ";;"))
	if err != nil {
		t.Fatal(err)
	}
	writes, err := ParseGuestWriteAllow(strings.Join(paths, ";;"))
	if err != nil {
		t.Fatal(err)
	}
	return GuestExecPolicy{Enabled: true, Allow: allow, WriteAllow: writes}
}

// agentClock is a settable clock for the simulator, so a test decides when
// a guest process has finished.
type agentClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *agentClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *agentClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func TestAgentReads(t *testing.T) {
	e := fullEnv(t)

	// Ping: node found from the vmid, the POST reaches the VM's node.
	var ping map[string]any
	e.okJSON("pve_ping_qemu_agent", map[string]any{"vmid": 100}, &ping)
	if ping["agent"] != "responding" || ping["vmid"] != 100.0 {
		t.Errorf("ping = %v", ping)
	}
	e.lastRequest("POST", "/nodes/pve1/qemu/100/agent/ping")

	// OS info is Proxmox's answer as it came.
	var osinfo struct {
		Result map[string]string `json:"result"`
	}
	e.okJSON("pve_get_qemu_agent_osinfo", map[string]any{"node": "pve1", "vmid": 101}, &osinfo)
	if osinfo.Result["id"] != "ubuntu" || osinfo.Result["machine"] != "x86_64" || !strings.HasPrefix(osinfo.Result["pretty-name"], "Ubuntu 24.04") {
		t.Errorf("osinfo = %v", osinfo.Result)
	}
	e.lastRequest("GET", "/nodes/pve1/qemu/101/agent/get-osinfo")

	// Interfaces: trimmed to name, MAC and address/prefix, loopback left out.
	var ifaces []agentInterface
	e.okJSON("pve_get_qemu_agent_interfaces", map[string]any{"vmid": 100}, &ifaces)
	want := []agentInterface{{Name: "ens18", MAC: "bc:24:11:a0:01:00", IPs: []string{"10.0.10.120/24", "fe80::be24:11ff:fea0:100/64"}}}
	if !slices.EqualFunc(ifaces, want, func(a, b agentInterface) bool {
		return a.Name == b.Name && a.MAC == b.MAC && slices.Equal(a.IPs, b.IPs)
	}) {
		t.Errorf("interfaces = %+v, want %+v", ifaces, want)
	}
	if r := e.lastRequest("GET", "/nodes/pve1/qemu/100/agent/network-get-interfaces"); len(r.Params) != 0 {
		t.Errorf("interfaces sent %v (verbose is local)", r.Params)
	}

	// A static cloud-init address and a second NIC show up; verbose is the raw answer.
	e.ok("pve_update_qemu_config", map[string]any{"vmid": 104, "extra": map[string]any{
		"net1": "virtio=BC:24:11:A0:01:14,bridge=vmbr1", "ipconfig1": "ip=192.168.50.4/26,gw=192.168.50.1"}})
	e.okJSON("pve_get_qemu_agent_interfaces", map[string]any{"vmid": 104}, &ifaces)
	if len(ifaces) != 2 || ifaces[1].Name != "ens19" || ifaces[1].IPs[0] != "192.168.50.4/26" || ifaces[1].MAC != "bc:24:11:a0:01:14" {
		t.Errorf("interfaces of 104 = %+v", ifaces)
	}
	var raw struct {
		Result []struct {
			Name  string         `json:"name"`
			Stats map[string]int `json:"statistics"`
		} `json:"result"`
	}
	e.okJSON("pve_get_qemu_agent_interfaces", map[string]any{"vmid": 104, "verbose": true}, &raw)
	if len(raw.Result) != 3 || raw.Result[0].Name != "lo" || raw.Result[1].Stats["rx-bytes"] == 0 {
		t.Errorf("verbose = %+v", raw)
	}
}

// The agent answers only a running VM whose config enables it and whose
// guest runs the agent; every agent tool reports Proxmox's reason.
func TestAgentUnavailable(t *testing.T) {
	e := fullEnv(t)
	e.env.GuestExec = agentPolicy(t, "hostname", "file-write /tmp/x")
	// On a running VM the change is pending until it restarts, as in Proxmox.
	e.ok("pve_update_qemu_config", map[string]any{"vmid": 104, "agent": "enabled=0"})
	e.ok("pve_ping_qemu_agent", map[string]any{"vmid": 104})
	e.ok("pve_stop_qemu_vm", map[string]any{"vmid": 104})
	e.ok("pve_start_qemu_vm", map[string]any{"vmid": 104})
	e.ok("pve_suspend_qemu_vm", map[string]any{"vmid": 100})
	cases := []struct {
		vmid int
		want string
	}{
		{102, "VM 102 is not running"},            // stopped
		{103, "QEMU guest agent is not running"},  // agent not installed in the guest
		{104, "No QEMU guest agent configured"},   // agent=enabled=0
		{100, "QEMU guest agent is not running"},  // paused
		{9000, "No QEMU guest agent configured"},  // template (stopped, but config is checked first)
		{777, "no VM or container with vmid 777"}, // unknown
	}
	e.ok("pve_update_qemu_config", map[string]any{"vmid": 9000, "delete": []string{"agent"}})
	calls := []struct {
		tool string
		args map[string]any
	}{
		{"pve_ping_qemu_agent", nil},
		{"pve_get_qemu_agent_osinfo", nil},
		{"pve_get_qemu_agent_interfaces", nil},
		{"pve_read_qemu_agent_file", map[string]any{"file": "/etc/hostname"}},
		{"pve_exec_qemu_agent_command", map[string]any{"command": []string{"hostname"}}},
		{"pve_write_qemu_agent_file", map[string]any{"file": "/tmp/x", "content": "x"}},
	}
	for _, c := range cases {
		for _, call := range calls {
			args := map[string]any{"vmid": c.vmid}
			for k, v := range call.args {
				args[k] = v
			}
			if msg := e.fails(call.tool, args); !strings.Contains(msg, c.want) {
				t.Errorf("%s on %d: %q, want %q", call.tool, c.vmid, msg, c.want)
			}
		}
	}
	if _, ok := e.sim.Guest(102); !ok {
		t.Fatal("guest 102 vanished")
	}
	// The file was never written anywhere.
	e.ok("pve_resume_qemu_vm", map[string]any{"vmid": 100})
	if msg := e.fails("pve_read_qemu_agent_file", map[string]any{"vmid": 100, "file": "/tmp/x"}); !strings.Contains(msg, "No such file or directory") {
		t.Errorf("read after refused writes: %s", msg)
	}
}

// With the policy off (the default), exec and file-write refuse before
// anything reaches Proxmox, not even the node lookup.
func TestAgentPolicyOff(t *testing.T) {
	e := fullEnv(t)
	for _, c := range []struct {
		tool string
		args map[string]any
	}{
		{"pve_exec_qemu_agent_command", map[string]any{"vmid": 100, "command": []string{"hostname"}}},
		{"pve_exec_qemu_agent_command", map[string]any{"node": "pve1", "vmid": 100, "command": []string{"uptime"}}},
		{"pve_exec_qemu_agent_command", map[string]any{"vmid": 100, "pid": 2400}},
		{"pve_write_qemu_agent_file", map[string]any{"vmid": 100, "file": "/tmp/x", "content": "x"}},
	} {
		if msg := e.fails(c.tool, c.args); !strings.Contains(msg, "guest command execution is disabled on this server") {
			t.Errorf("%s: %s", c.tool, msg)
		}
	}
	if got := e.sim.Requests(); len(got) != 0 {
		t.Errorf("refused calls reached Proxmox: %v", got)
	}
}

func TestAgentExec(t *testing.T) {
	t.Parallel() // waits on simulated tasks; shares nothing
	e := fullEnv(t)
	e.env.GuestExec = agentPolicy(t, "hostname", "uptime", "false", "cat( /etc/[a-z-]+)?", "nosuch", `sh -c [a-z ]+`, "echo [a-z ]+")

	var res agentExecResult
	e.okJSON("pve_exec_qemu_agent_command", map[string]any{"vmid": 100, "command": []string{"hostname"}}, &res)
	if !bool(res.Exited) || res.ExitCode == nil || *res.ExitCode != 0 || res.OutData != "web01\n" || res.ErrData != "" || res.PID == 0 {
		t.Errorf("hostname = %+v", res)
	}
	r := e.lastRequest("POST", "/nodes/pve1/qemu/100/agent/exec")
	if !slices.Equal(r.Params["command"], []string{"hostname"}) || r.Params.Has("input-data") || len(r.Params) != 1 {
		t.Errorf("exec params %v", r.Params)
	}
	if st := e.lastRequest("GET", "/nodes/pve1/qemu/100/agent/exec-status"); st.Params.Get("pid") != jsonInt(res.PID) {
		t.Errorf("exec-status params %v, want pid %d", st.Params, res.PID)
	}
	// The command ran in the guest and was polled until it exited: the
	// first status said running, the last one gave the result.
	polls := 0
	for _, q := range e.sim.Requests() {
		if q.Path == "/nodes/pve1/qemu/100/agent/exec-status" {
			polls++
		}
	}
	if polls != 2 {
		t.Errorf("%d status polls, want 2", polls)
	}

	// argv with several elements, stdin, exit codes.
	for _, c := range []struct {
		args     map[string]any
		code     int
		out, err string
	}{
		{map[string]any{"command": []string{"cat", "/etc/hostname"}}, 0, "db01\n", ""},
		{map[string]any{"command": []string{"cat", "/etc/nope"}}, 1, "", "cat: /etc/nope: No such file or directory\n"},
		{map[string]any{"command": []string{"cat"}, "input_data": "from stdin"}, 0, "from stdin", ""},
		{map[string]any{"command": []string{"false"}}, 1, "", ""},
		{map[string]any{"command": []string{"echo", "hello", "world"}}, 0, "hello world\n", ""},
		{map[string]any{"command": []string{"sh", "-c", "frobnicate now"}}, 127, "", "sh: 1: frobnicate: not found\n"},
	} {
		c.args["vmid"] = 101
		var res agentExecResult
		e.okJSON("pve_exec_qemu_agent_command", c.args, &res)
		if !bool(res.Exited) || res.ExitCode == nil || *res.ExitCode != c.code || res.OutData != c.out || res.ErrData != c.err {
			t.Errorf("%v = %+v", c.args["command"], res)
		}
	}
	if r := e.lastRequest("POST", "/nodes/pve1/qemu/101/agent/exec"); !slices.Equal(r.Params["command"], []string{"sh", "-c", "frobnicate now"}) {
		t.Errorf("argv not sent as an array: %v", r.Params)
	}
	e.sim.ResetRequests()
	e.ok("pve_exec_qemu_agent_command", map[string]any{"vmid": 101, "command": []string{"cat"}, "input_data": "abc"})
	if r := e.lastRequest("POST", "/nodes/pve1/qemu/101/agent/exec"); r.Params.Get("input-data") != "abc" {
		t.Errorf("input-data = %v", r.Params)
	}

	// An unknown program fails the exec call itself (the agent runs no shell).
	if msg := e.fails("pve_exec_qemu_agent_command", map[string]any{"vmid": 100, "command": []string{"nosuch"}}); !strings.Contains(msg, "Failed to execute child process") {
		t.Errorf("unknown program: %s", msg)
	}

	// Refused by the policy: nothing is sent.
	e.sim.ResetRequests()
	for _, argv := range [][]string{
		{"cat", "/etc/shadow", "/etc/hostname"}, // pattern is anchored: extra args do not match
		{"cat", "/root/.ssh/id_ed25519"},
		{"hostname", "evil"},
		{"rm", "-rf", "/"},
		{"echo", "hi;", "reboot"},
	} {
		msg := e.fails("pve_exec_qemu_agent_command", map[string]any{"vmid": 100, "node": "pve1", "command": argv})
		if !strings.Contains(msg, "matches no PVE_GUEST_EXEC_ALLOW pattern") || !strings.Contains(msg, strings.Join(argv, " ")) {
			t.Errorf("%v: %s", argv, msg)
		}
	}
	if r := e.sim.Find("POST", "/nodes/pve1/qemu/100/agent/exec"); r != nil {
		t.Errorf("a refused command reached Proxmox: %+v", r)
	}

	// Input mistakes.
	for _, c := range []struct {
		args map[string]any
		want string
	}{
		{map[string]any{"vmid": 100}, "command is required"},
		{map[string]any{"vmid": 100, "command": []string{}}, "command is required"},
		{map[string]any{"vmid": 100, "command": []string{"hostname"}, "pid": 5}, "command or pid, not both"},
		{map[string]any{"vmid": 100, "pid": 99999}, "Invalid parameter 'pid'"},
		{map[string]any{"vmid": 100, "command": []string{"hostname"}, "timeout": 0.5}, "timeout"},
	} {
		if msg := e.fails("pve_exec_qemu_agent_command", c.args); !strings.Contains(msg, c.want) {
			t.Errorf("%v: %s, want %q", c.args, msg, c.want)
		}
	}
}

// A command that outlives the timeout returns its pid; a later call with
// that pid collects the result, once.
func TestAgentExecTimeout(t *testing.T) {
	clock := &agentClock{t: time.Date(2025, 6, 2, 10, 0, 0, 0, time.UTC)}
	e := newTestEnvWith(t, Selection{Tier: Full}, pvesim.Options{Now: clock.now})
	e.env.GuestExec = agentPolicy(t, "sleep [0-9]+")

	start := time.Now()
	var res agentExecResult
	txt := e.okJSON("pve_exec_qemu_agent_command", map[string]any{"vmid": 100, "command": []string{"sleep", "120"}, "timeout": 1}, &res)
	if took := time.Since(start); took < 500*time.Millisecond || took > 5*time.Second {
		t.Errorf("waited %v for a 1 s timeout", took)
	}
	if bool(res.Exited) || res.ExitCode != nil || res.PID == 0 || !strings.Contains(txt, "Still running; call again with pid=") {
		t.Fatalf("timed-out exec = %s", txt)
	}
	// Polling backed off: a handful of status calls in a second, not a busy loop.
	polls := 0
	for _, q := range e.sim.Requests() {
		if q.Path == "/nodes/pve1/qemu/100/agent/exec-status" {
			polls++
		}
	}
	if polls < 2 || polls > 6 {
		t.Errorf("%d status polls in 1 s", polls)
	}

	clock.add(2 * time.Minute)
	var done agentExecResult
	e.okJSON("pve_exec_qemu_agent_command", map[string]any{"vmid": 100, "pid": res.PID}, &done)
	if !bool(done.Exited) || done.ExitCode == nil || *done.ExitCode != 0 || done.PID != res.PID {
		t.Errorf("collected = %+v", done)
	}
	if r := e.lastRequest("GET", "/nodes/pve1/qemu/100/agent/exec-status"); r.Params.Get("pid") != jsonInt(res.PID) {
		t.Errorf("exec-status params %v", r.Params)
	}
	// The agent forgets a process once it reported its exit.
	if msg := e.fails("pve_exec_qemu_agent_command", map[string]any{"vmid": 100, "pid": res.PID}); !strings.Contains(msg, "Invalid parameter 'pid'") {
		t.Errorf("second collect: %s", msg)
	}
}

func TestAgentFiles(t *testing.T) {
	e := fullEnv(t)

	// Read: the default count keeps results small; paging with offset.
	var f struct {
		File       string `json:"file"`
		Content    string `json:"content"`
		Truncated  bool   `json:"truncated"`
		NextOffset int    `json:"next_offset"`
	}
	e.okJSON("pve_read_qemu_agent_file", map[string]any{"vmid": 100, "file": "/etc/hostname"}, &f)
	if f.Content != "web01\n" || f.Truncated || f.File != "/etc/hostname" {
		t.Errorf("read = %+v", f)
	}
	r := e.lastRequest("GET", "/nodes/pve1/qemu/100/agent/file-read")
	if r.Params.Get("file") != "/etc/hostname" || r.Params.Get("count") != "16384" || r.Params.Has("offset") {
		t.Errorf("file-read params %v", r.Params)
	}
	var whole string
	for offset := 0; ; {
		f.Truncated, f.NextOffset = false, 0
		e.okJSON("pve_read_qemu_agent_file", map[string]any{"vmid": 100, "file": "/etc/os-release", "offset": offset, "count": 40}, &f)
		whole += f.Content
		if !f.Truncated {
			break
		}
		if f.NextOffset != offset+40 || len(f.Content) != 40 {
			t.Fatalf("page at %d: %+v", offset, f)
		}
		offset = f.NextOffset
	}
	if !strings.HasPrefix(whole, `PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"`) || !strings.HasSuffix(whole, "ID=debian\n") {
		t.Errorf("paged read = %q", whole)
	}
	if r := e.lastRequest("GET", "/nodes/pve1/qemu/100/agent/file-read"); r.Params.Get("offset") == "" || r.Params.Get("count") != "40" {
		t.Errorf("paged params %v", r.Params)
	}
	for _, c := range []struct{ file, want string }{
		{"/etc/nope", "failed to open file '/etc/nope' (mode: 'r'): No such file or directory"},
		{"/etc", "Is a directory"},
	} {
		if msg := e.fails("pve_read_qemu_agent_file", map[string]any{"vmid": 100, "file": c.file}); !strings.Contains(msg, c.want) {
			t.Errorf("read %s: %s", c.file, msg)
		}
	}

	// Write needs the policy: refused without it and outside its patterns.
	args := map[string]any{"vmid": 100, "file": "/tmp/app.conf", "content": "port = 8080\n"}
	if msg := e.fails("pve_write_qemu_agent_file", args); !strings.Contains(msg, "disabled") {
		t.Errorf("write with policy off: %s", msg)
	}
	e.env.GuestExec = agentPolicy(t, "file-write /tmp/[a-z.]+", "cat /tmp/[a-z.]+", "file-write /nodir/x")
	for _, file := range []string{"/etc/passwd", "/tmp/../etc/passwd", "/tmp/./x", "/tmp/sub/x"} {
		bad := map[string]any{"vmid": 100, "file": file, "content": "x"}
		if msg := e.fails("pve_write_qemu_agent_file", bad); !strings.Contains(msg, "PVE_GUEST_WRITE_ALLOW") && !strings.Contains(msg, ". or .. segments") {
			t.Errorf("write %s: %s", file, msg)
		}
	}
	// A command pattern, however broad, never permits a write: the lists are
	// separate, and an empty write list refuses every write.
	saved := e.env.GuestExec
	e.env.GuestExec = agentPolicy(t, ".*", "cat /var/log/.*")
	for _, file := range []string{"/var/log/syslog", "/tmp/app.conf"} {
		msg := e.fails("pve_write_qemu_agent_file", map[string]any{"vmid": 100, "file": file, "content": "x"})
		if !strings.Contains(msg, "guest file writes are disabled") || !strings.Contains(msg, "PVE_GUEST_WRITE_ALLOW") {
			t.Errorf("write %s under exec-only patterns: %s", file, msg)
		}
	}
	e.env.GuestExec = saved
	if r := e.sim.Find("POST", "/nodes/pve1/qemu/100/agent/file-write"); r != nil {
		t.Fatalf("a refused write reached Proxmox: %+v", r)
	}

	// Allowed: written, then read back by file-read and by exec.
	var w map[string]any
	e.okJSON("pve_write_qemu_agent_file", args, &w)
	if w["file"] != "/tmp/app.conf" || w["bytes"] != 12.0 {
		t.Errorf("write = %v", w)
	}
	r = e.lastRequest("POST", "/nodes/pve1/qemu/100/agent/file-write")
	if r.Params.Get("file") != "/tmp/app.conf" || r.Params.Get("content") != "port = 8080\n" || r.Params.Has("encode") {
		t.Errorf("file-write params %v", r.Params)
	}
	e.okJSON("pve_read_qemu_agent_file", map[string]any{"vmid": 100, "file": "/tmp/app.conf"}, &f)
	if f.Content != "port = 8080\n" {
		t.Errorf("read back %q", f.Content)
	}
	var res agentExecResult
	e.okJSON("pve_exec_qemu_agent_command", map[string]any{"vmid": 100, "command": []string{"cat", "/tmp/app.conf"}}, &res)
	if res.OutData != "port = 8080\n" {
		t.Errorf("cat after write = %+v", res)
	}
	// Each VM has its own filesystem.
	if msg := e.fails("pve_read_qemu_agent_file", map[string]any{"vmid": 101, "file": "/tmp/app.conf"}); !strings.Contains(msg, "No such file") {
		t.Errorf("file leaked to VM 101: %s", msg)
	}
	// Allowed by the policy but refused by the guest.
	if msg := e.fails("pve_write_qemu_agent_file", map[string]any{"vmid": 100, "file": "/nodir/x", "content": "x"}); !strings.Contains(msg, "failed to open file '/nodir/x' (mode: 'wb'): No such file or directory") {
		t.Errorf("write to a missing directory: %s", msg)
	}
	if msg := e.fails("pve_write_qemu_agent_file", map[string]any{"vmid": 100, "file": "/tmp/big", "content": strings.Repeat("x", 61441)}); !strings.Contains(msg, "61440") {
		t.Errorf("oversized write: %s", msg)
	}
}

// The tiers and annotations the agent tools promise clients.
func TestAgentToolsDeclared(t *testing.T) {
	want := map[string]struct {
		tier        Tier
		readOnly    bool
		destructive bool
	}{
		"pve_ping_qemu_agent":           {ReadOnly, true, false},
		"pve_get_qemu_agent_osinfo":     {ReadOnly, true, false},
		"pve_get_qemu_agent_interfaces": {ReadOnly, true, false},
		"pve_read_qemu_agent_file":      {Full, true, false},
		"pve_exec_qemu_agent_command":   {Full, false, true},
		"pve_write_qemu_agent_file":     {Full, false, true},
	}
	for _, tool := range agentTools() {
		w, ok := want[tool.Name]
		if !ok {
			t.Errorf("unexpected tool %s", tool.Name)
			continue
		}
		def, err := tool.MCP()
		if err != nil {
			t.Fatal(err)
		}
		a := def.Annotations
		destructive := a.DestructiveHint != nil && *a.DestructiveHint
		if tool.Tier != w.tier || a.ReadOnlyHint != w.readOnly || destructive != w.destructive {
			t.Errorf("%s: tier %s readOnly %v destructive %v; want %+v", tool.Name, tool.Tier, a.ReadOnlyHint, destructive, w)
		}
		delete(want, tool.Name)
	}
	if len(want) != 0 {
		t.Errorf("missing tools %v", want)
	}
	// A read-execute server holds the agent's reads, not files or exec.
	sel, err := Select(Selection{Tier: ReadExecute, Categories: []Category{QEMU}})
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`^pve_(read|write)_qemu_agent_file$|^pve_exec_qemu_agent_command$`)
	n := 0
	for _, tool := range sel {
		if re.MatchString(tool.Name) {
			t.Errorf("tier read-execute holds %s", tool.Name)
		}
		if strings.Contains(tool.Name, "qemu_agent") {
			n++
		}
	}
	if n != 3 {
		t.Errorf("tier read-execute holds %d agent tools, want 3", n)
	}
}

func jsonInt(n int) string { b, _ := json.Marshal(n); return string(b) }
