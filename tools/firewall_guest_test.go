package tools

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pve-mcp/pve-mcp/pve/pvesim"
)

func (e *testEnv) scopedRules(args map[string]any) []fwRule {
	e.t.Helper()
	var rules []fwRule
	e.okJSON("pve_list_guest_firewall_rules", args, &rules)
	return rules
}

// TestGuestFirewallListLevels: vmid picks the guest's firewall at the right
// path for a VM and a container (node found from the cluster), node alone
// the host firewall; neither, or an unknown guest, is refused.
func TestGuestFirewallListLevels(t *testing.T) {
	e := fullEnv(t)
	cases := []struct {
		name string
		args map[string]any
		path string
		want []string
	}{
		{"vm without node", map[string]any{"vmid": 100}, "/nodes/pve1/qemu/100/firewall/rules", []string{"public web", "", ""}},
		{"ct with node", map[string]any{"vmid": 201, "node": "pve2"}, "/nodes/pve2/lxc/201/firewall/rules", []string{"known bad ranges"}},
		{"host firewall", map[string]any{"node": "pve3"}, "/nodes/pve3/firewall/rules", []string{"Ceph public network"}},
		{"guest without rules", map[string]any{"vmid": 203}, "/nodes/pve1/lxc/203/firewall/rules", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rules := e.scopedRules(c.args)
			sentExactly(t, e.lastRequest("GET", c.path).Params, nil)
			if len(rules) != len(c.want) {
				t.Fatalf("rules %+v, want comments %q", rules, c.want)
			}
			for i, r := range rules {
				if r.Pos != i || r.Comment != c.want[i] || r.Digest == "" {
					t.Errorf("rule %d: %+v", i, r)
				}
			}
		})
	}
	for _, f := range []struct {
		args map[string]any
		want string
	}{
		{nil, "pass vmid for a guest's firewall, or node alone"},
		{map[string]any{"vmid": 777}, "no VM or container with vmid 777"},
		{map[string]any{"vmid": 100, "node": "pve2"}, "no VM or container 100 on node pve2"},
		{map[string]any{"node": "pve9"}, "hostname lookup 'pve9' failed"},
	} {
		if msg := e.fails("pve_list_guest_firewall_rules", f.args); !strings.Contains(msg, f.want) {
			t.Errorf("%v: %s, want %q", f.args, msg, f.want)
		}
	}
}

// TestGuestFirewallCreateRule: a rule lands at the asked position of the
// container's firewall through create + digest-guarded move; the guest
// level refuses what only hosts allow.
func TestGuestFirewallCreateRule(t *testing.T) {
	e := fullEnv(t)
	var got fwRule
	e.okJSON("pve_create_guest_firewall_rule", map[string]any{"vmid": 201, "type": "in", "action": "ACCEPT", "proto": "tcp",
		"dport": "8443", "source": "10.0.0.0/24", "enable": 1, "comment": "admin UI", "pos": 1}, &got)
	post := e.lastRequest("POST", "/nodes/pve2/lxc/201/firewall/rules")
	sentExactly(t, post.Params, map[string]string{"type": "in", "action": "ACCEPT", "proto": "tcp", "dport": "8443",
		"source": "10.0.0.0/24", "enable": "1", "comment": "admin UI"})
	move := e.lastRequest("PUT", "/nodes/pve2/lxc/201/firewall/rules/0")
	if move.Params.Get("moveto") != "2" || move.Params.Get("digest") == "" || len(move.Params) != 2 {
		t.Errorf("move params %v", move.Params)
	}
	if got.Pos != 1 || got.Comment != "admin UI" || got.DPort != "8443" {
		t.Errorf("result %+v", got)
	}
	state := e.sim.FirewallRulesAt("lxc/201")
	if len(state) != 2 || state[0]["comment"] != "known bad ranges" || state[1]["comment"] != "admin UI" || state[1]["enable"] != "1" {
		t.Errorf("state %v", state)
	}
	if n := len(e.sim.FirewallRules()); n != 5 {
		t.Errorf("cluster rules changed: %d", n)
	}

	// At the top (default) on a host firewall: one POST, no move.
	e.sim.ResetRequests()
	e.okJSON("pve_create_guest_firewall_rule", map[string]any{"node": "pve1", "type": "forward", "action": "DROP", "dest": "10.9.0.0/16"}, &got)
	if got.Pos != 0 || got.Type != "forward" || got.Enable == nil || *got.Enable != 0 {
		t.Errorf("host rule %+v (omitting enable creates it inactive)", got)
	}
	if e.sim.Find("PUT", "/nodes/pve1/firewall/rules/0") != nil {
		t.Error("moved a rule created at the top")
	}

	for _, f := range []struct {
		args map[string]any
		want string
	}{
		{map[string]any{"vmid": 100, "type": "forward", "action": "ACCEPT"}, "forward rules are only allowed on host and vnet level"},
		{map[string]any{"vmid": 100, "type": "in", "action": "ACCEPT", "iface": "eth0"}, "must be netX"},
		{map[string]any{"vmid": 100, "type": "in", "action": "ACCEPT", "dport": "22"}, "'dport' requires this property"},
		{map[string]any{"vmid": 100, "type": "in", "action": "ACCEPT", "source": "+nosuchset"}, "no such ipset 'nosuchset'"},
		{map[string]any{"vmid": 100, "type": "sideways", "action": "ACCEPT"}, "type"},
	} {
		if msg := e.fails("pve_create_guest_firewall_rule", f.args); !strings.Contains(msg, f.want) {
			t.Errorf("%v: %s, want %q", f.args, msg, f.want)
		}
	}
	if n := len(e.sim.FirewallRulesAt("qemu/100")); n != 3 {
		t.Errorf("refused rules changed VM 100's firewall: %d rules", n)
	}
}

// TestGuestFirewallUpdateDeleteRule: update only sends what was given, moves
// with moveto, refuses a stale digest; delete removes the rule at pos.
func TestGuestFirewallUpdateDeleteRule(t *testing.T) {
	e := fullEnv(t)
	rules := e.scopedRules(map[string]any{"vmid": 100})
	e.ok("pve_update_guest_firewall_rule", map[string]any{"vmid": 100, "pos": 2, "digest": rules[0].Digest,
		"source": "10.0.0.0/24", "delete": []string{"iface"}, "comment": "SSH from LAN"})
	sentExactly(t, e.lastRequest("PUT", "/nodes/pve1/qemu/100/firewall/rules/2").Params,
		map[string]string{"digest": rules[0].Digest, "source": "10.0.0.0/24", "delete": "iface", "comment": "SSH from LAN"})
	r := e.sim.FirewallRulesAt("qemu/100")[2]
	if r["source"] != "10.0.0.0/24" || r["iface"] != "" || r["comment"] != "SSH from LAN" || r["macro"] != "SSH" {
		t.Errorf("updated rule %v", r)
	}
	// The digest changed with the update: the old one is refused.
	if msg := e.fails("pve_delete_guest_firewall_rule", map[string]any{"vmid": 100, "pos": 0, "digest": rules[0].Digest}); !strings.Contains(msg, "detected modified configuration") {
		t.Errorf("stale digest: %s", msg)
	}
	e.ok("pve_update_guest_firewall_rule", map[string]any{"vmid": 100, "pos": 2, "moveto": 0})
	if got := e.scopedRules(map[string]any{"vmid": 100}); got[0].Comment != "SSH from LAN" || got[1].Comment != "public web" {
		t.Errorf("after move: %+v", got)
	}
	e.ok("pve_delete_guest_firewall_rule", map[string]any{"vmid": 100, "node": "pve1", "pos": 1})
	sentExactly(t, e.lastRequest("DELETE", "/nodes/pve1/qemu/100/firewall/rules/1").Params, nil)
	if got := e.sim.FirewallRulesAt("qemu/100"); len(got) != 2 || got[1]["macro"] != "HTTP" {
		t.Errorf("after delete: %v", got)
	}
	if msg := e.fails("pve_delete_guest_firewall_rule", map[string]any{"node": "pve2", "pos": 5}); !strings.Contains(msg, "no rule at position 5") {
		t.Errorf("delete missing: %s", msg)
	}
	if msg := e.fails("pve_update_guest_firewall_rule", map[string]any{"vmid": 201, "pos": 0, "action": "bad action"}); !strings.Contains(msg, "action") {
		t.Errorf("bad action: %s", msg)
	}
}

// TestGuestFirewallOptions: read and change a guest's and a host's
// options; guest-only policies are refused for a host before any call.
func TestGuestFirewallOptions(t *testing.T) {
	e := fullEnv(t)
	var opts struct {
		Enable   int    `json:"enable"`
		PolicyIn string `json:"policy_in"`
		Digest   string `json:"digest"`
	}
	e.okJSON("pve_get_guest_firewall_options", map[string]any{"vmid": 100}, &opts)
	sentExactly(t, e.lastRequest("GET", "/nodes/pve1/qemu/100/firewall/options").Params, nil)
	if opts.Enable != 1 || opts.PolicyIn != "DROP" || opts.Digest == "" {
		t.Errorf("options %+v", opts)
	}

	e.ok("pve_update_guest_firewall_options", map[string]any{"vmid": 201, "enable": false, "policy_in": "DROP",
		"log_level_in": "info", "extra": map[string]any{"macfilter": 0, "ipfilter": 1}})
	sentExactly(t, e.lastRequest("PUT", "/nodes/pve2/lxc/201/firewall/options").Params,
		map[string]string{"enable": "0", "policy_in": "DROP", "log_level_in": "info", "macfilter": "0", "ipfilter": "1"})
	if got := e.sim.FirewallOptionsAt("lxc/201"); got["enable"] != "0" || got["policy_in"] != "DROP" || got["macfilter"] != "0" || got["ipfilter"] != "1" {
		t.Errorf("ct options %v", got)
	}

	e.okJSON("pve_get_guest_firewall_options", map[string]any{"node": "pve2"}, &opts)
	e.ok("pve_update_guest_firewall_options", map[string]any{"node": "pve2", "digest": opts.Digest, "delete": []string{"nosmurfs"},
		"extra": map[string]any{"nf_conntrack_max": 524288}})
	sentExactly(t, e.lastRequest("PUT", "/nodes/pve2/firewall/options").Params,
		map[string]string{"digest": opts.Digest, "delete": "nosmurfs", "nf_conntrack_max": "524288"})
	if got := e.sim.FirewallOptionsAt("node/pve2"); got["nosmurfs"] != "" || got["nf_conntrack_max"] != "524288" || got["tcpflags"] != "1" {
		t.Errorf("host options %v", got)
	}

	e.sim.ResetRequests()
	if msg := e.fails("pve_update_guest_firewall_options", map[string]any{"node": "pve1", "policy_in": "DROP"}); !strings.Contains(msg, "cluster policies") {
		t.Errorf("host policy: %s", msg)
	}
	if r := e.sim.Find("PUT", "/nodes/pve1/firewall/options"); r != nil {
		t.Errorf("a refused change reached Proxmox: %v", r.Params)
	}
	for _, f := range []struct {
		args map[string]any
		want string
	}{
		{map[string]any{"node": "pve1", "extra": map[string]any{"nf_conntrack_max": 1000}}, "nf_conntrack_max"},
		{map[string]any{"vmid": 100, "extra": map[string]any{"tcpflags": 1}}, "tcpflags"},
		{map[string]any{"vmid": 100, "digest": "0000", "enable": true}, "detected modified configuration"},
	} {
		if msg := e.fails("pve_update_guest_firewall_options", f.args); !strings.Contains(msg, f.want) {
			t.Errorf("%v: %s, want %q", f.args, msg, f.want)
		}
	}
}

// TestGuestFirewallLog: a guest sees only its own lines, a host all of its
// node's; start/limit/since/until reach Proxmox and select lines.
func TestGuestFirewallLog(t *testing.T) {
	now := time.Date(2025, 3, 14, 12, 0, 0, 0, time.UTC)
	e := newTestEnvWith(t, Selection{Tier: Full}, pvesim.Options{Now: func() time.Time { return now }})
	type line struct {
		N int    `json:"n"`
		T string `json:"t"`
	}
	var lines []line
	e.okJSON("pve_get_guest_firewall_log", map[string]any{"vmid": 100, "limit": 5, "start": 2}, &lines)
	sentExactly(t, e.lastRequest("GET", "/nodes/pve1/qemu/100/firewall/log").Params, map[string]string{"limit": "5", "start": "2"})
	if len(lines) != 5 || lines[0].N != 3 {
		t.Fatalf("lines %+v", lines)
	}
	for _, l := range lines {
		if !strings.HasPrefix(l.T, "100 ") || !strings.Contains(l.T, "DPT=3389") {
			t.Errorf("foreign line for VM 100: %s", l.T)
		}
	}

	since := now.Add(-30 * time.Minute).Unix()
	e.okJSON("pve_get_guest_firewall_log", map[string]any{"node": "pve1", "since": since, "limit": 0}, &lines)
	sentExactly(t, e.lastRequest("GET", "/nodes/pve1/firewall/log").Params, map[string]string{"since": strconv.FormatInt(since, 10), "limit": "0"})
	if len(lines) != 4 { // one line every 7 minutes
		t.Errorf("lines since 30 min ago: %d %+v", len(lines), lines)
	}
	hostLine := false
	for _, l := range lines {
		hostLine = hostLine || strings.HasPrefix(l.T, "0 ")
	}
	if !hostLine {
		t.Errorf("host log lacks host lines: %+v", lines)
	}

	e.okJSON("pve_get_guest_firewall_log", map[string]any{"vmid": 203}, &lines)
	if len(lines) != 1 || lines[0].T != "no content" {
		t.Errorf("empty log: %+v", lines)
	}
	if msg := e.fails("pve_get_guest_firewall_log", map[string]any{"vmid": 100, "limit": -1}); !strings.Contains(msg, "limit") {
		t.Errorf("negative limit: %s", msg)
	}
}
