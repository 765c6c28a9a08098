package tools

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/pve-mcp/pve-mcp/pve/pvesim"
)

// planCase is one dry run and the real call that follows it on the same
// simulator: the plan must say fail (in would_fail) and state want (in its
// lines, see planText, or its JSON); the real call then fails where the
// plan said it would and succeeds where it did not, and after checks that
// it did what the plan said.
type planCase struct {
	name string
	tool string
	args map[string]any
	want []string
	fail string // in would_fail; "" wants none
	// simAllows marks a refusal of real Proxmox the simulator does not
	// model: the real call is not made.
	simAllows bool
	// before sets up what the seed lacks (a lock, say) before the dry run.
	before func(e *testEnv)
	after  func(t *testing.T, e *testEnv, p Plan)
}

// planText is everything a plan states, one item a line.
func planText(p Plan) string {
	lines := slices.Concat([]string{p.Request}, p.WouldFail, p.Notes, p.Destroys, p.Rules, p.Pending)
	for _, c := range p.Changes {
		now := "-"
		if c.Now != nil {
			now = *c.Now
		}
		to := c.To
		if c.Removed {
			to = "(removed)"
		}
		lines = append(lines, fmt.Sprintf("%s: %s -> %s", c.Key, now, to))
	}
	for _, g := range p.Guests {
		lines = append(lines, fmt.Sprintf("guest %d: %s -> %s", g.VMID, g.Now, g.After))
	}
	return strings.Join(lines, "\n")
}

// runPlanCases runs each case in order on e (cases may build on earlier
// ones); every read a planner makes must be one its tool declares.
func runPlanCases(t *testing.T, e *testEnv, cases []planCase) {
	t.Helper()
	for _, c := range cases {
		if c.before != nil {
			c.before(e)
		}
		p := e.dryRun(c.tool, c.args)
		e.readsDeclared(c.tool)
		b, _ := json.Marshal(p)
		txt := planText(p) + "\n" + string(b)
		for _, w := range c.want {
			if !strings.Contains(txt, w) {
				t.Errorf("%s: plan lacks %q:\n%s", c.name, w, txt)
			}
		}
		fails := strings.Join(p.WouldFail, "\n")
		switch {
		case c.fail == "" && fails != "":
			t.Errorf("%s: would_fail %q", c.name, fails)
			continue
		case c.fail != "" && !strings.Contains(fails, c.fail):
			t.Errorf("%s: would_fail %q, want %q", c.name, fails, c.fail)
		}
		if c.simAllows {
			continue
		}
		args := map[string]any{}
		for k, v := range c.args {
			args[k] = v
		}
		if toolByName(c.tool).Task {
			args["wait"] = 30
		}
		if c.fail != "" {
			e.fails(c.tool, args)
			continue
		}
		e.ok(c.tool, args)
		if c.after != nil {
			c.after(t, e, p)
		}
	}
}

// readsDeclared fails the test if a request since the last ResetRequests
// matches none of the tool's declared Calls: the schema tests check only
// what is declared.
func (e *testEnv) readsDeclared(name string) {
	e.t.Helper()
	var calls []Call
	for _, tool := range All() {
		if tool.Name == name {
			calls = tool.Calls
		}
	}
	for _, r := range e.sim.Requests() {
		segs := strings.Split(strings.Trim(r.Path, "/"), "/")
		if !slices.ContainsFunc(calls, func(c Call) bool {
			tpl := strings.Split(strings.Trim(c.Path, "/"), "/")
			if c.Method != r.Method || len(tpl) != len(segs) {
				return false
			}
			for i, t := range tpl {
				if !strings.HasPrefix(t, "{") && t != segs[i] {
					return false
				}
			}
			return true
		}) {
			e.t.Errorf("%s: the dry run read %s %s, which the tool does not declare", name, r.Method, r.Path)
		}
	}
}

// rulesAre checks that the rules now in the simulator are the plan's rule
// list (marks aside).
func rulesAre(t *testing.T, what string, got []pvesim.FirewallRule, p Plan) {
	t.Helper()
	rules := make([]ruleSettings, len(got))
	for i, r := range got {
		rules[i] = ruleSettings(r)
	}
	now := ruleLines(rules, nil)
	var planned []string
	for _, l := range p.Rules {
		planned = append(planned, " "+l[1:])
	}
	if !slices.Equal(now, planned) {
		t.Errorf("%s: after the real call the rules are\n%s\nthe plan said\n%s", what, strings.Join(now, "\n"), strings.Join(planned, "\n"))
	}
}

func TestDryRunFirewallRules(t *testing.T) {
	e := fullEnv(t)
	cluster := func(what string) func(t *testing.T, e *testEnv, p Plan) {
		return func(t *testing.T, e *testEnv, p Plan) { rulesAre(t, what, e.sim.FirewallRules(), p) }
	}
	runPlanCases(t, e, []planCase{
		{name: "create at pos 2", tool: "pve_create_firewall_rule",
			args:  map[string]any{"type": "in", "action": "ACCEPT", "proto": "tcp", "dport": "443", "enable": 1, "pos": 2, "comment": "https"},
			want:  []string{"POST /cluster/firewall/rules", "+ 2: in ACCEPT proto=tcp dport=443 \"https\"", "  3: in ACCEPT proto=icmp"},
			after: cluster("create at pos 2")},
		{name: "create disabled, first", tool: "pve_create_firewall_rule",
			args:  map[string]any{"type": "out", "action": "DROP", "dest": "monitoring"},
			want:  []string{"+ 0: out DROP dest=monitoring (disabled)", "created disabled"},
			after: cluster("create first")},
		{name: "unknown macro", tool: "pve_create_firewall_rule", args: map[string]any{"type": "in", "action": "ACCEPT", "macro": "Gopher"},
			fail: "unknown macro 'Gopher'"},
		{name: "no such ipset", tool: "pve_create_firewall_rule", args: map[string]any{"type": "in", "action": "DROP", "source": "+nothere"},
			fail: "no such ipset 'nothere'"},
		{name: "port without proto", tool: "pve_create_firewall_rule", args: map[string]any{"type": "in", "action": "ACCEPT", "dport": "22"},
			fail: "'dport' requires a proto"},
		{name: "security group", tool: "pve_create_firewall_rule", args: map[string]any{"type": "group", "action": "webservers"},
			fail: "security group 'webservers' does not exist"},
		{name: "update comment", tool: "pve_update_firewall_rule", args: map[string]any{"pos": 2, "comment": "Web UI (admins)", "delete": []string{"source"}},
			want: []string{"comment: Web UI -> Web UI (admins)", "source: +management -> (removed)", "~ 2: in ACCEPT proto=tcp dport=8006 \"Web UI (admins)\""},
			after: func(t *testing.T, e *testEnv, p Plan) {
				if r := e.sim.FirewallRules()[2]; r["comment"] != "Web UI (admins)" || r["source"] != "" {
					t.Errorf("rule 2 after the update: %v", r)
				}
			}},
		{name: "move down", tool: "pve_update_firewall_rule", args: map[string]any{"pos": 0, "moveto": 3},
			want: []string{"pos: 0 -> 2", "> 2: out DROP dest=monitoring"}, after: cluster("move")},
		{name: "move past the end", tool: "pve_update_firewall_rule", args: map[string]any{"pos": 1, "moveto": 99},
			want: []string{"pos: 1 -> 6"}, after: cluster("move to the end")},
		{name: "update missing rule", tool: "pve_update_firewall_rule", args: map[string]any{"pos": 40, "comment": "x"},
			fail: "no rule at position 40 (the firewall has 7 rules)"},
		{name: "stale digest", tool: "pve_delete_firewall_rule", args: map[string]any{"pos": 0, "digest": strings.Repeat("a", 40)},
			fail: "does not match the current"},
		{name: "delete", tool: "pve_delete_firewall_rule", args: map[string]any{"pos": 0},
			want: []string{"rule 0: in ACCEPT macro=SSH source=+management \"SSH from admin workstations\"", "rules 1-6 move up"},
			after: func(t *testing.T, e *testEnv, p Plan) {
				if rules := e.sim.FirewallRules(); len(rules) != 6 || rules[0]["macro"] == "SSH" {
					t.Errorf("after the delete: %v", rules)
				}
			}},
	})
}

func TestDryRunGuestFirewall(t *testing.T) {
	e := fullEnv(t)
	at := func(scope string) func(t *testing.T, e *testEnv, p Plan) {
		return func(t *testing.T, e *testEnv, p Plan) { rulesAre(t, scope, e.sim.FirewallRulesAt(scope), p) }
	}
	runPlanCases(t, e, []planCase{
		{name: "VM rule at pos 1", tool: "pve_create_guest_firewall_rule",
			args: map[string]any{"vmid": 100, "type": "in", "action": "ACCEPT", "macro": "DNS", "source": "backup-server", "enable": 1, "pos": 1},
			want: []string{"POST /nodes/pve1/qemu/100/firewall/rules", "+ 1: in ACCEPT macro=DNS source=backup-server"}, after: at("qemu/100")},
		{name: "guest-local alias", tool: "pve_create_guest_firewall_rule",
			args:  map[string]any{"vmid": 201, "type": "in", "action": "ACCEPT", "source": "dc/monitoring", "proto": "tcp", "dport": "9100", "enable": 1},
			want:  []string{"+ 0: in ACCEPT proto=tcp source=dc/monitoring dport=9100"},
			after: at("lxc/201")},
		{name: "forward on a guest", tool: "pve_create_guest_firewall_rule", args: map[string]any{"vmid": 100, "type": "forward", "action": "ACCEPT"},
			fail: "forward rules are only allowed on host"},
		{name: "no such guest", tool: "pve_create_guest_firewall_rule", args: map[string]any{"vmid": 777, "type": "in", "action": "ACCEPT"},
			fail: "no VM or container with vmid 777"},
		{name: "firewall off", tool: "pve_create_guest_firewall_rule", args: map[string]any{"vmid": 102, "type": "in", "action": "ACCEPT", "macro": "RDP"},
			want: []string{"the qemu firewall is disabled"}, after: at("qemu/102")},
		{name: "bad iface", tool: "pve_update_guest_firewall_rule", args: map[string]any{"vmid": 100, "pos": 3, "iface": "eth0"},
			fail: "must be netX"},
		{name: "host rule comment", tool: "pve_update_guest_firewall_rule", args: map[string]any{"node": "pve2", "pos": 0, "comment": "Ceph (public)"},
			want: []string{"PUT /nodes/pve2/firewall/rules/0", "comment: Ceph public network -> Ceph (public)"},
			after: func(t *testing.T, e *testEnv, p Plan) {
				if r := e.sim.FirewallRulesAt("node/pve2")[0]; r["comment"] != "Ceph (public)" {
					t.Errorf("host rule after the update: %v", r)
				}
			}},
		{name: "delete CT rule", tool: "pve_delete_guest_firewall_rule", args: map[string]any{"vmid": 201, "pos": 1},
			want: []string{"rule 1: in DROP source=+blocklist log=info \"known bad ranges\""},
			after: func(t *testing.T, e *testEnv, p Plan) {
				if rules := e.sim.FirewallRulesAt("lxc/201"); len(rules) != 1 {
					t.Errorf("CT rules after the delete: %v", rules)
				}
			}},
		{name: "CT firewall on, no NIC with firewall=1", tool: "pve_update_guest_firewall_options", args: map[string]any{"vmid": 203, "enable": true},
			want: []string{"enable: - -> 1", "no NIC of guest 203 has firewall=1"},
			after: func(t *testing.T, e *testEnv, p Plan) {
				if o := e.sim.FirewallOptionsAt("lxc/203"); o["enable"] != "1" {
					t.Errorf("CT options after the change: %v", o)
				}
			}},
		{name: "VM options", tool: "pve_update_guest_firewall_options", args: map[string]any{"vmid": 100, "enable": false, "policy_in": "REJECT"},
			want: []string{"enable: 1 -> 0", "policy_in: DROP -> REJECT"},
			after: func(t *testing.T, e *testEnv, p Plan) {
				if o := e.sim.FirewallOptionsAt("qemu/100"); o["enable"] != "0" || o["policy_in"] != "REJECT" {
					t.Errorf("VM options after the change: %v", o)
				}
				if p.Digest == "" {
					t.Error("options plan without digest")
				}
			}},
	})
	// A host firewall has no policies: the dry run refuses as the call does.
	if txt := e.fails("pve_update_guest_firewall_options", map[string]any{"node": "pve1", "policy_in": "DROP", "dry_run": true}); !strings.Contains(txt, "guest options") {
		t.Errorf("host policy dry run: %s", txt)
	}
}

// haRuleOf reads an HA rule as the plans write it; "" when there is none.
func (e *testEnv) haRuleOf(id string) string {
	e.t.Helper()
	var rules []map[string]any
	e.okJSON("pve_list_ha_rules", nil, &rules)
	for _, r := range rules {
		if r["rule"] == id {
			return haRule(textMapOf(r)).String()
		}
	}
	return ""
}

func TestDryRunHA(t *testing.T) {
	e := fullEnv(t)
	stateIs := func(vmid int, want string) func(t *testing.T, e *testEnv, p Plan) {
		return func(t *testing.T, e *testEnv, p Plan) {
			if got := e.simState(vmid); got != want || p.Guests[0].After != want {
				t.Errorf("guest %d is %s after the real call, the plan said %s", vmid, got, p.Guests[0].After)
			}
		}
	}
	ruleIs := func(id string) func(t *testing.T, e *testEnv, p Plan) {
		return func(t *testing.T, e *testEnv, p Plan) {
			got, want := e.haRuleOf(id), ""
			for _, l := range p.Rules {
				if strings.Contains(l, id+":") {
					want = strings.TrimSpace(l[1:])
					if _, rest, ok := strings.Cut(want, ": "); ok && strings.HasPrefix(l, "+") {
						want = rest // the rule list numbers its lines
					}
				}
			}
			if got != want {
				t.Errorf("rule %s after the real call: %q, the plan said %q", id, got, want)
			}
		}
	}
	runPlanCases(t, e, []planCase{
		{name: "HA starts 102", tool: "pve_create_ha_resource", args: map[string]any{"sid": "vm:102"},
			want: []string{"state: - -> started (default)", "guest 102: stopped -> running"}, after: stateIs(102, "running")},
		{name: "already HA", tool: "pve_create_ha_resource", args: map[string]any{"sid": "vm:100"}, fail: "resource ID 'vm:100' already defined"},
		{name: "wrong type", tool: "pve_create_ha_resource", args: map[string]any{"sid": "ct:102"}, fail: "resource 'ct:102' does not exist in cluster"},
		{name: "HA keeps 203 stopped", tool: "pve_create_ha_resource", args: map[string]any{"sid": "ct:203", "state": "stopped", "max_restart": 3},
			want: []string{"max_restart: - -> 3", "guest 203: stopped -> stopped"}, after: stateIs(203, "stopped")},
		{name: "HA stops 101", tool: "pve_update_ha_resource", args: map[string]any{"sid": "vm:101", "state": "stopped"},
			want: []string{"state: started -> stopped", "guest 101: running -> stopped"}, after: stateIs(101, "stopped")},
		{name: "no such resource", tool: "pve_update_ha_resource", args: map[string]any{"sid": "vm:105", "state": "stopped"}, fail: "no such resource 'vm:105'"},
		{name: "remove 104", tool: "pve_delete_ha_resource", args: map[string]any{"sid": "vm:104"},
			want: []string{"HA resource vm:104 (state started)", "vm:104 from HA rule web-apart-from-k8s", "stays running on pve3"},
			after: func(t *testing.T, e *testEnv, p Plan) {
				if r := e.haRuleOf("web-apart-from-k8s"); !strings.Contains(r, "resources=vm:100 ") {
					t.Errorf("rule after the purge: %s", r)
				}
			}},
		{name: "remove 101 keeping rules", tool: "pve_delete_ha_resource", args: map[string]any{"sid": "vm:101", "purge": false},
			want: []string{"HA rule db-prefers-pve1 still names vm:101"},
			after: func(t *testing.T, e *testEnv, p Plan) {
				if e.haRuleOf("db-prefers-pve1") == "" {
					t.Error("rule gone without purge")
				}
			}},
		{name: "unknown node", tool: "pve_create_ha_rule", args: map[string]any{"rule": "ct-on-pve9", "type": "node-affinity", "resources": []string{"ct:201"}, "nodes": []string{"pve9"}},
			fail: "no such cluster node 'pve9'"},
		{name: "not HA-managed", tool: "pve_create_ha_rule", args: map[string]any{"rule": "x1", "type": "resource-affinity", "resources": []string{"vm:103", "vm:100"}, "affinity": "positive"},
			fail: "HA resource 'vm:103' is not configured"},
		{name: "key of the other type", tool: "pve_create_ha_rule", args: map[string]any{"rule": "x2", "type": "resource-affinity", "resources": []string{"vm:102", "vm:100"}, "nodes": []string{"pve1"}, "affinity": "positive"},
			fail: "nodes: property is not defined for rules of type 'resource-affinity'"},
		{name: "new rule", tool: "pve_create_ha_rule", args: map[string]any{"rule": "ct-pve2", "type": "node-affinity", "resources": []string{"ct:201"}, "nodes": []string{"pve2:2"}, "strict": true},
			want: []string{"+ 0: ct-pve2: node-affinity resources=ct:201 nodes=pve2:2 strict=1", "  1: db-prefers-pve1"}, after: ruleIs("ct-pve2")},
		{name: "rule change", tool: "pve_update_ha_rule", args: map[string]any{"rule": "web-apart-from-k8s", "resources": []string{"vm:100", "vm:102"}, "affinity": "positive"},
			want:  []string{"affinity: negative -> positive", "resources: vm:100 -> vm:100,vm:102", "~ web-apart-from-k8s: resource-affinity resources=vm:100,vm:102 affinity=positive"},
			after: ruleIs("web-apart-from-k8s")},
		{name: "rule type mismatch", tool: "pve_update_ha_rule", args: map[string]any{"rule": "web-apart-from-k8s", "type": "node-affinity", "nodes": []string{"pve1"}},
			fail: "rule 'web-apart-from-k8s' is of type 'resource-affinity'"},
		{name: "rule delete", tool: "pve_delete_ha_rule", args: map[string]any{"rule": "db-prefers-pve1"},
			want: []string{"HA rule db-prefers-pve1: node-affinity resources=vm:101 nodes=pve1:2,pve2:1"},
			after: func(t *testing.T, e *testEnv, p Plan) {
				if e.haRuleOf("db-prefers-pve1") != "" {
					t.Error("rule still there")
				}
			}},
		{name: "no such rule", tool: "pve_delete_ha_rule", args: map[string]any{"rule": "db-prefers-pve1"}, fail: "no such ha rule"},
		{name: "disarm", tool: "pve_disarm_ha", args: map[string]any{"resource_mode": "freeze"},
			want: []string{"fencing: armed -> disarmed (freeze)", "frozen"}},
		{name: "HA while disarmed", tool: "pve_update_ha_resource", args: map[string]any{"sid": "ct:203", "state": "started"},
			want: []string{"HA is disarmed (freeze)", "guest 203: stopped -> stopped"}, after: stateIs(203, "stopped")},
		{name: "arm", tool: "pve_arm_ha", args: map[string]any{},
			want: []string{"fencing: disarmed (freeze) -> armed", "guest 203: stopped -> running"},
			after: func(t *testing.T, e *testEnv, p Plan) {
				if len(p.Guests) != 1 || e.simState(203) != "running" {
					t.Errorf("after arming: 203 %s, plan %+v", e.simState(203), p.Guests)
				}
			}},
		{name: "armed already", tool: "pve_arm_ha", args: map[string]any{}, want: []string{"HA is already armed: nothing changes"}},
	})
}

func TestDryRunPoolsAndAccess(t *testing.T) {
	e := fullEnv(t)
	pool := func(id string, vms []int, storage []string) func(t *testing.T, e *testEnv, p Plan) {
		return func(t *testing.T, e *testEnv, p Plan) {
			got, ok := e.sim.Pool(id)
			slices.Sort(got.VMs)
			if !ok || !slices.Equal(got.VMs, vms) || !slices.Equal(got.Storage, storage) {
				t.Errorf("pool %s after the real call: %+v, want vms %v storage %v", id, got, vms, storage)
			}
			// The members the plan announced for this pool are the ones it has.
			for _, c := range p.Changes {
				now := map[string]string{"vms": joinInts(got.VMs), "storage": strings.Join(got.Storage, ",")}[c.Key]
				if (c.Key == "vms" || c.Key == "storage") && strings.Contains(p.Request, "poolid="+id) && c.To != now {
					t.Errorf("pool %s %s after the real call: %q, the plan said %q", id, c.Key, now, c.To)
				}
			}
		}
	}
	hasACL := func(want ACLWant) func(t *testing.T, e *testEnv, p Plan) {
		return func(t *testing.T, e *testEnv, p Plan) {
			found := slices.ContainsFunc(e.sim.ACLs(), func(a pvesim.ACL) bool {
				return a.Path == want.path && a.UGID == want.ugid && a.Role == want.role
			})
			if found != want.there {
				t.Errorf("ACL %+v after the real call: present %v", want, found)
			}
		}
	}
	runPlanCases(t, e, []planCase{
		{name: "new pool", tool: "pve_create_pool", args: map[string]any{"poolid": "staging", "comment": "pre-prod"},
			want: []string{"POST /pools comment=pre-prod&poolid=staging", "comment: - -> pre-prod"}, after: pool("staging", nil, nil)},
		{name: "pool exists", tool: "pve_create_pool", args: map[string]any{"poolid": "lab"}, fail: "pool 'lab' already exists"},
		{name: "add members", tool: "pve_update_pool", args: map[string]any{"poolid": "staging", "vms": []int{102}, "storage": []string{"local"}},
			want: []string{"vms: - -> 102", "storage: - -> local"}, after: pool("staging", []int{102}, []string{"local"})},
		{name: "guest of another pool", tool: "pve_update_pool", args: map[string]any{"poolid": "staging", "vms": []int{100}},
			fail: "VM 100 belongs already to pool 'production'"},
		{name: "move a guest", tool: "pve_update_pool", args: map[string]any{"poolid": "staging", "vms": []int{100}, "allow_move": true},
			want: []string{"VM 100 moves from pool production", "vms: 102 -> 100,102"},
			after: func(t *testing.T, e *testEnv, p Plan) {
				pool("staging", []int{100, 102}, []string{"local"})(t, e, p)
				pool("production", []int{101, 200}, []string{"local-lvm"})(t, e, p)
			}},
		{name: "remove a non-member", tool: "pve_update_pool", args: map[string]any{"poolid": "staging", "vms": []int{203}, "delete": true},
			fail: "VM 203 is not a pool member"},
		{name: "unknown storage", tool: "pve_update_pool", args: map[string]any{"poolid": "staging", "storage": []string{"ceph"}}, fail: "Storage 'ceph' does not exist"},
		{name: "pool not empty", tool: "pve_delete_pool", args: map[string]any{"poolid": "lab"}, fail: "not empty (contains VM 203)"},
		{name: "empty lab", tool: "pve_update_pool", args: map[string]any{"poolid": "lab", "vms": []int{203}, "delete": true},
			want: []string{"vms: 203 -> "}, after: pool("lab", nil, nil)},
		{name: "delete lab", tool: "pve_delete_pool", args: map[string]any{"poolid": "lab"},
			want: []string{"pool lab", "ACL /pool/lab group developers PVEVMAdmin"},
			after: func(t *testing.T, e *testEnv, p Plan) {
				if _, ok := e.sim.Pool("lab"); ok {
					t.Error("pool lab still there")
				}
				hasACL(ACLWant{"/pool/lab", "developers", "PVEVMAdmin", false})(t, e, p)
			}},
		{name: "no such pool", tool: "pve_delete_pool", args: map[string]any{"poolid": "lab"}, fail: "pool 'lab' does not exist"},

		{name: "grant", tool: "pve_update_acl", args: map[string]any{"path": "/vms/100", "roles": []string{"PVEVMUser"}, "users": []string{"bob@pve"}, "groups": []string{"developers"}},
			want:  []string{"/vms/100 user bob@pve PVEVMUser: - -> granted", "/vms/100 group developers PVEVMUser: - -> granted"},
			after: hasACL(ACLWant{"/vms/100", "bob@pve", "PVEVMUser", true})},
		{name: "granted already", tool: "pve_update_acl", args: map[string]any{"path": "/vms/100", "roles": []string{"PVEVMUser"}, "users": []string{"bob@pve"}},
			want: []string{"/vms/100 user bob@pve PVEVMUser is already granted"}},
		{name: "propagate off", tool: "pve_update_acl", args: map[string]any{"path": "/vms/100", "roles": []string{"PVEVMUser"}, "users": []string{"bob@pve"}, "propagate": false},
			want: []string{"/vms/100 user bob@pve PVEVMUser: granted -> granted (no propagate)"}},
		{name: "unknown role", tool: "pve_update_acl", args: map[string]any{"path": "/", "roles": []string{"Janitor"}, "users": []string{"bob@pve"}}, fail: "role 'Janitor' does not exist"},
		{name: "unknown user", tool: "pve_update_acl", args: map[string]any{"path": "/", "roles": []string{"PVEAuditor"}, "users": []string{"zed@pve"}}, fail: "user 'zed@pve' does not exist"},
		{name: "unknown token", tool: "pve_update_acl", args: map[string]any{"path": "/", "roles": []string{"PVEAuditor"}, "tokens": []string{"bob@pve!ci"}}, fail: "no such token 'bob@pve!ci'"},
		{name: "revoke", tool: "pve_update_acl", args: map[string]any{"path": "/storage/nfs-backup", "roles": []string{"PVEDatastoreUser"}, "users": []string{"bob@pve"}, "delete": true},
			want:  []string{"/storage/nfs-backup user bob@pve PVEDatastoreUser: granted (no propagate) -> (removed)"},
			after: hasACL(ACLWant{"/storage/nfs-backup", "bob@pve", "PVEDatastoreUser", false})},
		{name: "revoke nothing", tool: "pve_update_acl", args: map[string]any{"path": "/storage/nfs-backup", "roles": []string{"PVEDatastoreUser"}, "users": []string{"bob@pve"}, "delete": true},
			want: []string{"is not granted: nothing to revoke"}},

		{name: "new user", tool: "pve_create_user", args: map[string]any{"userid": "dave@pve", "password": "correct-horse", "groups": []string{"operators"}, "email": "dave@lab.example"},
			want: []string{"password=%28hidden%29", "password: - -> (hidden)", "groups: - -> operators"},
			after: func(t *testing.T, e *testEnv, p Plan) {
				if u, ok := e.sim.User("dave@pve"); !ok || u.Email != "dave@lab.example" || !slices.Equal(u.Groups, []string{"operators"}) {
					t.Errorf("dave after the real call: %+v", u)
				}
			}},
		{name: "user exists", tool: "pve_create_user", args: map[string]any{"userid": "alice@pve"}, fail: "user 'alice@pve' already exists"},
		{name: "no such realm", tool: "pve_create_user", args: map[string]any{"userid": "eve@corp"}, fail: "no such realm 'corp'"},
		{name: "no such group", tool: "pve_create_user", args: map[string]any{"userid": "eve@pve", "groups": []string{"ghosts"}}, fail: "no such group 'ghosts'"},
		{name: "delete bob", tool: "pve_delete_user", args: map[string]any{"userid": "bob@pve"},
			want: []string{"user bob@pve", "ACL /vms/100 user bob@pve PVEVMUser (no propagate)", "leaves groups operators"},
			after: func(t *testing.T, e *testEnv, p Plan) {
				if _, ok := e.sim.User("bob@pve"); ok {
					t.Error("bob still there")
				}
				hasACL(ACLWant{"/vms/100", "bob@pve", "PVEVMUser", false})(t, e, p)
			}},
		{name: "no such user", tool: "pve_delete_user", args: map[string]any{"userid": "bob@pve"}, fail: "no such user"},
	})
	// The token pve-mcp uses: the plan names it and its ACL entry.
	p := e.dryRun("pve_delete_user", map[string]any{"userid": "mcp@pve"})
	if txt := planText(p); !strings.Contains(txt, "API token mcp@pve!test") || !strings.Contains(txt, "ACL / token mcp@pve!test PVEAdmin") {
		t.Errorf("token owner plan:\n%s", txt)
	}
}

// ACLWant is an ACL entry a test expects present (there) or gone.
type ACLWant struct {
	path, ugid, role string
	there            bool
}

func TestDryRunStorageAndBackupJobs(t *testing.T) {
	e := fullEnv(t)
	storageGone := func(id string) func(t *testing.T, e *testEnv, p Plan) {
		return func(t *testing.T, e *testEnv, p Plan) {
			e.fails("pve_get_storage_config", map[string]any{"storage": id})
		}
	}
	jobs := func() []string {
		var list []struct {
			ID string `json:"id"`
		}
		e.okJSON("pve_list_backup_jobs", nil, &list)
		var ids []string
		for _, j := range list {
			ids = append(ids, j.ID)
		}
		return ids
	}
	runPlanCases(t, e, []planCase{
		{name: "new dir storage", tool: "pve_create_storage", args: map[string]any{"storage": "scratch", "type": "dir", "path": "/srv/scratch", "content": []string{"images"}, "nodes": []string{"pve1", "pve7"}},
			want: []string{"path: - -> /srv/scratch", "content: - -> images", "node pve7 is not a cluster node"},
			after: func(t *testing.T, e *testEnv, p Plan) {
				e.ok("pve_get_storage_config", map[string]any{"storage": "scratch"})
			}},
		{name: "storage exists", tool: "pve_create_storage", args: map[string]any{"storage": "local", "type": "dir", "path": "/x"}, fail: "storage ID 'local' already defined"},
		{name: "pbs secret", tool: "pve_create_storage", args: map[string]any{"storage": "pbs1", "type": "pbs", "server": "10.0.0.70", "datastore": "main", "extra": map[string]any{"password": "s3cret"}},
			want: []string{"password: - -> (hidden)"}, after: func(t *testing.T, e *testEnv, p Plan) {
				if strings.Contains(planText(p), "s3cret") {
					t.Error("the plan shows the password")
				}
			}},
		{name: "remove nfs-backup", tool: "pve_delete_storage", args: map[string]any{"storage": "nfs-backup"},
			want:  []string{"storage definition nfs-backup (nfs, content ", "shared: 64 volumes (787.7 GiB) stay on disk", "backup job backup-5f1e6c2e-3d4a (01:00) writes to nfs-backup"},
			after: storageGone("nfs-backup")},
		{name: "remove local-lvm", tool: "pve_delete_storage", args: map[string]any{"storage": "local-lvm"},
			want: []string{"pve1: 4 volumes (244.0 GiB) stay on disk, unusable through Proxmox; disks of guests 100,101,200,203"}, after: storageGone("local-lvm")},
		{name: "no such storage", tool: "pve_delete_storage", args: map[string]any{"storage": "local-lvm"}, fail: "does not exist"},

		{name: "new job", tool: "pve_create_backup_job", args: map[string]any{"id": "weekly-db", "schedule": "sat 02:00", "vmid": []int{101}, "storage": "local", "compress": "zstd"},
			want: []string{"backs up now: 101 db", "schedule: - -> sat 02:00", "vmid: - -> 101"},
			after: func(t *testing.T, e *testEnv, p Plan) {
				if !slices.Contains(jobs(), "weekly-db") {
					t.Error("job weekly-db not created")
				}
			}},
		{name: "job id in use", tool: "pve_create_backup_job", args: map[string]any{"id": "weekly-db", "schedule": "sun 01:00", "all": true}, fail: "Job 'weekly-db' already exists"},
		{name: "conflicting selection", tool: "pve_create_backup_job", args: map[string]any{"id": "xjob", "schedule": "sun 01:00", "all": true, "vmid": []int{100}}, fail: "conflicts with option 'vmid'"},
		{name: "unknown pool", tool: "pve_create_backup_job", args: map[string]any{"id": "xjob", "schedule": "sun 01:00", "pool": "nope"}, fail: "pool 'nope' does not exist"},
		{name: "pool job, generated id, wrong storage", tool: "pve_create_backup_job", args: map[string]any{"schedule": "sun 01:00", "pool": "production", "storage": "scratch"},
			want: []string{"job id is generated", "backs up now: 100 ", "101 db", "200 ", "wrong content type: every run would fail"},
			after: func(t *testing.T, e *testEnv, p Plan) {
				if n := len(jobs()); n != 4 {
					t.Errorf("%d jobs after two creates, want 4", n)
				}
			}},
		{name: "job on another node", tool: "pve_create_backup_job", args: map[string]any{"id": "db-on-pve2", "schedule": "sun 01:00", "vmid": []int{101}, "node": "pve2"},
			want: []string{"guest 101 is on pve1: a job limited to pve2 skips it", "backs up now: none"}},
		{name: "delete job", tool: "pve_delete_backup_job", args: map[string]any{"id": "backup-a81c0b95-77e2"},
			want: []string{"backup job backup-a81c0b95-77e2 (sun 03:00, disabled, vmid 101 on pve1 to local)", "existing backups stay on local"},
			after: func(t *testing.T, e *testEnv, p Plan) {
				if slices.Contains(jobs(), "backup-a81c0b95-77e2") {
					t.Error("job still there")
				}
			}},
		{name: "no such job", tool: "pve_delete_backup_job", args: map[string]any{"id": "backup-a81c0b95-77e2"}, fail: "No such job"},
	})
}

func TestDryRunNetwork(t *testing.T) {
	e := fullEnv(t)
	// Nothing staged: the plan says so, and the reload is refused.
	p := e.dryRun("pve_apply_network", map[string]any{"node": "pve1"})
	if len(p.Pending) != 0 || !strings.Contains(planText(p), "nothing is staged on pve1") {
		t.Errorf("apply with nothing staged: %s", planText(p))
	}
	e.fails("pve_apply_network", map[string]any{"node": "pve1", "wait": 30})
	pendingHas := func(node, iface, key, want string) func(t *testing.T, e *testEnv, p Plan) {
		return func(t *testing.T, e *testEnv, p Plan) {
			f, ok := e.sim.NetworkIface(node, iface, true)
			if got := f[key]; ok != (want != "") || got != want {
				t.Errorf("%s %s %s staged after the real call: %q (there: %v), want %q", node, iface, key, got, ok, want)
			}
		}
	}
	runPlanCases(t, e, []planCase{
		{name: "unknown port", tool: "pve_create_network", args: map[string]any{"node": "pve1", "iface": "vmbr2", "type": "bridge", "bridge_ports": "eno9"},
			fail: "bridge_ports: interface 'eno9' does not exist"},
		{name: "second gateway", tool: "pve_create_network", args: map[string]any{"node": "pve1", "iface": "vmbr2", "type": "bridge", "cidr": "10.9.0.1/24", "gateway": "10.9.0.254"},
			fail: "Default gateway already exists on interface 'vmbr0'"},
		{name: "exists", tool: "pve_create_network", args: map[string]any{"node": "pve1", "iface": "vmbr0", "type": "bridge"}, fail: "interface already exists"},
		{name: "bad cidr", tool: "pve_create_network", args: map[string]any{"node": "pve1", "iface": "vmbr2", "type": "bridge", "cidr": "10.9.0.1"},
			fail: "does not look like a valid IPv4 network"},
		{name: "new bridge", tool: "pve_create_network", args: map[string]any{"node": "pve1", "iface": "vmbr2", "type": "bridge", "cidr": "10.9.0.1/24", "comments": "lab"},
			want:  []string{"POST /nodes/pve1/network", "cidr: - -> 10.9.0.1/24", "type: - -> bridge", "takes effect at pve_apply_network"},
			after: pendingHas("pve1", "vmbr2", "cidr", "10.9.0.1/24")},
		{name: "change with staged", tool: "pve_update_network", args: map[string]any{"node": "pve1", "iface": "vmbr1", "mtu": 9000},
			want:  []string{"mtu: - -> 9000", "+ auto vmbr2", "+ vmbr2: address 10.9.0.1/24", "+ vmbr2: #lab", "already staged on pve1"},
			after: pendingHas("pve1", "vmbr1", "mtu", "9000")},
		{name: "no such interface", tool: "pve_update_network", args: map[string]any{"node": "pve1", "iface": "vmbr7", "mtu": 9000}, fail: "interface vmbr7 does not exist"},
		{name: "delete vlan", tool: "pve_delete_network", args: map[string]any{"node": "pve1", "iface": "vmbr1.50"},
			want:  []string{"interface vmbr1.50 (vlan, cidr 10.50.0.11/24, vlan-raw-device vmbr1, active)"},
			after: pendingHas("pve1", "vmbr1.50", "cidr", "")},
		{name: "delete a port in use", tool: "pve_delete_network", args: map[string]any{"node": "pve2", "iface": "bond0"},
			want: []string{"vmbr1 names it (bridge_ports)"}, after: pendingHas("pve2", "bond0", "type", "")},
		{name: "apply", tool: "pve_apply_network", args: map[string]any{"node": "pve1", "wait": 30},
			want: []string{"PUT /nodes/pve1/network", "+ vmbr1: mtu 9000", "- iface vmbr1.50 inet static", "- vmbr1.50: address 10.50.0.11/24",
				"vmbr2 (bridge, cidr 10.9.0.1/24) comes up", "check the node stays reachable"},
			after: func(t *testing.T, e *testEnv, p Plan) {
				_, gone := e.sim.NetworkIface("pve1", "vmbr1.50", false)
				f, _ := e.sim.NetworkIface("pve1", "vmbr2", false)
				if e.sim.NetworkPending("pve1") || gone || f["cidr"] != "10.9.0.1/24" {
					t.Errorf("after the apply: pending %v, vmbr1.50 there %v, vmbr2 %v", e.sim.NetworkPending("pve1"), gone, f)
				}
			}},
		{name: "revert", tool: "pve_revert_network", args: map[string]any{"node": "pve2"},
			want: []string{"- auto bond0", "- iface bond0 inet manual", "- bond0: bond-slaves eno2 eno3"},
			after: func(t *testing.T, e *testEnv, p Plan) {
				if _, ok := e.sim.NetworkIface("pve2", "bond0", true); e.sim.NetworkPending("pve2") || !ok {
					t.Error("pve2's staged delete survived the revert")
				}
			}},
		{name: "revert nothing", tool: "pve_revert_network", args: map[string]any{"node": "pve2"}, want: []string{"nothing is staged on pve2: nothing to discard"}},
	})
}

// TestPendingLines: the staged diff names each changed option's interface,
// from the hunk's stanza header or, outside the context, from the one
// interface whose pending settings hold it.
func TestPendingLines(t *testing.T) {
	ifaces := map[string]textMap{
		"vmbr0": {"iface": "vmbr0", "cidr": "10.0.0.99/24", "mtu": "9000", "comments": "LAN"},
		"vmbr1": {"iface": "vmbr1", "bridge_vlan_aware": "1", "comments": "trunk"},
		"vmbr2": {"iface": "vmbr2", "bridge_vlan_aware": "1"},
	}
	for _, c := range []struct {
		name, diff string
		want       []string
	}{
		{"header in context", "--- a\n+++ b\n@@ -1,3 +1,4 @@\n auto vmbr0\n iface vmbr0 inet static\n-\taddress 10.0.0.11/24\n+\taddress 10.0.0.99/24\n",
			[]string{"- vmbr0: address 10.0.0.11/24", "+ vmbr0: address 10.0.0.99/24"}},
		{"header outside", "@@ -7,4 +7,4 @@\n \tbridge-stp off\n-\taddress 10.0.0.11/24\n+\taddress 10.0.0.99/24\n+\tmtu 9000\n-#Management\n+#LAN\n",
			[]string{"- vmbr0: address 10.0.0.11/24", "+ vmbr0: address 10.0.0.99/24", "+ vmbr0: mtu 9000", "- #Management", "+ vmbr0: #LAN"}},
		{"ambiguous", "@@ -3,2 +3,3 @@\n \tbridge-fd 0\n+\tbridge-vlan-aware yes\n", []string{"+ bridge-vlan-aware yes"}},
		{"new stanza", "@@ -20,0 +21,3 @@\n+auto vmbr3\n+iface vmbr3 inet manual\n+\tbridge-ports none\n", []string{"+ auto vmbr3", "+ iface vmbr3 inet manual", "+ vmbr3: bridge-ports none"}},
		{"nothing staged", "", nil},
	} {
		if got := pendingLines(c.diff, ifaces); !slices.Equal(got, c.want) {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}
