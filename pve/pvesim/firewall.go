package pvesim

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
)

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

// listDigest is the SHA-1 digest Proxmox puts on every item of a firewall
// list; a change of any item changes it.
func listDigest(items []map[string]string) string {
	h := sha1.New()
	for _, it := range items {
		keys := sortedKeys(it)
		for _, k := range keys {
			fmt.Fprintf(h, "%s=%s\n", k, it[k])
		}
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
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

const ruleProps = "comment?:string dest?:string dport?:string enable?:integer(0-) icmp-type?:string iface?:string " +
	"log?:enum(emerg|alert|crit|err|warning|notice|info|debug|nolog) macro?:string proto?:string source?:string sport?:string"

var (
	ruleDataKeys = []string{"type", "action", "macro", "source", "dest", "proto", "dport", "sport", "comment", "enable", "log", "iface", "icmp-type"}
	fwMacros     = []string{"DNS", "HTTP", "HTTPS", "ICMP", "NTP", "Ping", "SMTP", "SNMP", "SSH", "Web", "Ceph", "IMAP", "IMAPS", "LDAP", "MySQL", "PostgreSQL", "RDP", "Samba", "Squid", "Telnet", "VNC"}
	fwProtos     = []string{"tcp", "udp", "icmp", "icmpv6", "ipv6-icmp", "sctp", "udplite", "esp", "ah", "gre", "igmp", "ospf", "vrrp"}
)

func (s *Sim) routesFirewall() {
	s.handle("GET", "/cluster/firewall/options", "", func(c *Call) (any, error) {
		out := map[string]any{"digest": s.optionsDigest()}
		for k, v := range s.firewall.options {
			if k == "enable" || k == "ebtables" {
				n, _ := strconv.Atoi(v)
				out[k] = n
			} else {
				out[k] = v
			}
		}
		return out, nil
	})
	s.handle("PUT", "/cluster/firewall/options",
		"delete?:string digest?:string ebtables?:boolean enable?:integer(0-) log_ratelimit?:string policy_forward?:enum(ACCEPT|DROP) policy_in?:enum(ACCEPT|REJECT|DROP) policy_out?:enum(ACCEPT|REJECT|DROP)",
		func(c *Call) (any, error) {
			if c.Has("digest") && c.Str("digest") != s.optionsDigest() {
				return nil, errModified()
			}
			if c.Has("log_ratelimit") {
				for _, part := range strings.Split(c.Str("log_ratelimit"), ",") {
					k, _, ok := strings.Cut(part, "=")
					if !ok && part != "0" && part != "1" || ok && k != "enable" && k != "burst" && k != "rate" {
						return nil, badParam("log_ratelimit", fmt.Sprintf("invalid format - unknown key '%s'", part))
					}
				}
			}
			opts := cloneMap(s.firewall.options)
			for _, k := range listItems(c.Str("delete")) {
				delete(opts, k)
			}
			for _, k := range []string{"ebtables", "enable", "log_ratelimit", "policy_forward", "policy_in", "policy_out"} {
				if !c.Has(k) {
					continue
				}
				v := c.Str(k)
				if k == "ebtables" {
					v = strconv.Itoa(b2i(c.Bool(k)))
				}
				opts[k] = v
			}
			s.firewall.options = opts
			return nil, nil
		})
	s.handle("GET", "/cluster/firewall/rules", "", func(c *Call) (any, error) {
		d := s.rulesDigest()
		out := []map[string]any{}
		for i, r := range s.firewall.rules {
			out = append(out, ruleEntry(r, i, d))
		}
		return out, nil
	})
	s.handle("GET", "/cluster/firewall/rules/{pos}", "pos:integer(0-)", func(c *Call) (any, error) {
		pos := c.Int("pos")
		if pos >= len(s.firewall.rules) {
			return nil, fail("no rule at position %d", pos)
		}
		return ruleEntry(s.firewall.rules[pos], pos, s.rulesDigest()), nil
	})
	s.handle("POST", "/cluster/firewall/rules",
		"action:string type:enum(in|out|forward|group) digest?:string pos?:integer(0-) "+ruleProps,
		func(c *Call) (any, error) {
			if c.Has("digest") && c.Str("digest") != s.rulesDigest() {
				return nil, errModified()
			}
			r := FirewallRule{}
			copyRuleData(r, c)
			if err := s.verifyRule(r); err != nil {
				return nil, err
			}
			if !c.Has("enable") {
				r["enable"] = "0" // Proxmox creates rules disabled unless told otherwise
			}
			// Proxmox always inserts a new rule at the top; pos is ignored.
			s.firewall.rules = append([]FirewallRule{r}, s.firewall.rules...)
			return nil, nil
		})
	s.handle("PUT", "/cluster/firewall/rules/{pos}",
		"pos:integer(0-) action?:string type?:enum(in|out|forward|group) delete?:string digest?:string moveto?:integer(0-) "+ruleProps,
		func(c *Call) (any, error) {
			if c.Has("digest") && c.Str("digest") != s.rulesDigest() {
				return nil, errModified()
			}
			rules := s.firewall.rules
			pos := c.Int("pos")
			if pos >= len(rules) {
				return nil, fail("no rule at position %d", pos)
			}
			rule := rules[pos]
			if c.Has("moveto") && c.Int("moveto") != pos {
				s.firewall.rules = moveRule(rules, pos, c.Int("moveto"))
				return nil, nil
			}
			r := FirewallRule(cloneMap(rule))
			copyRuleData(r, c)
			for _, k := range listItems(c.Str("delete")) {
				delete(r, k)
			}
			if err := s.verifyRule(r); err != nil {
				return nil, err
			}
			rules[pos] = r
			return nil, nil
		})
	s.handle("DELETE", "/cluster/firewall/rules/{pos}", "pos:integer(0-) digest?:string", func(c *Call) (any, error) {
		if c.Has("digest") && c.Str("digest") != s.rulesDigest() {
			return nil, errModified()
		}
		pos := c.Int("pos")
		if pos >= len(s.firewall.rules) {
			return nil, fail("no rule at position %d", pos)
		}
		s.firewall.rules = append(s.firewall.rules[:pos:pos], s.firewall.rules[pos+1:]...)
		return nil, nil
	})
	s.handle("GET", "/cluster/firewall/aliases", "", func(c *Call) (any, error) {
		items := make([]map[string]string, len(s.firewall.aliases))
		for i, a := range s.firewall.aliases {
			items[i] = map[string]string{"name": a.Name, "cidr": a.CIDR, "comment": a.Comment}
		}
		d := listDigest(items)
		out := []map[string]any{}
		for _, it := range items {
			out = append(out, map[string]any{"name": it["name"], "cidr": it["cidr"], "comment": it["comment"], "digest": d})
		}
		return out, nil
	})
	s.handle("GET", "/cluster/firewall/ipset", "", func(c *Call) (any, error) {
		items := make([]map[string]string, len(s.firewall.ipsets))
		for i, set := range s.firewall.ipsets {
			items[i] = map[string]string{"name": set.Name, "comment": set.Comment, "entries": strings.Join(set.Entries, ",")}
		}
		d := listDigest(items)
		out := []map[string]any{}
		for _, set := range s.firewall.ipsets {
			out = append(out, map[string]any{"name": set.Name, "comment": set.Comment, "digest": d})
		}
		return out, nil
	})
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
		if _, err := strconv.Atoi(p); err != nil && !containsStr(fwProtos, p) {
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
