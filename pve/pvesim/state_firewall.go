package pvesim

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// State model of the firewall: cluster rules, aliases, IP sets and options,
// and the rules and options at node and guest scope.

// FirewallRule is one rule of cluster.fw, keyed as the API names its
// properties (type, action, macro, source, dest, proto, dport, enable ...).
type FirewallRule map[string]string

// FirewallAlias names an address or network.
type FirewallAlias struct {
	Name, CIDR, Comment string
}

// FirewallIPSet is a named set of addresses.
type FirewallIPSet struct {
	Name, Comment string
	Entries       []string
}

type firewallState struct {
	options map[string]string
	rules   []FirewallRule
	aliases []*FirewallAlias
	ipsets  []*FirewallIPSet
}

func (s *Sim) seedFirewall() {
	s.firewall.options = map[string]string{"enable": "1", "policy_in": "DROP", "policy_out": "ACCEPT", "ebtables": "1",
		"log_ratelimit": "enable=1,burst=5,rate=1/second"}
	s.firewall.rules = []FirewallRule{
		{"type": "in", "action": "ACCEPT", "macro": "SSH", "source": "+management", "enable": "1", "comment": "SSH from admin workstations"},
		{"type": "in", "action": "ACCEPT", "proto": "tcp", "dport": "8006", "source": "+management", "enable": "1", "comment": "Web UI"},
		{"type": "in", "action": "ACCEPT", "proto": "icmp", "enable": "1", "log": "nolog"},
		{"type": "in", "action": "ACCEPT", "proto": "tcp", "dport": "9100", "source": "monitoring", "enable": "1", "comment": "node exporter"},
		{"type": "in", "action": "DROP", "source": "+blocklist", "enable": "0", "log": "info", "comment": "known bad ranges"},
	}
	s.firewall.aliases = []*FirewallAlias{
		{Name: "backup-server", CIDR: "10.0.0.50", Comment: "NFS / PBS target"},
		{Name: "management", CIDR: "10.0.0.0/24", Comment: "Management LAN"},
		{Name: "monitoring", CIDR: "10.0.0.60", Comment: "Prometheus"},
	}
	s.firewall.ipsets = []*FirewallIPSet{
		{Name: "blocklist", Comment: "Dropped when enabled", Entries: []string{"198.51.100.0/24", "203.0.113.0/24"}},
		{Name: "management", Comment: "Admin workstations", Entries: []string{"10.0.0.0/24", "192.168.10.0/24"}},
	}
}

// FirewallRules returns a copy of the cluster rules in order, for tests.
func (s *Sim) FirewallRules() []FirewallRule {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]FirewallRule, len(s.firewall.rules))
	for i, r := range s.firewall.rules {
		out[i] = FirewallRule(cloneMap(r))
	}
	return out
}

// FirewallOptions returns a copy of the cluster firewall options, for tests.
func (s *Sim) FirewallOptions() map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return cloneMap(s.firewall.options)
}

func (s *Sim) rulesDigest() string {
	items := make([]map[string]string, len(s.firewall.rules))
	for i, r := range s.firewall.rules {
		items[i] = r
	}
	return listDigest(items)
}

func (s *Sim) optionsDigest() string { return listDigest([]map[string]string{s.firewall.options}) }

func errModified() error {
	return fail("detected modified configuration - file changed by other user? Try again.")
}

var ruleIntKeys = map[string]bool{"enable": true, "ipversion": true}

func ruleEntry(r FirewallRule, pos int, digest string) map[string]any {
	e := map[string]any{"pos": pos, "digest": digest}
	for k, v := range r {
		if ruleIntKeys[k] {
			n, _ := strconv.Atoi(v)
			e[k] = n
		} else {
			e[k] = v
		}
	}
	return e
}

// moveRule is Proxmox's move: the rule at pos goes before the one now at
// moveto (the end when moveto is past it); other arguments are ignored.
func moveRule(rules []FirewallRule, pos, moveto int) []FirewallRule {
	rule := rules[pos]
	var out []FirewallRule
	for i, r := range rules {
		if i == pos {
			continue
		}
		if i == moveto {
			out = append(out, rule)
		}
		out = append(out, r)
	}
	if moveto >= len(rules) {
		out = append(out, rule)
	}
	return out
}

func copyRuleData(r FirewallRule, c *Call) {
	for _, k := range ruleDataKeys {
		if c.Has(k) {
			r[k] = c.Str(k)
		}
	}
}

// verifyRule checks a rule as Proxmox's verify_rule does, answering with
// its per-property 400 messages.
func (s *Sim) verifyRule(r FirewallRule) error {
	errs := map[string]string{}
	typ, action := r["type"], r["action"]
	if typ == "group" {
		errs["action"] = fmt.Sprintf("security group '%s' does not exist", action)
	} else if action != "ACCEPT" && action != "DROP" && action != "REJECT" {
		errs["action"] = fmt.Sprintf("unknown action '%s'", action)
	}
	if m := r["macro"]; m != "" {
		known := false
		for _, x := range fwMacros {
			known = known || strings.EqualFold(x, m)
		}
		if !known {
			errs["macro"] = fmt.Sprintf("unknown macro '%s'", m)
		}
	}
	if p := r["proto"]; p != "" {
		if _, err := strconv.Atoi(p); err != nil && !slices.Contains(fwProtos, p) {
			errs["proto"] = fmt.Sprintf("unknown protocol '%s'", p)
		}
	}
	for _, k := range []string{"dport", "sport"} {
		if r[k] != "" && r["proto"] == "" && r["macro"] == "" {
			errs["proto"] = fmt.Sprintf("missing property - '%s' requires this property", k)
		} else if r[k] != "" && r["proto"] != "" && r["proto"] != "tcp" && r["proto"] != "udp" && r["proto"] != "sctp" && r["proto"] != "udplite" {
			errs[k] = fmt.Sprintf("protocol '%s' does not support ports", r["proto"])
		}
	}
	for _, k := range []string{"source", "dest"} {
		v := r[k]
		if v == "" {
			continue
		}
		if name, ok := strings.CutPrefix(v, "+"); ok {
			name = strings.TrimPrefix(name, "dc/")
			if !s.hasIPSet(name) {
				errs[k] = fmt.Sprintf("no such ipset '%s'", name)
			}
			continue
		}
		if v[0] >= 'A' && v[0] <= 'z' && !strings.ContainsAny(v, ":") {
			if !s.hasAlias(strings.TrimPrefix(v, "dc/")) {
				errs[k] = fmt.Sprintf("no such alias '%s'", v)
			}
		}
	}
	if len(errs) > 0 {
		return &APIError{Status: 400, Message: "Parameter verification failed.", Errors: errs}
	}
	return nil
}

func (s *Sim) hasIPSet(name string) bool {
	for _, set := range s.firewall.ipsets {
		if set.Name == name {
			return true
		}
	}
	return false
}

func (s *Sim) hasAlias(name string) bool {
	for _, a := range s.firewall.aliases {
		if strings.EqualFold(a.Name, name) {
			return true
		}
	}
	return false
}

// fwScopedState holds every non-cluster firewall config, keyed "node/pve1",
// "qemu/100" or "lxc/200", and each node's firewall log.
type fwScopedState struct {
	conf map[string]*fwScopedConf
	log  map[string][]string // node -> /var/log/pve-firewall.log lines
}

type fwScopedConf struct {
	options map[string]string
	rules   []FirewallRule
}

func (s *Sim) seedFwScoped() {
	s.fwScoped = fwScopedState{conf: map[string]*fwScopedConf{}, log: map[string][]string{}}
	for _, n := range s.nodes {
		s.fwScoped.conf["node/"+n.Name] = &fwScopedConf{
			options: map[string]string{"enable": "1", "log_level_in": "info", "tcpflags": "1", "nosmurfs": "1"},
			rules: []FirewallRule{
				{"type": "in", "action": "ACCEPT", "macro": "Ceph", "source": "10.0.1.0/24", "enable": "1", "comment": "Ceph public network"},
			},
		}
	}
	s.fwScoped.conf["qemu/100"] = &fwScopedConf{
		options: map[string]string{"enable": "1", "policy_in": "DROP", "macfilter": "1", "log_level_in": "info"},
		rules: []FirewallRule{
			{"type": "in", "action": "ACCEPT", "macro": "HTTPS", "enable": "1", "comment": "public web"},
			{"type": "in", "action": "ACCEPT", "macro": "HTTP", "enable": "1"},
			{"type": "in", "action": "ACCEPT", "macro": "SSH", "source": "+management", "enable": "1", "iface": "net0"},
		},
	}
	s.fwScoped.conf["lxc/201"] = &fwScopedConf{
		options: map[string]string{"enable": "1", "policy_in": "ACCEPT", "log_level_in": "nolog"},
		rules: []FirewallRule{
			{"type": "in", "action": "DROP", "source": "+blocklist", "enable": "1", "log": "info", "comment": "known bad ranges"},
		},
	}
	// Log lines as pve-firewall writes them: "<vmid> <level> <chain> <time> <text>",
	// vmid 0 for the host; newest last.
	now := s.now()
	for _, n := range s.nodes {
		var lines []string
		add := func(at time.Time, vmid int, chain, text string) {
			lines = append(lines, fmt.Sprintf("%d 6 %s %s %s", vmid, chain, at.Format(fwLogTime), text))
		}
		add(now.Add(-6*time.Hour), 0, "-", "starting pvefw logger")
		for i := 0; i < 40; i++ {
			at := now.Add(-time.Duration(40-i) * 7 * time.Minute)
			switch {
			case n.Name == "pve1" && i%2 == 0:
				add(at, 100, "tap100i0-IN", fmt.Sprintf("policy DROP: IN=fwbr100i0 OUT=fwbr100i0 PHYSIN=fwln100o0 PHYSOUT=tap100i0 SRC=203.0.113.%d DST=10.0.0.100 LEN=60 TTL=51 PROTO=TCP SPT=%d DPT=3389 SYN", 10+i, 40000+i))
			case n.Name == "pve2" && i%3 == 0:
				add(at, 201, "veth201i0-IN", fmt.Sprintf("DROP: IN=fwbr201i0 OUT=fwbr201i0 PHYSIN=fwln201o0 PHYSOUT=veth201i0 SRC=198.51.100.%d DST=10.0.0.201 LEN=52 TTL=49 PROTO=TCP SPT=%d DPT=443 SYN", 20+i, 50000+i))
			default:
				add(at, 0, "PVEFW-HOST-IN", fmt.Sprintf("policy DROP: IN=vmbr0 SRC=198.51.100.%d DST=%s LEN=44 TTL=240 PROTO=TCP SPT=%d DPT=111 SYN", 100+i%50, n.IP, 30000+i))
			}
		}
		s.fwScoped.log[n.Name] = lines
	}
}

// FirewallRulesAt returns a copy of the rules of a node ("node/pve1") or a
// guest ("qemu/100", "lxc/200") firewall, for tests.
func (s *Sim) FirewallRulesAt(scope string) []FirewallRule {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []FirewallRule
	if conf := s.fwScoped.conf[scope]; conf != nil {
		for _, r := range conf.rules {
			out = append(out, FirewallRule(cloneMap(r)))
		}
	}
	return out
}

// FirewallOptionsAt returns a copy of a node's or guest's firewall options, for tests.
func (s *Sim) FirewallOptionsAt(scope string) map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if conf := s.fwScoped.conf[scope]; conf != nil {
		return cloneMap(conf.options)
	}
	return map[string]string{}
}

func fwScopedRulesDigest(conf *fwScopedConf) string {
	items := make([]map[string]string, len(conf.rules))
	for i, r := range conf.rules {
		items[i] = r
	}
	return listDigest(items)
}
