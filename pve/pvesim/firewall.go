package pvesim

import (
	"fmt"
	"strconv"
	"strings"
)

const ruleProps = "comment?:string dest?:string dport?:string enable?:integer(0-) icmp-type?:string iface?:string " +
	"log?:enum(emerg|alert|crit|err|warning|notice|info|debug|nolog) macro?:string proto?:string source?:string sport?:string"

var (
	ruleDataKeys = []string{"type", "action", "macro", "source", "dest", "proto", "dport", "sport", "comment", "enable", "log", "iface", "icmp-type"}
	fwMacros     = []string{"DNS", "HTTP", "HTTPS", "ICMP", "NTP", "Ping", "SMTP", "SNMP", "SSH", "Web", "Ceph", "IMAP", "IMAPS", "LDAP", "MySQL", "PostgreSQL", "RDP", "Samba", "Squid", "Telnet", "VNC"}
	// fwMacroDescr is each macro's description as pve-firewall gives it.
	fwMacroDescr = map[string]string{"DNS": "Domain Name System traffic (upd and tcp)", "HTTP": "Hypertext Transfer Protocol (WWW)",
		"HTTPS": "Hypertext Transfer Protocol (WWW) over SSL", "ICMP": "Internet Control Message Protocol", "NTP": "Network Time Protocol (ntpd)",
		"Ping": "ICMP echo request", "SMTP": "Simple Mail Transfer Protocol", "SNMP": "Simple Network Management Protocol",
		"SSH": "Secure shell traffic", "Web": "WWW traffic (HTTP and HTTPS)", "Ceph": "Ceph Storage Cluster traffic (Ceph Monitors, OSD & MDS Daemons)",
		"IMAP": "Internet Message Access Protocol", "IMAPS": "Internet Message Access Protocol over SSL", "LDAP": "Lightweight Directory Access Protocol traffic",
		"MySQL": "MySQL server", "PostgreSQL": "PostgreSQL server", "RDP": "Microsoft Remote Desktop Protocol traffic",
		"Samba": "Samba (SMB) - Microsoft Windows file and print sharing", "Squid": "Squid web proxy traffic", "Telnet": "Telnet traffic", "VNC": "VNC traffic for VNC display's 0 - 99"}
	fwProtos = []string{"tcp", "udp", "icmp", "icmpv6", "ipv6-icmp", "sctp", "udplite", "esp", "ah", "gre", "igmp", "ospf", "vrrp"}
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
			for _, k := range splitList(c.Str("delete")) {
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
			for _, k := range splitList(c.Str("delete")) {
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
	s.handle("GET", "/cluster/firewall/macros", "", func(c *Call) (any, error) {
		out := []map[string]any{}
		for _, m := range fwMacros {
			out = append(out, map[string]any{"macro": m, "descr": fwMacroDescr[m]})
		}
		return out, nil
	})
	// The simulated cluster has no security groups (verifyRule refuses
	// every group action); the list says so.
	s.handle("GET", "/cluster/firewall/groups", "", func(c *Call) (any, error) {
		return []map[string]any{}, nil
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
