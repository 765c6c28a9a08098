package tools

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestNodeReadTools(t *testing.T) {
	e := fullEnv(t)
	cases := []struct {
		tool string
		args map[string]any
		path string
		want string // a fragment the result must contain
	}{
		{"pve_list_nodes", nil, "/nodes", `"node":"pve3"`},
		{"pve_get_node_status", map[string]any{"node": "pve1"}, "/nodes/pve1/status", `"cpuinfo"`},
		{"pve_get_node_version", map[string]any{"node": "pve2"}, "/nodes/pve2/version", `"release":"9.1"`},
		{"pve_get_node_dns", map[string]any{"node": "pve1"}, "/nodes/pve1/dns", `"search":"lab.example"`},
		{"pve_get_node_time", map[string]any{"node": "pve3"}, "/nodes/pve3/time", `"timezone":"Europe/Vienna"`},
		{"pve_list_node_services", map[string]any{"node": "pve1"}, "/nodes/pve1/services", `"service":"pveproxy"`},
	}
	for _, c := range cases {
		t.Run(c.tool, func(t *testing.T) {
			txt := e.ok(c.tool, c.args)
			if !strings.Contains(txt, c.want) {
				t.Errorf("result lacks %s: %.300s", c.want, txt)
			}
			if strings.Contains(txt, "\n  ") {
				t.Errorf("result is pretty-printed; want compact JSON")
			}
			r := e.lastRequest("GET", c.path)
			if len(r.Params) != 0 {
				t.Errorf("unexpected params %v", r.Params)
			}
		})
	}
}

func TestNodeStatusIsStructured(t *testing.T) {
	e := fullEnv(t)
	res := e.call("pve_get_node_status", map[string]any{"node": "pve1"})
	if res.StructuredContent == nil {
		t.Fatal("object result without structuredContent")
	}
	// A list is wrapped in an object, which every protocol version takes.
	res = e.call("pve_list_nodes", nil)
	var sc struct {
		Items []map[string]any `json:"items"`
	}
	b, _ := json.Marshal(res.StructuredContent)
	if err := json.Unmarshal(b, &sc); err != nil || len(sc.Items) != 3 {
		t.Errorf("list structuredContent %s, want {\"items\": [3 nodes]}", b)
	}
}

func TestSyslogPaging(t *testing.T) {
	e := fullEnv(t)
	var lines []struct {
		N int    `json:"n"`
		T string `json:"t"`
	}
	e.okJSON("pve_get_node_syslog", map[string]any{"node": "pve2", "start": 10, "limit": 5, "since": "2026-01-01"}, &lines)
	if len(lines) != 5 || lines[0].N != 11 {
		t.Fatalf("got %d lines starting at %v, want 5 from 11", len(lines), lines)
	}
	r := e.lastRequest("GET", "/nodes/pve2/syslog")
	if r.Params.Get("start") != "10" || r.Params.Get("limit") != "5" || r.Params.Get("since") != "2026-01-01" {
		t.Errorf("params = %v", r.Params)
	}
	// start=0 is meaningful and must be sent.
	e.ok("pve_get_node_syslog", map[string]any{"node": "pve2", "start": 0, "limit": 1})
	if r := e.lastRequest("GET", "/nodes/pve2/syslog"); r.Params.Get("start") != "0" {
		t.Errorf("start=0 not sent: %v", r.Params)
	}
	msg := e.fails("pve_get_node_syslog", map[string]any{"node": "pve2", "since": "yesterday"})
	if !strings.Contains(msg, "since") {
		t.Errorf("bad since: %s", msg)
	}
}

func TestManageNodeService(t *testing.T) {
	e := fullEnv(t)
	txt := e.ok("pve_manage_node_service", map[string]any{"node": "pve1", "service": "chrony", "command": "restart"})
	if !strings.Contains(txt, "UPID:pve1:") || !strings.Contains(txt, "pve_get_task_status") {
		t.Errorf("want a task result, got %s", txt)
	}
	r := e.lastRequest("POST", "/nodes/pve1/services/chrony/restart")
	if len(r.Params) != 0 {
		t.Errorf("command must not be sent as a parameter: %v", r.Params)
	}
	e.fails("pve_manage_node_service", map[string]any{"node": "pve1", "service": "chrony", "command": "explode"})
	msg := e.fails("pve_manage_node_service", map[string]any{"node": "pve1", "service": "nosuch", "command": "stop"})
	if !strings.Contains(msg, "service") {
		t.Errorf("unknown service: %s", msg)
	}
}

func TestNodeErrors(t *testing.T) {
	e := fullEnv(t)
	cases := []struct {
		name string
		args map[string]any
		want string
	}{
		{"unknown node", map[string]any{"node": "pve9"}, "hostname lookup 'pve9' failed"},
		{"path injection", map[string]any{"node": "../access"}, "not allowed"},
		{"query injection", map[string]any{"node": "pve1?x=1"}, "not allowed"},
		{"fragment", map[string]any{"node": "pve1#x"}, "not allowed"},
		{"newline", map[string]any{"node": "pve1\nx"}, "not allowed"},
		{"missing", map[string]any{}, "node"},
		{"unknown argument", map[string]any{"node": "pve1", "nod": "x"}, "nod"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e.sim.ResetRequests()
			msg := e.fails("pve_get_node_status", c.args)
			if !strings.Contains(msg, c.want) {
				t.Errorf("error %q lacks %q", msg, c.want)
			}
			for _, r := range e.sim.Requests() {
				if c.name != "unknown node" {
					t.Errorf("request reached Proxmox: %s %s", r.Method, r.Path)
				}
			}
		})
	}
}

func TestOfflineNode(t *testing.T) {
	e := fullEnv(t)
	e.sim.SetNodeOnline("pve3", false)
	msg := e.fails("pve_get_node_status", map[string]any{"node": "pve3"})
	if !strings.Contains(msg, "595") {
		t.Errorf("offline node: %s", msg)
	}
	var nodes []map[string]any
	e.okJSON("pve_list_nodes", nil, &nodes)
	for _, n := range nodes {
		if n["node"] == "pve3" && n["status"] != "offline" {
			t.Errorf("pve3 should be listed offline: %v", n)
		}
	}
	_ = json.Valid
}
