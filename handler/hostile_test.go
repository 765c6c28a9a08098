package handler

import (
	"bufio"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/jsonschema-go/jsonschema"
	"github.com/pve-mcp/pve-mcp/config"
	"github.com/pve-mcp/pve-mcp/pve"
	"github.com/pve-mcp/pve-mcp/tools"
)

// injections are values an attacker puts in a parameter that lands in a URL
// path, hoping to reach another endpoint. Each carries the marker "zz".
var injections = []string{
	"../zz", "../../access/users/zz", "zz/../../nodes", "zz%2F..%2Faccess", "zz%2fx", "zz?delete=1", "zz#frag",
	"zz\nX-Injected: 1", "zz\r\nHost: evil", "zz\x00", "zz\\..\\x", "..", ".", "zz/", "/zz", "zz%00", "zz%", "zz\t",
	"zz%252F", "..%2Fzz", "zz;x", "zz x", "zz@x:y",
}

// minimalArgs fills the required properties of a tool's schema with valid
// values, so that a call reaches the tool's handler.
func minimalArgs(s *jsonschema.Schema) map[string]any {
	args := map[string]any{}
	for _, name := range s.Required {
		p := s.Properties[name]
		if p == nil {
			continue
		}
		args[name] = sampleValue(name, p)
	}
	return args
}

func sampleValue(name string, p *jsonschema.Schema) any {
	if len(p.Enum) > 0 {
		return p.Enum[0]
	}
	typ := p.Type
	if typ == "" && len(p.Types) > 0 {
		typ = p.Types[0]
	}
	switch typ {
	case "integer", "number":
		n := 100.0
		if p.Minimum != nil && *p.Minimum > n {
			n = *p.Minimum
		}
		if p.Maximum != nil && *p.Maximum < n {
			n = *p.Maximum
		}
		return n
	case "boolean":
		return false
	case "array":
		if p.Items != nil {
			return []any{sampleValue(name, p.Items)}
		}
		return []any{}
	case "object":
		return map[string]any{}
	}
	if v, ok := sampleStrings[name]; ok {
		return v
	}
	return "x"
}

// sampleStrings are valid values for string properties with a format.
var sampleStrings = map[string]string{
	"node": "pve1", "target": "pve2", "storage": "local", "userid": "root@pam", "snapname": "snap1",
	"iface": "vmbr9", "sid": "vm:100", "upid": "UPID:pve1:00001234:00005678:6B000000:qmstart:100:root@pam:",
	"schedule": "daily", "vmid": "100",
}

// sampleOverrides are valid values where a tool's own checks need more than
// a generic sample (disk names per guest type, URLs, file names ...), so the
// positive control can reach Proxmox.
var sampleOverrides = map[string]map[string]any{
	"pve_exec_qemu_agent_command":    {"command": []any{"uptime"}},
	"pve_write_qemu_agent_file":      {"file": "/tmp/probe"},
	"pve_resize_qemu_disk":           {"disk": "scsi0", "size": "+1G"},
	"pve_resize_lxc_disk":            {"disk": "rootfs", "size": "+1G"},
	"pve_move_qemu_disk":             {"disk": "scsi0", "storage": "local"},
	"pve_move_lxc_volume":            {"volume": "rootfs", "storage": "local"},
	"pve_unlink_qemu_disk":           {"idlist": []any{"unused0"}},
	"pve_download_url_to_storage":    {"url": "https://example.invalid/a.iso", "filename": "a.iso"},
	"pve_create_guest_firewall_rule": {"action": "ACCEPT"},
	"pve_get_disk_smart":             {"disk": "/dev/sda"},
	"pve_pull_oci_image":             {"reference": "docker.io/library/nginx:1.27"},
	"pve_restore_qemu_vm":            {"archive": "nfs-backup:backup/vzdump-qemu-102-2026_01_01-00_00_00.vma.zst"},
	"pve_restore_lxc_container":      {"archive": "nfs-backup:backup/vzdump-lxc-203-2026_01_01-00_00_00.tar.zst"},
	"pve_delete_storage_volume":      {"volume": "local:iso/debian-12.7.0-amd64-netinst.iso"},
}

// Every string parameter that fills a URL path segment, in every tool,
// against every injection: the tool fails cleanly and nothing carrying the
// payload reaches Proxmox. A safe value in the same parameter does reach
// it, so the test cannot pass by never calling Proxmox.
func TestPathInjection(t *testing.T) {
	e := newSecEnv(t, map[string]string{"MCP_AUTH_TOKENS": "admin:full:" + tokAdmin,
		"PVE_GUEST_EXEC": "allow", "PVE_GUEST_EXEC_ALLOW": ".*"})
	fields, reached, guarded := 0, 0, 0
	var missed []string
	for _, tl := range oneClusterTools(t) {
		def, err := tl.MCP()
		if err != nil {
			t.Fatal(err)
		}
		placeholders := pathParams(tl)
		for _, f := range pve.Fields(tl.Input) {
			if f.Type.Kind() != reflect.String || !slices.Contains(placeholders, f.JSON) {
				continue
			}
			schema, ok := def.InputSchema.(*jsonschema.Schema)
			if !ok {
				t.Fatalf("%s: input schema is %T", tl.Name, def.InputSchema)
			}
			fields++
			base := minimalArgs(schema)
			for k, v := range sampleOverrides[tl.Name] {
				base[k] = v
			}

			// Positive control: a harmless marker reaches the simulator in the path.
			e.wire.reset()
			args := clone(base)
			args[f.JSON] = "okmark"
			e.call(tokAdmin, tl.Name, args)
			hit := false
			for _, r := range e.wire.all() {
				hit = hit || strings.Contains(strings.SplitN(r, " ", 3)[1], "/okmark")
			}
			if hit {
				reached++
			} else if p := schema.Properties[f.JSON]; p.Pattern != "" || len(p.Enum) > 0 {
				guarded++ // its own pattern or enum refuses the marker (and, below, every payload)
			} else {
				missed = append(missed, tl.Name+"."+f.JSON)
			}

			for _, inj := range injections {
				e.wire.reset()
				args := clone(base)
				args[f.JSON] = inj
				res, err := e.call(tokAdmin, tl.Name, args)
				refused := err != nil || res.IsError
				for _, problem := range injectionProblems(tl.Calls, inj, e.wire.all()) {
					t.Errorf("%s %s=%q %s", tl.Name, f.JSON, inj, problem)
				}
				if !refused && unsafePayload(inj) && len(e.wire.all()) > 0 {
					t.Errorf("%s %s=%q succeeded: %.200s", tl.Name, f.JSON, inj, res.text())
				}
			}
		}
	}
	t.Logf("%d path parameters tried with %d payloads each; the safe marker reached Proxmox through %d, %d are pattern- or enum-guarded", fields, len(injections), reached, guarded)
	if fields < 40 {
		t.Fatalf("only %d path parameters found: the tool walk is broken", fields)
	}
	if len(missed) > 2 {
		t.Fatalf("the safe marker did not reach Proxmox through %v: the test arguments are too weak to mean anything there", missed)
	}
}

// pathParams are the placeholders of the calls whose paths a tool's input
// fills: for a write tool its write calls only, since the reads a planner
// declares for dry_run (tools/dryrun.go) may take a field the real call
// sends in its body as a placeholder (a container's storage, say), and a
// call without dry_run puts it in no path; for a read tool every call.
func pathParams(tl *tools.Tool) []string {
	var out []string
	for _, c := range tl.Calls {
		if tl.Kind == tools.Read || c.Method != "GET" {
			out = append(out, pve.Placeholders(c.Path)...)
		}
	}
	return out
}

// unsafePayload reports whether inj would change a path if it were not
// escaped: a separator, an escape, a control character or a dot segment.
func unsafePayload(inj string) bool {
	return strings.ContainsAny(inj, "/?#%\\\x00\n\r\t") || inj == ".." || inj == "."
}

// injectionProblems checks what reached Proxmox (wire records, "METHOD
// URI BODY") after a call that put inj in a path parameter: every request
// fits a declared call, the payload arrives only whole as one escaped
// segment, and an unsafe payload arrives nowhere.
func injectionProblems(calls []tools.Call, inj string, wire []string) []string {
	var out []string
	for _, r := range wire {
		parts := strings.SplitN(r, " ", 3)
		method, uri := parts[0], parts[1]
		path, _, _ := strings.Cut(strings.TrimPrefix(uri, "/api2/json"), "?")
		if !matchesCall(calls, method, path) {
			out = append(out, "caused an undeclared call: "+r)
		}
		if strings.Contains(r, "zz") && !strings.Contains(path, "/"+url.PathEscape(inj)) {
			out = append(out, "reached Proxmox altered: "+r)
		}
		if unsafePayload(inj) && (strings.Contains(r, "zz") || strings.Contains(path, "/../") || strings.HasSuffix(path, "/..")) {
			out = append(out, "reached Proxmox: "+r)
		}
	}
	return out
}

// The path-injection test can fail: its checks flag a payload that reaches
// Proxmox raw or altered, and its choice of path parameters keeps a write
// tool's own path fields while leaving out body fields that only a dry
// run's reads put in a path.
func TestPathInjectionCanFail(t *testing.T) {
	calls := []tools.Call{{Method: "GET", Path: "/nodes/{node}/qemu/{vmid}/status/current"}, {Method: "POST", Path: "/nodes/{node}/qemu/{vmid}/status/start"}}
	checks := []struct {
		name, inj string
		wire      []string
		want      string // "" for no problem
	}{
		{"escaped safe payload", "zz;x", []string{"POST /api2/json/nodes/zz%3Bx/qemu/100/status/start "}, ""},
		{"raw separator", "../zz", []string{"GET /api2/json/nodes/../zz/qemu/100/status/current "}, "undeclared call"},
		{"escaped, still unsafe", "../zz", []string{"POST /api2/json/nodes/..%2Fzz/qemu/100/status/start "}, "reached Proxmox:"},
		{"payload cut", "zz?delete=1", []string{"POST /api2/json/nodes/zz/qemu/100/status/start?delete=1 "}, "altered"},
		{"payload in a body", "zz x", []string{"POST /api2/json/nodes/pve1/qemu/100/status/start node=zz+x"}, "altered"},
		{"other endpoint", "zz", []string{"DELETE /api2/json/nodes/zz/qemu/100 "}, "undeclared call"},
	}
	for _, c := range checks {
		got := strings.Join(injectionProblems(calls, c.inj, c.wire), "; ")
		if c.want == "" && got != "" || !strings.Contains(got, c.want) {
			t.Errorf("%s: problems %q, want %q", c.name, got, c.want)
		}
	}

	byName := map[string]*tools.Tool{}
	for _, tl := range oneClusterTools(t) {
		byName[tl.Name] = tl
	}
	params := []struct {
		tool, field string
		want        bool
	}{
		{"pve_create_lxc_container", "node", true},     // its POST /nodes/{node}/lxc
		{"pve_create_lxc_container", "storage", false}, // a body field; only its plan reads .../storage/{storage}/content
		{"pve_delete_storage_volume", "volume", true},  // its DELETE .../content/{volume}
		{"pve_run_backup", "storage", false},           // sent to vzdump in the body
		{"pve_list_storage_content", "storage", true},  // a read tool: every call counts
	}
	for _, c := range params {
		tl := byName[c.tool]
		if tl == nil {
			t.Fatalf("no tool %s", c.tool)
		}
		if got := slices.Contains(pathParams(tl), c.field); got != c.want {
			t.Errorf("%s.%s counted as a path parameter: %v, want %v (calls %v)", c.tool, c.field, got, c.want, tl.Calls)
		}
	}
}

func clone(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// matchesCall reports whether an escaped path fits one of the tool's call
// templates (or the node lookup): same method, same literal segments, one
// segment per placeholder.
func matchesCall(calls []tools.Call, method, path string) bool {
	for _, c := range append(slices.Clone(calls), tools.Call{Method: "GET", Path: "/cluster/resources"}, tools.Call{Method: "GET", Path: "/nodes/{node}/tasks/{upid}/status"}) {
		if c.Method != method {
			continue
		}
		tpl, got := strings.Split(c.Path, "/"), strings.Split(path, "/")
		if len(tpl) != len(got) {
			continue
		}
		ok := true
		for i := range tpl {
			if strings.HasPrefix(tpl[i], "{") {
				if got[i] == "" || got[i] == "." || got[i] == ".." {
					ok = false
				}
				continue
			}
			if tpl[i] != got[i] {
				ok = false
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// Hostile HTTP: what reaches /mcp is bounded and checked before any tool
// runs; nothing panics, nothing reaches Proxmox, the token is never echoed.
func TestHostileRequests(t *testing.T) {
	e := newSecEnv(t, map[string]string{"MCP_AUTH_TOKENS": allTokens, "MCP_ALLOWED_ORIGINS": "https://app.example.com"})
	del := rpcBody(1, "tools/call", map[string]any{"name": "pve_delete_qemu_vm", "arguments": map[string]any{"vmid": 102}})
	deep := strings.Repeat("[", 100) + strings.Repeat("]", 100)
	cases := []struct {
		name    string
		token   string
		body    string
		headers []string
		status  int    // expected HTTP status
		inBody  string // text the answer must contain
	}{
		{"oversized body", tokAdmin, `{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"pad":"` + strings.Repeat("a", MaxBodyBytes) + `"}}`, nil, 413, "exceeds"},
		{"truncated JSON", tokAdmin, del[:len(del)-5], nil, 400, ""},
		{"empty body", tokAdmin, "", nil, 400, ""},
		{"not JSON", tokAdmin, "DELETE /nodes/pve2/qemu/102", nil, 400, ""},
		{"deep nesting", tokAdmin, `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"pve_list_nodes","arguments":{"a":` + deep + `}}}`, nil, 400, "nested deeper"},
		{"text/plain", tokAdmin, del, []string{"Content-Type", "text/plain"}, 415, ""},
		{"form", tokAdmin, "vmid=102", []string{"Content-Type", "application/x-www-form-urlencoded"}, 415, ""},
		{"no content type", tokAdmin, del, []string{"Content-Type", ""}, 415, ""},
		{"batch (2025-06-18)", tokAdmin, "[" + del + "," + del + "]", nil, 400, "batch"},
		{"unknown method", tokAdmin, rpcBody(1, "admin/exec", map[string]any{"cmd": "rm -rf /"}), nil, 400, ""},
		{"null id", tokAdmin, `{"jsonrpc":"2.0","id":null,"method":"tools/call","params":{"name":"pve_delete_qemu_vm","arguments":{"vmid":102}}}`, nil, 400, ""},
		{"object id", tokAdmin, `{"jsonrpc":"2.0","id":{"a":1},"method":"tools/call","params":{"name":"pve_delete_qemu_vm","arguments":{"vmid":102}}}`, nil, 400, ""},
		{"wrong jsonrpc version", tokAdmin, `{"jsonrpc":"1.0","id":1,"method":"tools/call","params":{"name":"pve_delete_qemu_vm","arguments":{"vmid":102}}}`, nil, 400, ""},
		{"disallowed origin", tokAdmin, del, []string{"Origin", "https://evil.example.com"}, 403, "origin"},
		{"null origin", tokAdmin, del, []string{"Origin", "null"}, 403, "origin"},
		{"rebinding Host on loopback", tokAdmin, del, []string{"Host", "evil.example.com"}, 403, ""},
		{"reader deletes", tokReader, del, nil, 200, "unknown tool"},
	}
	for _, c := range cases {
		e.wire.reset()
		resp, body := e.raw(c.token, c.body, c.headers...)
		if resp.StatusCode != c.status || !strings.Contains(strings.ToLower(body), strings.ToLower(c.inBody)) {
			t.Errorf("%s: HTTP %d %.200q, want %d containing %q", c.name, resp.StatusCode, body, c.status, c.inBody)
		}
		if w := e.writes(); len(w) != 0 {
			t.Errorf("%s: reached Proxmox: %v", c.name, w)
		}
		if strings.Contains(body, c.token) || strings.Contains(fmt.Sprint(resp.Header), c.token) {
			t.Errorf("%s: the token is in the answer", c.name)
		}
	}
	for _, m := range []string{http.MethodGet, http.MethodPut, http.MethodDelete, http.MethodPatch} {
		req, _ := http.NewRequest(m, e.srv.URL+"/mcp", strings.NewReader(del))
		req.Header.Set("Authorization", "Bearer "+tokAdmin)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusMethodNotAllowed {
			t.Errorf("%s /mcp: %d, want 405", m, resp.StatusCode)
		}
	}
	if _, ok := e.sim.Guest(102); !ok {
		t.Fatal("VM 102 was deleted by a hostile request")
	}
	if strings.Contains(e.logs.String(), tokAdmin) || strings.Contains(e.logs.String(), tokReader) {
		t.Fatal("a token is in the log")
	}
}

// Huge numbers, negative and fractional vmids never reach Proxmox.
func TestHostileNumbers(t *testing.T) {
	e := newSecEnv(t, map[string]string{"MCP_AUTH_TOKENS": allTokens})
	for _, raw := range []string{"1e400", "99999999999999999999999", "-1", "-100", "0", "99", "100.5", `"100"`, "true", "null", "[]", "{}"} {
		e.wire.reset()
		body := `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"pve_delete_qemu_vm","arguments":{"vmid":` + raw + `}}}`
		resp, out := e.raw(tokAdmin, body)
		// A number no float64 holds is refused with the framing, as a parse error.
		outOfRange := resp.StatusCode == 400 && strings.Contains(out, `"code":-32700`) && strings.Contains(out, "number out of range")
		if resp.StatusCode != 200 && !(raw == "1e400" && outOfRange) {
			t.Errorf("vmid %s: HTTP %d %s", raw, resp.StatusCode, out)
			continue
		}
		if !strings.Contains(out, `"isError":true`) && !strings.Contains(out, `"error"`) {
			t.Errorf("vmid %s accepted: %.200s", raw, out)
		}
		if w := e.wire.all(); len(w) != 0 {
			t.Errorf("vmid %s reached Proxmox: %v", raw, w)
		}
	}
}

// JSON-RPC batches under the 2025-03-26 protocol (which allowed them) go
// through the same per-call tier checks.
func TestBatchKeepsTier(t *testing.T) {
	e := newSecEnv(t, map[string]string{"MCP_AUTH_TOKENS": allTokens})
	one := func(id int, vmid int) string {
		return rpcBody(id, "tools/call", map[string]any{"name": "pve_delete_qemu_vm", "arguments": map[string]any{"vmid": vmid}})
	}
	resp, body := e.raw(tokReader, "["+one(1, 102)+","+one(2, 9000)+"]", "Mcp-Protocol-Version", "2025-03-26")
	if w := e.writes(); len(w) != 0 {
		t.Fatalf("batch from a reader reached Proxmox: %v (HTTP %d %s)", w, resp.StatusCode, body)
	}
	if resp.StatusCode == 200 && strings.Count(body, "unknown tool") != 2 {
		t.Errorf("batch answer: %s", body)
	}
}

// A request body cut short on the wire (Content-Length larger than what
// arrives) is refused without reaching Proxmox.
func TestTruncatedBodyOnTheWire(t *testing.T) {
	e := newSecEnv(t, map[string]string{"MCP_AUTH_TOKENS": allTokens})
	u, _ := url.Parse(e.srv.URL)
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	del := rpcBody(1, "tools/call", map[string]any{"name": "pve_delete_qemu_vm", "arguments": map[string]any{"vmid": 102}})
	fmt.Fprintf(conn, "POST /mcp HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nContent-Length: %d\r\n\r\n%s",
		u.Host, tokAdmin, len(del)+500, del)
	conn.(*net.TCPConn).CloseWrite()
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err == nil {
		io.Copy(io.Discard, resp.Body)
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("truncated body: HTTP %d, want 400", resp.StatusCode)
		}
	} // a closed connection is also a correct answer
	if w := e.writes(); len(w) != 0 {
		t.Fatalf("truncated request reached Proxmox: %v", w)
	}
}

// Allowed origins get CORS answers; requests without Origin are unaffected.
func TestOrigins(t *testing.T) {
	e := newSecEnv(t, map[string]string{"MCP_AUTH_TOKENS": allTokens, "MCP_ALLOWED_ORIGINS": "https://app.example.com, http://localhost:6274"})
	list := rpcBody(1, "tools/list", map[string]any{})
	for _, c := range []struct {
		origin string
		want   int
	}{
		{"", 200}, {"https://app.example.com", 200}, {"https://APP.example.com:443", 200}, {"http://localhost:6274", 200},
		{"http://app.example.com", 403}, {"https://app.example.com.evil.com", 403}, {"http://localhost:6275", 403}, {"file://", 403},
	} {
		resp, body := e.raw(tokReader, list, "Origin", c.origin)
		if resp.StatusCode != c.want {
			t.Errorf("Origin %q: %d, want %d: %.100s", c.origin, resp.StatusCode, c.want, body)
		}
		if c.want == 200 && c.origin != "" && resp.Header.Get("Access-Control-Allow-Origin") != c.origin {
			t.Errorf("Origin %q: ACAO %q", c.origin, resp.Header.Get("Access-Control-Allow-Origin"))
		}
	}
	req, _ := http.NewRequest(http.MethodOptions, e.srv.URL+"/mcp", nil)
	req.Header.Set("Origin", "https://app.example.com")
	req.Header.Set("Access-Control-Request-Method", "POST")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent || !strings.Contains(resp.Header.Get("Access-Control-Allow-Headers"), "Authorization") {
		t.Errorf("preflight: %d %v", resp.StatusCode, resp.Header)
	}
	// Without MCP_ALLOWED_ORIGINS every browser origin is refused, even with a valid token.
	strict := newSecEnv(t, map[string]string{"MCP_AUTH_TOKENS": allTokens})
	if resp, _ := strict.raw(tokAdmin, list, "Origin", "http://localhost:3000"); resp.StatusCode != 403 {
		t.Errorf("no allowed origins: %d", resp.StatusCode)
	}
	// The server's own loopback origin is allowed without being listed (the
	// MCP conformance scenario dns-rebinding-protection); other ports, other
	// loopback names and rebound names are not.
	own := strings.TrimPrefix(strict.srv.URL, "http://") // 127.0.0.1:PORT
	_, port, _ := net.SplitHostPort(own)
	for _, c := range []struct {
		origin, host string
		want         int
	}{
		{"http://" + own, "", 200},
		{"http://" + own + "/", "", 200},
		{"https://" + own, "", 403},
		{"http://127.0.0.1:1", "", 403},
		{"http://localhost:" + port, "", 403},
		{"http://localhost:" + port, "localhost:" + port, 200},
		{"http://evil.example.com:" + port, "evil.example.com:" + port, 403},
	} {
		headers := []string{"Origin", c.origin}
		if c.host != "" {
			headers = append(headers, "Host", c.host)
		}
		if resp, body := strict.raw(tokAdmin, list, headers...); resp.StatusCode != c.want {
			t.Errorf("own origin: Origin %q Host %q: %d, want %d: %.100s", c.origin, c.host, resp.StatusCode, c.want, body)
		}
	}
}

// The per-request deadline reaches the Proxmox call.
func TestRequestDeadline(t *testing.T) {
	release := make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(hang.Close)
	t.Cleanup(func() { close(release) })
	cfg, err := config.FromEnv(func(k string) string {
		return map[string]string{"MCP_REQUEST_TIMEOUT": "1"}[k]
	}, true)
	if err != nil {
		t.Fatal(err)
	}
	cfg.PVE = pve.Config{BaseURL: hang.URL, TokenID: simTokenID, TokenSecret: simTokenSecret}
	h, err := New(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	e := &secEnv{t: t, srv: srv}
	start := time.Now()
	res, err := e.call("", "pve_get_node_status", map[string]any{"node": "pve1"})
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("call took %v with a 1 s request deadline", d)
	}
	if err == nil && !res.IsError {
		t.Fatalf("call to a hanging Proxmox succeeded: %s", res.text())
	}
}
