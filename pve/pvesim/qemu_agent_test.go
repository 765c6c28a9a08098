package pvesim

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pve-mcp/pve-mcp/internal/apischema"
)

// agentSim is a simulator with a clock the test moves.
func agentSim(t *testing.T, now *time.Time) *Sim {
	return New(Options{TokenID: "root@pam!t", TokenSecret: "s", Now: func() time.Time { return *now }, Answered: apischema.AnswerChecker(t)})
}

// agentDo sends one request straight to the handler and returns the status,
// Proxmox's message (for errors) and the data.
func agentDo(t *testing.T, s *Sim, method, path string, params url.Values) (int, string, json.RawMessage) {
	t.Helper()
	target := "/api2/json" + path
	var body *strings.Reader
	if method == "GET" {
		target += "?" + params.Encode()
		body = strings.NewReader("")
	} else {
		body = strings.NewReader(params.Encode())
	}
	req := httptest.NewRequest(method, target, body)
	req.Header.Set("Authorization", "PVEAPIToken=root@pam!t=s")
	if method != "GET" {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	var out struct {
		Data   json.RawMessage   `json:"data"`
		Errors map[string]string `json:"errors"`
	}
	json.Unmarshal(rec.Body.Bytes(), &out)
	msg := rec.Header().Get("X-Pve-Message")
	for k, v := range out.Errors {
		msg += " " + k + ": " + v
	}
	return rec.Code, msg, out.Data
}

func agentOK(t *testing.T, s *Sim, method, path string, params url.Values, out any) {
	t.Helper()
	code, msg, data := agentDo(t, s, method, path, params)
	if code != http.StatusOK {
		t.Fatalf("%s %s: %d %s", method, path, code, msg)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("%s %s: %v in %s", method, path, err, data)
		}
	}
}

func agentFails(t *testing.T, s *Sim, method, path string, params url.Values, status int, want string) {
	t.Helper()
	code, msg, _ := agentDo(t, s, method, path, params)
	if code != status || !strings.Contains(msg, want) {
		t.Errorf("%s %s %v: %d %q, want %d %q", method, path, params, code, msg, status, want)
	}
}

func TestAgentAvailability(t *testing.T) {
	now := time.Date(2025, 6, 2, 10, 0, 0, 0, time.UTC)
	s := agentSim(t, &now)
	ping := func(vmid int) string {
		return "/nodes/" + s.guests[vmid].Node + "/qemu/" + strconv.Itoa(vmid) + "/agent/ping"
	}

	// The agent option is a property string: its enabled key decides.
	for _, c := range []struct {
		agent string
		ok    bool
	}{
		{"1", true}, {"enabled=1,fstrim_cloned_disks=1", true}, {"1,type=isa", true},
		{"0", false}, {"enabled=0", false}, {"", false},
	} {
		s.guests[100].Config["agent"] = c.agent
		code, msg, _ := agentDo(t, s, "POST", ping(100), nil)
		if (code == 200) != c.ok || (!c.ok && msg != "No QEMU guest agent configured") {
			t.Errorf("agent=%q: %d %q", c.agent, code, msg)
		}
	}
	s.guests[100].Config["agent"] = "1"
	agentFails(t, s, "POST", ping(102), nil, 500, "VM 102 is not running")
	agentFails(t, s, "POST", ping(103), nil, 500, "QEMU guest agent is not running")
	agentFails(t, s, "POST", "/nodes/pve2/qemu/100/agent/ping", nil, 500, "Configuration file 'nodes/pve2/qemu-server/100.conf' does not exist")
	agentFails(t, s, "POST", "/nodes/pve1/qemu/200/agent/ping", nil, 500, "does not exist") // a container
}

// Processes are asynchronous: running at the first status query, exited
// once their runtime has passed, forgotten after reporting, and gone when
// the VM restarts.
func TestAgentExecLifecycle(t *testing.T) {
	now := time.Date(2025, 6, 2, 10, 0, 0, 0, time.UTC)
	s := agentSim(t, &now)
	const base = "/nodes/pve1/qemu/100/agent/"
	var started struct{ PID int }
	agentOK(t, s, "POST", base+"exec", url.Values{"command": {"sleep", "30"}}, &started)
	status := url.Values{"pid": {strconv.Itoa(started.PID)}}
	var st map[string]any
	for i := 0; i < 3; i++ {
		agentOK(t, s, "GET", base+"exec-status", status, &st)
		if st["exited"] != 0.0 || len(st) != 1 {
			t.Fatalf("poll %d before 30 s: %v", i, st)
		}
		now = now.Add(10 * time.Second)
	}
	agentOK(t, s, "GET", base+"exec-status", status, &st)
	if st["exited"] != 1.0 || st["exitcode"] != 0.0 {
		t.Fatalf("after 30 s: %v", st)
	}
	agentFails(t, s, "GET", base+"exec-status", status, 500, "VM 100 qmp command 'guest-exec-status' failed - Invalid parameter 'pid'")

	// A restart loses the guest's processes.
	agentOK(t, s, "POST", base+"exec", url.Values{"command": {"/usr/bin/uptime"}}, &started)
	s.setStopped(s.guests[100])
	s.setRunning(s.guests[100])
	agentFails(t, s, "GET", base+"exec-status", url.Values{"pid": {strconv.Itoa(started.PID)}}, 500, "Invalid parameter 'pid'")

	// Unknown programs fail at exec; through a shell they exit 127.
	agentFails(t, s, "POST", base+"exec", url.Values{"command": {"ls -la"}}, 500,
		"VM 100 qmp command 'guest-exec' failed - Guest agent command failed, error was 'Failed to execute child process “ls -la” (No such file or directory)'")
	agentOK(t, s, "POST", base+"exec", url.Values{"command": {"bash", "-c", "ifconfig eth0"}}, &started)
	status = url.Values{"pid": {strconv.Itoa(started.PID)}}
	agentOK(t, s, "GET", base+"exec-status", status, &st)
	agentOK(t, s, "GET", base+"exec-status", status, &st)
	if st["exitcode"] != 127.0 || st["err-data"] != "bash: line 1: ifconfig: command not found\n" {
		t.Errorf("bash -c ifconfig: %v", st)
	}
	// Parameters as the API declares them.
	agentFails(t, s, "POST", base+"exec", nil, 400, "command: property is missing")
	agentFails(t, s, "POST", base+"exec", url.Values{"command": {"cat"}, "input-data": {strings.Repeat("x", 65537)}}, 400, "65536")
	agentFails(t, s, "GET", base+"exec-status", url.Values{"pid": {"x"}}, 400, "type check ('integer') failed")
}

func TestAgentFilesystem(t *testing.T) {
	now := time.Date(2025, 6, 2, 10, 0, 0, 0, time.UTC)
	s := agentSim(t, &now)
	const base = "/nodes/pve1/qemu/100/agent/"
	var f struct {
		Content   string
		Truncated int
	}
	// decode=0 forwards the agent's base64.
	agentOK(t, s, "GET", base+"file-read", url.Values{"file": {"/etc/hostname"}, "decode": {"0"}}, &f)
	if raw, _ := base64.StdEncoding.DecodeString(f.Content); string(raw) != "web01\n" {
		t.Errorf("base64 read %q", f.Content)
	}
	// encode=0 takes base64 content.
	agentOK(t, s, "POST", base+"file-write", url.Values{"file": {"/root/note"}, "content": {base64.StdEncoding.EncodeToString([]byte("hi\n"))}, "encode": {"0"}}, nil)
	agentOK(t, s, "GET", base+"file-read", url.Values{"file": {"/root/note"}}, &f)
	if f.Content != "hi\n" || f.Truncated != 0 {
		t.Errorf("read back %+v", f)
	}
	agentFails(t, s, "POST", base+"file-write", url.Values{"file": {"/root/x"}, "content": {"not base64!"}, "encode": {"0"}}, 500, "guest-file-write")
	agentFails(t, s, "POST", base+"file-write", url.Values{"file": {"/etc"}, "content": {"x"}}, 500, "(mode: 'wb'): Is a directory")
	agentFails(t, s, "POST", base+"file-write", url.Values{"file": {"/proc/sys/x"}, "content": {"x"}}, 500, "No such file or directory")
	agentFails(t, s, "POST", base+"file-write", url.Values{"file": {"/proc/uptime"}, "content": {"x"}}, 500, "Permission denied")
	agentFails(t, s, "GET", base+"file-read", url.Values{"file": {"/x"}, "count": {"0"}}, 400, "count")

	// offset past the end reads nothing; count cuts and says so.
	agentOK(t, s, "GET", base+"file-read", url.Values{"file": {"/etc/hostname"}, "offset": {"100"}}, &f)
	if f.Content != "" || f.Truncated != 0 {
		t.Errorf("past the end: %+v", f)
	}
	agentOK(t, s, "GET", base+"file-read", url.Values{"file": {"/etc/hostname"}, "count": {"3"}}, &f)
	if f.Content != "web" || f.Truncated != 1 {
		t.Errorf("count 3: %+v", f)
	}
	// /proc/uptime follows the clock.
	agentOK(t, s, "GET", base+"file-read", url.Values{"file": {"/proc/uptime"}}, &f)
	first := f.Content
	now = now.Add(time.Hour)
	agentOK(t, s, "GET", base+"file-read", url.Values{"file": {"/proc/uptime"}}, &f)
	if f.Content == first {
		t.Errorf("/proc/uptime did not move: %q", first)
	}
	// ls sees written files; a recreated VMID starts with a fresh guest.
	var started struct{ PID int }
	agentOK(t, s, "POST", base+"exec", url.Values{"command": {"ls", "/root"}}, &started)
	var st map[string]any
	for i := 0; i < 2; i++ {
		agentOK(t, s, "GET", base+"exec-status", url.Values{"pid": {strconv.Itoa(started.PID)}}, &st)
	}
	if st["out-data"] != "note\n" {
		t.Errorf("ls /root: %v", st)
	}
	g := *s.guests[100]
	g.Config = cloneMap(g.Config)
	s.guests[100] = &g
	agentFails(t, s, "GET", base+"file-read", url.Values{"file": {"/root/note"}}, 500,
		"VM 100 qmp command 'guest-file-open' failed - failed to open file '/root/note' (mode: 'r'): No such file or directory")
}

func TestAgentGuestInfo(t *testing.T) {
	now := time.Date(2025, 6, 2, 10, 0, 0, 0, time.UTC)
	s := agentSim(t, &now)
	var info struct{ Result map[string]string }
	agentOK(t, s, "GET", "/nodes/pve1/qemu/100/agent/get-osinfo", nil, &info)
	if info.Result["id"] != "debian" || info.Result["version-id"] != "12" {
		t.Errorf("osinfo 100: %v", info.Result)
	}
	// A Windows guest answers as one.
	win := s.guests[102]
	s.setRunning(win)
	agentOK(t, s, "GET", "/nodes/pve2/qemu/102/agent/get-osinfo", nil, &info)
	if info.Result["id"] != "mswindows" || info.Result["pretty-name"] != "Windows 11 Pro" {
		t.Errorf("osinfo 102: %v", info.Result)
	}
	var ifs struct {
		Result []struct {
			Name string `json:"name"`
			MAC  string `json:"hardware-address"`
			IPs  []struct {
				IP     string `json:"ip-address"`
				Type   string `json:"ip-address-type"`
				Prefix int    `json:"prefix"`
			} `json:"ip-addresses"`
		}
	}
	agentOK(t, s, "GET", "/nodes/pve2/qemu/102/agent/network-get-interfaces", nil, &ifs)
	if len(ifs.Result) != 2 || ifs.Result[0].Name != "Loopback Pseudo-Interface 1" || ifs.Result[1].Name != "Ethernet" ||
		ifs.Result[1].MAC != "bc:24:11:a0:01:02" || ifs.Result[1].IPs[1].Type != "ipv6" || ifs.Result[1].IPs[1].IP != "fe80::be24:11ff:fea0:102" {
		t.Errorf("interfaces 102: %+v", ifs.Result)
	}
	agentFails(t, s, "GET", "/nodes/pve2/qemu/102/agent/file-read", url.Values{"file": {`C:\nope.txt`}}, 500, "The system cannot find the path specified")
	agentOK(t, s, "GET", "/nodes/pve2/qemu/102/agent/file-read", url.Values{"file": {`C:\Windows\System32\drivers\etc\hosts`}}, nil)
}
