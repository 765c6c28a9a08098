package tools

import (
	"strings"
	"testing"
)

type fwRule struct {
	Pos     int    `json:"pos"`
	Digest  string `json:"digest"`
	Type    string `json:"type"`
	Action  string `json:"action"`
	Macro   string `json:"macro"`
	Source  string `json:"source"`
	Proto   string `json:"proto"`
	DPort   string `json:"dport"`
	Enable  *int   `json:"enable"`
	Comment string `json:"comment"`
}

func (e *testEnv) rules() []fwRule {
	e.t.Helper()
	var rules []fwRule
	e.okJSON("pve_list_firewall_rules", nil, &rules)
	return rules
}

func comments(rules []fwRule) string {
	var out []string
	for _, r := range rules {
		out = append(out, r.Comment)
	}
	return strings.Join(out, "|")
}

func TestFirewallReadTools(t *testing.T) {
	e := fullEnv(t)
	cases := []struct {
		tool, path string
		want       []string
	}{
		{"pve_get_firewall_options", "/cluster/firewall/options", []string{`"enable":1`, `"policy_in":"DROP"`, `"digest":"`}},
		{"pve_list_firewall_rules", "/cluster/firewall/rules", []string{`"pos":0`, `"macro":"SSH"`, `"source":"+management"`, `"pos":4`}},
		{"pve_list_firewall_aliases", "/cluster/firewall/aliases", []string{`"name":"backup-server"`, `"cidr":"10.0.0.0/24"`, `"digest":"`}},
		{"pve_list_firewall_ipsets", "/cluster/firewall/ipset", []string{`"name":"blocklist"`, `"comment":"Admin workstations"`}},
	}
	for _, c := range cases {
		t.Run(c.tool, func(t *testing.T) {
			txt := e.ok(c.tool, nil)
			for _, w := range c.want {
				if !strings.Contains(txt, w) {
					t.Errorf("result lacks %s: %.400s", w, txt)
				}
			}
			sentExactly(t, e.lastRequest("GET", c.path).Params, nil)
		})
	}
	rules := e.rules()
	for i, r := range rules {
		if r.Pos != i || r.Digest == "" || r.Digest != rules[0].Digest {
			t.Errorf("rule %d: pos %d digest %q", i, r.Pos, r.Digest)
		}
	}
}

func TestUpdateFirewallOptions(t *testing.T) {
	e := fullEnv(t)
	var opts struct {
		Digest string `json:"digest"`
	}
	e.okJSON("pve_get_firewall_options", nil, &opts)
	e.ok("pve_update_firewall_options", map[string]any{"policy_in": "REJECT", "policy_forward": "DROP", "ebtables": false,
		"enable": 1, "log_ratelimit": "enable=1,rate=10/minute", "delete": []string{"policy_out"}, "digest": opts.Digest})
	sentExactly(t, e.lastRequest("PUT", "/cluster/firewall/options").Params, map[string]string{"policy_in": "REJECT", "policy_forward": "DROP",
		"ebtables": "0", "enable": "1", "log_ratelimit": "enable=1,rate=10/minute", "delete": "policy_out", "digest": opts.Digest})
	got := e.sim.FirewallOptions()
	if got["policy_in"] != "REJECT" || got["policy_forward"] != "DROP" || got["ebtables"] != "0" || got["policy_out"] != "" {
		t.Fatalf("options: %v", got)
	}
	// The old digest no longer matches.
	if msg := e.fails("pve_update_firewall_options", map[string]any{"enable": 0, "digest": opts.Digest}); !strings.Contains(msg, "detected modified configuration") {
		t.Errorf("stale digest: %s", msg)
	}
	if e.sim.FirewallOptions()["enable"] != "1" {
		t.Error("refused update disabled the firewall")
	}
	e.fails("pve_update_firewall_options", map[string]any{"enable": 2})
	e.fails("pve_update_firewall_options", map[string]any{"policy_forward": "REJECT"})
	if msg := e.fails("pve_update_firewall_options", map[string]any{"log_ratelimit": "speed=3"}); !strings.Contains(msg, "log_ratelimit") {
		t.Errorf("bad ratelimit: %s", msg)
	}
}

func TestCreateFirewallRule(t *testing.T) {
	e := fullEnv(t)
	before := e.rules()

	// Default: Proxmox puts the new rule first, disabled unless enable is given.
	var rule fwRule
	e.okJSON("pve_create_firewall_rule", map[string]any{"type": "in", "action": "ACCEPT", "proto": "tcp", "dport": "443",
		"source": "management", "comment": "https", "log": "info"}, &rule)
	sentExactly(t, e.lastRequest("POST", "/cluster/firewall/rules").Params, map[string]string{"type": "in", "action": "ACCEPT",
		"proto": "tcp", "dport": "443", "source": "management", "comment": "https", "log": "info"})
	if rule.Pos != 0 || rule.Comment != "https" || rule.Enable == nil || *rule.Enable != 0 {
		t.Fatalf("created rule: %+v", rule)
	}
	after := e.rules()
	if len(after) != len(before)+1 || after[1].Comment != before[0].Comment {
		t.Fatalf("others did not shift down: %s", comments(after))
	}

	// At a position: created, then moved there under the digest.
	e.sim.ResetRequests()
	e.okJSON("pve_create_firewall_rule", map[string]any{"type": "out", "action": "REJECT", "dest": "+blocklist", "enable": 1, "comment": "no egress to blocklist", "pos": 3}, &rule)
	if rule.Pos != 3 || rule.Comment != "no egress to blocklist" || rule.Enable == nil || *rule.Enable != 1 {
		t.Fatalf("rule at pos 3: %+v", rule)
	}
	sentExactly(t, e.lastRequest("POST", "/cluster/firewall/rules").Params, map[string]string{"type": "out", "action": "REJECT", "dest": "+blocklist", "enable": "1", "comment": "no egress to blocklist"})
	move := e.lastRequest("PUT", "/cluster/firewall/rules/0").Params
	if move.Get("moveto") != "4" || move.Get("digest") == "" {
		t.Errorf("move request: %v", move)
	}
	now := e.rules()
	if got := comments(now); !strings.HasPrefix(got, "https|"+before[0].Comment+"|"+before[1].Comment+"|no egress to blocklist|") {
		t.Errorf("order: %s", got)
	}
	// A position past the end puts it last.
	e.okJSON("pve_create_firewall_rule", map[string]any{"type": "in", "action": "DROP", "comment": "last", "pos": 99}, &rule)
	if last := e.rules(); rule.Pos != len(last)-1 || last[len(last)-1].Comment != "last" {
		t.Errorf("pos past end: %+v, %s", rule, comments(last))
	}

	for _, c := range []struct {
		args map[string]any
		want string
	}{
		{map[string]any{"type": "in", "action": "ALLOW"}, "unknown action 'ALLOW'"},
		{map[string]any{"type": "in", "action": "ACCEPT", "macro": "Quake"}, "unknown macro 'Quake'"},
		{map[string]any{"type": "in", "action": "ACCEPT", "dport": "22"}, "'dport' requires this property"},
		{map[string]any{"type": "in", "action": "ACCEPT", "source": "+nosuchset"}, "no such ipset 'nosuchset'"},
		{map[string]any{"type": "in", "action": "ACCEPT", "dest": "nosuchalias"}, "no such alias 'nosuchalias'"},
		{map[string]any{"type": "in", "action": "ACCEPT", "proto": "icmp", "dport": "22"}, "does not support ports"},
	} {
		if msg := e.fails("pve_create_firewall_rule", c.args); !strings.Contains(msg, c.want) {
			t.Errorf("%v: %s", c.args, msg)
		}
	}
	e.fails("pve_create_firewall_rule", map[string]any{"type": "sideways", "action": "ACCEPT"})
	e.fails("pve_create_firewall_rule", map[string]any{"type": "in", "action": "ACCEPT", "enable": 2})
	e.fails("pve_create_firewall_rule", map[string]any{"type": "in", "action": "ACCEPT", "pos": -1})
}

func TestUpdateAndDeleteFirewallRule(t *testing.T) {
	e := fullEnv(t)
	rules := e.rules()
	e.ok("pve_update_firewall_rule", map[string]any{"pos": 4, "enable": 1, "comment": "now active", "delete": []string{"log"}, "digest": rules[0].Digest})
	sentExactly(t, e.lastRequest("PUT", "/cluster/firewall/rules/4").Params, map[string]string{"enable": "1", "comment": "now active", "delete": "log", "digest": rules[0].Digest})
	got := e.sim.FirewallRules()[4]
	if got["enable"] != "1" || got["comment"] != "now active" || got["log"] != "" || got["action"] != "DROP" {
		t.Fatalf("rule 4: %v", got)
	}
	if msg := e.fails("pve_update_firewall_rule", map[string]any{"pos": 4, "enable": 0, "digest": rules[0].Digest}); !strings.Contains(msg, "detected modified configuration") {
		t.Errorf("stale digest: %s", msg)
	}

	// moveto puts the rule before the one now at that position.
	names := comments(e.rules())
	e.ok("pve_update_firewall_rule", map[string]any{"pos": 0, "moveto": 2})
	sentExactly(t, e.lastRequest("PUT", "/cluster/firewall/rules/0").Params, map[string]string{"moveto": "2"})
	old := strings.Split(names, "|")
	want := strings.Join(append([]string{old[1], old[0]}, old[2:]...), "|")
	if got := comments(e.rules()); got != want {
		t.Errorf("after moveto: %s, want %s", got, want)
	}
	if msg := e.fails("pve_update_firewall_rule", map[string]any{"pos": 42, "comment": "x"}); !strings.Contains(msg, "no rule at position 42") {
		t.Errorf("missing rule: %s", msg)
	}
	if msg := e.fails("pve_update_firewall_rule", map[string]any{"pos": 0, "action": "MAYBE"}); !strings.Contains(msg, "unknown action 'MAYBE'") {
		t.Errorf("bad action: %s", msg)
	}

	// Delete: later rules move up; a stale digest protects against deleting the wrong one.
	rules = e.rules()
	e.ok("pve_delete_firewall_rule", map[string]any{"pos": 1, "digest": rules[0].Digest})
	sentExactly(t, e.lastRequest("DELETE", "/cluster/firewall/rules/1").Params, map[string]string{"digest": rules[0].Digest})
	after := e.rules()
	if len(after) != len(rules)-1 || after[1].Comment != rules[2].Comment || after[1].Pos != 1 {
		t.Fatalf("after delete: %s", comments(after))
	}
	if msg := e.fails("pve_delete_firewall_rule", map[string]any{"pos": 0, "digest": rules[0].Digest}); !strings.Contains(msg, "detected modified configuration") {
		t.Errorf("stale digest: %s", msg)
	}
	if len(e.rules()) != len(after) {
		t.Error("refused delete removed a rule")
	}
	if msg := e.fails("pve_delete_firewall_rule", map[string]any{"pos": 40}); !strings.Contains(msg, "no rule at position 40") {
		t.Errorf("delete missing: %s", msg)
	}
	e.fails("pve_delete_firewall_rule", map[string]any{"pos": -1})
}
