package handler

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/pve-mcp/pve-mcp/pve"
)

// A destructive call from a named token leaves exactly one audit line that
// names both, with the Proxmox call it made and the request id the client saw.
func TestAuditDestructiveCall(t *testing.T) {
	e := newSecEnv(t, map[string]string{"MCP_AUTH_TOKENS": allTokens})
	resp, body := e.raw(tokAdmin, rpcBody(7, "tools/call", map[string]any{
		"name": "pve_delete_qemu_vm", "arguments": map[string]any{"vmid": 102, "purge": true},
	}), "X-Request-Id", "req-destroy-102")
	if resp.StatusCode != 200 || strings.Contains(body, `"isError":true`) {
		t.Fatalf("delete: %d %s", resp.StatusCode, body)
	}
	if _, ok := e.sim.Guest(102); ok {
		t.Fatal("VM 102 still exists")
	}
	lines := e.logs.auditLines(t)
	if len(lines) != 1 {
		t.Fatalf("%d audit lines, want 1:\n%s", len(lines), e.logs)
	}
	l := lines[0]
	want := map[string]any{
		"msg": "tool call", "caller": "token:admin", "tool": "pve_delete_qemu_vm", "outcome": "ok",
		"request_id": "req-destroy-102", "tier": "full", "level": "INFO",
	}
	for k, v := range want {
		if l[k] != v {
			t.Errorf("%s = %v, want %v", k, l[k], v)
		}
	}
	if resp.Header.Get("X-Request-Id") != "req-destroy-102" {
		t.Errorf("response X-Request-Id = %q", resp.Header.Get("X-Request-Id"))
	}
	if args, _ := json.Marshal(l["args"]); string(args) != `{"purge":true,"vmid":102}` {
		t.Errorf("args = %s", args)
	}
	calls, _ := json.Marshal(l["pve"])
	if !strings.Contains(string(calls), `{"method":"DELETE","path":"/nodes/pve2/qemu/102","status":200}`) {
		t.Errorf("pve calls = %s", calls)
	}
	if _, ok := l["duration_ms"].(float64); !ok {
		t.Errorf("duration_ms missing: %v", l)
	}
	if _, ok := l["time"].(string); !ok {
		t.Errorf("time missing: %v", l)
	}
	if strings.Contains(e.logs.String(), tokAdmin) {
		t.Fatal("the token is in the log")
	}
}

func TestAuditOutcomes(t *testing.T) {
	e := newSecEnv(t, map[string]string{"MCP_AUTH_TOKENS": allTokens})
	cases := []struct {
		token, tool string
		args        map[string]any
		outcome     string
		caller      string
		wantPVE     string // a Proxmox call the line must name ("" for none)
	}{
		{tokReader, "pve_get_qemu_status", map[string]any{"vmid": 100}, OutcomeOK, "token:reader", `"path":"/nodes/pve1/qemu/100/status/current","status":200`},
		// 103, running and not HA-managed (deleting HA-managed 100 is refused for want of purge).
		{tokAdmin, "pve_delete_qemu_vm", map[string]any{"vmid": 103}, OutcomePVEError, "token:admin", `"method":"DELETE","path":"/nodes/pve2/qemu/103","status":500`},
		{tokReader, "pve_delete_qemu_vm", map[string]any{"vmid": 102}, OutcomeRefused, "token:reader", ""},
		{tokAdmin, "pve_no_such_tool", map[string]any{}, OutcomeRefused, "token:admin", ""},
		{tokAdmin, "pve_get_qemu_status", map[string]any{"vmid": 4242}, OutcomeError, "token:admin", `"path":"/cluster/resources"`},
		{tokAdmin, "pve_get_qemu_status", map[string]any{"vmid": "100; rm -rf /"}, OutcomeError, "token:admin", ""},
	}
	for i, c := range cases {
		before := len(e.logs.auditLines(t))
		e.call(c.token, c.tool, c.args)
		lines := e.logs.auditLines(t)
		if len(lines) != before+1 {
			t.Fatalf("case %d (%s): %d new audit lines, want 1", i, c.tool, len(lines)-before)
		}
		l := lines[len(lines)-1]
		if l["outcome"] != c.outcome || l["caller"] != c.caller || l["tool"] != c.tool {
			t.Errorf("case %d: outcome %v caller %v tool %v, want %s %s %s", i, l["outcome"], l["caller"], l["tool"], c.outcome, c.caller, c.tool)
		}
		calls, _ := json.Marshal(l["pve"])
		if c.wantPVE == "" && string(calls) != "null" && string(calls) != "[]" {
			t.Errorf("case %d: unexpected Proxmox calls %s", i, calls)
		}
		if c.wantPVE != "" && !strings.Contains(string(calls), c.wantPVE) {
			t.Errorf("case %d: pve = %s, want %s", i, calls, c.wantPVE)
		}
		if c.outcome == OutcomePVEError && !strings.Contains(l["error"].(string), "VM 103 is running") {
			t.Errorf("case %d: error = %v", i, l["error"])
		}
	}
}

// Secrets in arguments never reach the log: values under secret-like names,
// strings equal to a bearer token, the Proxmox token.
func TestAuditRedactsArguments(t *testing.T) {
	e := newSecEnv(t, map[string]string{"MCP_AUTH_TOKENS": allTokens})
	e.call(tokAdmin, "pve_create_user", map[string]any{
		"userid": "alice@pve", "password": "hunter2-Secret!", "comment": tokReader,
		"email": "alice@example.com", "firstname": strings.Repeat("A", 1000),
	})
	e.call(tokAdmin, "pve_update_qemu_config", map[string]any{
		"vmid": 102, "extra": map[string]any{"cipassword": "pw-in-extra", "sshkeys": "ssh-ed25519 AAAAC3Nza", "description": simTokenSecret},
	})
	logs := e.logs.String()
	for _, secret := range []string{"hunter2-Secret!", tokReader, "pw-in-extra", "AAAAC3Nza", simTokenSecret, tokAdmin} {
		if strings.Contains(logs, secret) {
			t.Errorf("log contains %q", secret)
		}
	}
	lines := e.logs.auditLines(t)
	if len(lines) != 2 {
		t.Fatalf("%d audit lines", len(lines))
	}
	args := lines[0]["args"].(map[string]any)
	if args["password"] != pve.Redacted || args["comment"] != pve.Redacted || args["email"] != "alice@example.com" || args["userid"] != "alice@pve" {
		t.Errorf("args = %v", args)
	}
	if fn := args["firstname"].(string); len(fn) > auditMaxString+32 || !strings.Contains(fn, "(1000 bytes)") {
		t.Errorf("long string not shortened: %d bytes", len(fn))
	}
	extra := lines[1]["args"].(map[string]any)["extra"].(map[string]any)
	if extra["cipassword"] != pve.Redacted || extra["sshkeys"] != pve.Redacted || extra["description"] != pve.Redacted {
		t.Errorf("extra = %v", extra)
	}
}

func TestRedactArgsBounds(t *testing.T) {
	a := &auditor{}
	long := make([]any, 200)
	for i := range long {
		long[i] = i
	}
	b, _ := json.Marshal(map[string]any{"ids": long, "n": json.Number("1e400")})
	got := string(a.redactArgs(b))
	if !strings.Contains(got, `"... 150 more"`) || !strings.Contains(got, "1e400") {
		t.Errorf("redactArgs = %s", got)
	}
	if got := string(a.redactArgs([]byte(`{"a":`))); got != `{"_invalid_json_bytes":5}` {
		t.Errorf("invalid JSON: %s", got)
	}
	big := `{"x":"` + strings.Repeat("y", auditMaxArgs) + `"}`
	if got := string(a.redactArgs([]byte(big))); !strings.Contains(got, "_omitted_bytes") {
		t.Errorf("huge args: %.100s", got)
	}
	if got := string(a.redactArgs(nil)); got != "{}" {
		t.Errorf("no args: %s", got)
	}
}

// A bearer token or the Proxmox secret anywhere a caller can put text (in a
// longer string, the tool name, an argument key, the request id, escaped or
// upper-cased) never reaches the log, nor the answer.
func TestAuditRedactsTokensAnywhere(t *testing.T) {
	e := newSecEnv(t, map[string]string{"MCP_AUTH_TOKENS": allTokens})
	var esc strings.Builder
	for _, r := range simTokenSecret {
		fmt.Fprintf(&esc, `\u%04X`, r)
	}
	bodies := []string{
		rpcBody(1, "tools/call", map[string]any{"name": "pve_get_qemu_status", "arguments": map[string]any{"vmid": 100, "node": "Bearer " + tokReader + " trailing"}}),
		rpcBody(2, "tools/call", map[string]any{"name": "pve_" + tokReader + "_x", "arguments": map[string]any{}}),
		rpcBody(3, "tools/call", map[string]any{"name": "pve_get_qemu_status", "arguments": map[string]any{"vmid": 100, "k" + tokReader: 1}}),
		rpcBody(4, "tools/call", map[string]any{"name": "pve_get_qemu_status", "arguments": map[string]any{"vmid": 100, "node": strings.ToUpper(simTokenSecret)}}),
		`{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"pve_get_qemu_status","arguments":{"vmid":100,"node":"` + esc.String() + `"}}}`,
		rpcBody(6, "tools/call", map[string]any{"name": "pve_get_qemu_status", "arguments": map[string]any{"vmid": 100}}),
	}
	for i, body := range bodies {
		headers := []string{}
		if i == 5 {
			headers = []string{"X-Request-Id", "id-" + tokReader}
		}
		resp, out := e.raw(tokAdmin, body, headers...)
		if resp.StatusCode != 200 {
			t.Fatalf("call %d: HTTP %d %s", i+1, resp.StatusCode, out)
		}
		if strings.Contains(strings.ToLower(out), strings.ToLower(simTokenSecret)) {
			t.Errorf("call %d: answer shows the Proxmox secret: %s", i+1, out)
		}
	}
	lines := e.logs.auditLines(t)
	if len(lines) != len(bodies) {
		t.Fatalf("%d audit lines, want %d", len(lines), len(bodies))
	}
	logs := strings.ToLower(e.logs.String())
	for _, secret := range []string{tokReader, tokAdmin, simTokenSecret, esc.String()} {
		if strings.Contains(logs, strings.ToLower(secret)) {
			t.Errorf("log contains %q:\n%s", secret, e.logs)
		}
	}
	if n := strings.Count(e.logs.String(), pve.Redacted); n < len(bodies) {
		t.Errorf("%d redactions in the log, want at least %d", n, len(bodies))
	}
	// The token id is no secret: it stays readable where it appears.
	if lines[1]["tool"] != "pve_"+pve.Redacted+"_x" || lines[5]["request_id"] != "id-"+pve.Redacted {
		t.Errorf("tool %v, request_id %v", lines[1]["tool"], lines[5]["request_id"])
	}
}

// Resources, prompts and completions read Proxmox too: each leaves one
// audit line naming the method and what it read, with the Proxmox calls.
func TestAuditReads(t *testing.T) {
	e := newSecEnv(t, map[string]string{"MCP_AUTH_TOKENS": allTokens})
	for _, c := range []struct {
		method string
		params map[string]any
		tool   string
		want   string // in args
	}{
		{"resources/read", map[string]any{"uri": "pve://guest/100/config"}, "resources/read", "pve://guest/100/config"},
		{"prompts/get", map[string]any{"name": "guest_wont_start", "arguments": map[string]any{"vmid": "102"}}, "prompts/get", "guest_wont_start"},
		{"completion/complete", map[string]any{"ref": map[string]any{"type": "ref/prompt", "name": "guest_wont_start"}, "argument": map[string]any{"name": "vmid", "value": "10"}}, "completion/complete", "guest_wont_start"},
	} {
		before := len(e.logs.auditLines(t))
		if r := e.rpc(tokAdmin, c.method, c.params); r.Error != nil {
			t.Fatalf("%s: %s", c.method, r.Error.Message)
		}
		lines := e.logs.auditLines(t)
		if len(lines) != before+1 {
			t.Fatalf("%s: %d new audit lines, want 1", c.method, len(lines)-before)
		}
		l := lines[len(lines)-1]
		args, _ := json.Marshal(l["args"])
		if l["msg"] != "read" || l["tool"] != c.tool || l["caller"] != "token:admin" || l["outcome"] != OutcomeOK || !strings.Contains(string(args), c.want) {
			t.Errorf("%s: audit line %v", c.method, l)
		}
		if calls, _ := l["pve"].([]any); c.method == "resources/read" && len(calls) == 0 {
			t.Errorf("resources/read: no Proxmox calls in the audit line: %v", l)
		}
	}
	// tools/list and the like reach no Proxmox and leave no line.
	before := len(e.logs.auditLines(t))
	e.rpc(tokReader, "tools/list", map[string]any{})
	if n := len(e.logs.auditLines(t)); n != before {
		t.Errorf("tools/list left %d audit lines", n-before)
	}
}
