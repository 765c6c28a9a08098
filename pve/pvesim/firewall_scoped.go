package pvesim

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// The host firewall of each node (host.fw) and the firewall of each guest
// (<vmid>.fw): rules with positions and digests as in cluster.fw, their own
// options, and the pve-firewall log each node writes.

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

// fwLogTime is the timestamp format of pve-firewall.log.
const fwLogTime = "02/Jan/2006:15:04:05 -0700"

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

// fwScope describes one kind of non-cluster firewall: its path prefix and
// options, and how a call names its config.
type fwScope struct {
	kind    string // node, qemu, lxc
	prefix  string
	ids     string
	options string // PUT options parameter declaration (besides ids, delete, digest)
	bools   []string
}

var fwLogLevels = "enum(emerg|alert|crit|err|warning|notice|info|debug|nolog)"

var fwScopes = []fwScope{
	{kind: "node", prefix: "/nodes/{node}/firewall", ids: "node:string",
		options: "enable?:boolean log_level_forward?:" + fwLogLevels + " log_level_in?:" + fwLogLevels + " log_level_out?:" + fwLogLevels +
			" log_nf_conntrack?:boolean ndp?:boolean nf_conntrack_allow_invalid?:boolean nf_conntrack_helpers?:string" +
			" nf_conntrack_max?:integer(32768-) nf_conntrack_tcp_timeout_established?:integer(7875-)" +
			" nf_conntrack_tcp_timeout_syn_recv?:integer(30-60) nftables?:boolean nosmurfs?:boolean protection_synflood?:boolean" +
			" protection_synflood_burst?:integer protection_synflood_rate?:integer smurf_log_level?:" + fwLogLevels +
			" tcp_flags_log_level?:" + fwLogLevels + " tcpflags?:boolean",
		bools: []string{"enable", "log_nf_conntrack", "ndp", "nf_conntrack_allow_invalid", "nftables", "nosmurfs", "protection_synflood", "tcpflags"}},
	{kind: "qemu", prefix: "/nodes/{node}/qemu/{vmid}/firewall", ids: guestIDs, options: fwGuestOptions, bools: fwGuestBools},
	{kind: "lxc", prefix: "/nodes/{node}/lxc/{vmid}/firewall", ids: guestIDs, options: fwGuestOptions, bools: fwGuestBools},
}

var fwReNetIface = regexp.MustCompile(`^net\d+$`)

const fwGuestOptions = "dhcp?:boolean enable?:boolean ipfilter?:boolean log_level_in?:enum(emerg|alert|crit|err|warning|notice|info|debug|nolog)" +
	" log_level_out?:enum(emerg|alert|crit|err|warning|notice|info|debug|nolog) macfilter?:boolean ndp?:boolean" +
	" policy_in?:enum(ACCEPT|REJECT|DROP) policy_out?:enum(ACCEPT|REJECT|DROP) radv?:boolean"

var fwGuestBools = []string{"dhcp", "enable", "ipfilter", "macfilter", "ndp", "radv"}

// fwConf finds the config a call addresses, failing as Proxmox does for a
// guest whose config is not on the node; a missing file reads as empty.
// fwRuleAt is the checks a change to one rule makes: the config exists,
// the digest (if sent) matches, and there is a rule at pos.
func (s *Sim) fwRuleAt(c *Call, sc fwScope) (*fwScopedConf, int, error) {
	conf, _, err := s.fwConf(c, sc)
	if err != nil {
		return nil, 0, err
	}
	if err := checkDigest(c, fwScopedRulesDigest(conf)); err != nil {
		return nil, 0, err
	}
	pos := c.Int("pos")
	if pos >= len(conf.rules) {
		return nil, 0, fail("no rule at position %d", pos)
	}
	return conf, pos, nil
}

func (s *Sim) fwConf(c *Call, sc fwScope) (*fwScopedConf, string, error) {
	key := "node/" + c.Str("node")
	if sc.kind != "node" {
		g, err := s.guest(c, sc.kind)
		if err != nil {
			return nil, "", err
		}
		key = fmt.Sprintf("%s/%d", sc.kind, g.VMID)
	}
	conf := s.fwScoped.conf[key]
	if conf == nil {
		conf = &fwScopedConf{options: map[string]string{}}
		s.fwScoped.conf[key] = conf
	}
	return conf, key, nil
}

func fwScopedRulesDigest(conf *fwScopedConf) string {
	items := make([]map[string]string, len(conf.rules))
	for i, r := range conf.rules {
		items[i] = r
	}
	return listDigest(items)
}

func (s *Sim) routesFwScoped() {
	for _, sc := range fwScopes {
		s.routesFwScope(sc)
	}
}

func (s *Sim) routesFwScope(sc fwScope) {
	s.handle("GET", sc.prefix+"/rules", sc.ids, func(c *Call) (any, error) {
		conf, _, err := s.fwConf(c, sc)
		if err != nil {
			return nil, err
		}
		d := fwScopedRulesDigest(conf)
		out := []map[string]any{}
		for i, r := range conf.rules {
			out = append(out, ruleEntry(r, i, d))
		}
		return out, nil
	})
	s.handle("POST", sc.prefix+"/rules", sc.ids+" action:string type:enum(in|out|forward|group) digest?:string pos?:integer(0-) "+ruleProps,
		func(c *Call) (any, error) {
			conf, _, err := s.fwConf(c, sc)
			if err != nil {
				return nil, err
			}
			if err := checkDigest(c, fwScopedRulesDigest(conf)); err != nil {
				return nil, err
			}
			r := FirewallRule{}
			copyRuleData(r, c)
			if err := s.fwVerifyScopedRule(sc, r); err != nil {
				return nil, err
			}
			if !c.Has("enable") {
				r["enable"] = "0"
			}
			conf.rules = append([]FirewallRule{r}, conf.rules...)
			return nil, nil
		})
	s.handle("PUT", sc.prefix+"/rules/{pos}",
		sc.ids+" pos:integer(0-) action?:string type?:enum(in|out|forward|group) delete?:string digest?:string moveto?:integer(0-) "+ruleProps,
		func(c *Call) (any, error) {
			conf, pos, err := s.fwRuleAt(c, sc)
			if err != nil {
				return nil, err
			}
			rule := conf.rules[pos]
			if c.Has("moveto") && c.Int("moveto") != pos {
				conf.rules = moveRule(conf.rules, pos, c.Int("moveto"))
				return nil, nil
			}
			r := FirewallRule(cloneMap(rule))
			copyRuleData(r, c)
			for _, k := range listItems(c.Str("delete")) {
				delete(r, k)
			}
			if err := s.fwVerifyScopedRule(sc, r); err != nil {
				return nil, err
			}
			conf.rules[pos] = r
			return nil, nil
		})
	s.handle("DELETE", sc.prefix+"/rules/{pos}", sc.ids+" pos:integer(0-) digest?:string", func(c *Call) (any, error) {
		conf, pos, err := s.fwRuleAt(c, sc)
		if err != nil {
			return nil, err
		}
		conf.rules = append(conf.rules[:pos:pos], conf.rules[pos+1:]...)
		return nil, nil
	})
	isBool := func(k string) bool { return containsStr(sc.bools, k) }
	s.handle("GET", sc.prefix+"/options", sc.ids, func(c *Call) (any, error) {
		conf, _, err := s.fwConf(c, sc)
		if err != nil {
			return nil, err
		}
		out := map[string]any{"digest": listDigest([]map[string]string{conf.options})}
		for k, v := range conf.options {
			if n, err := strconv.Atoi(v); err == nil && (isBool(k) || strings.HasPrefix(k, "nf_conntrack_") || strings.HasPrefix(k, "protection_synflood_")) {
				out[k] = n
			} else {
				out[k] = v
			}
		}
		return out, nil
	})
	s.handle("PUT", sc.prefix+"/options", sc.ids+" delete?:string digest?:string "+sc.options, func(c *Call) (any, error) {
		conf, _, err := s.fwConf(c, sc)
		if err != nil {
			return nil, err
		}
		if c.Has("digest") && c.Str("digest") != listDigest([]map[string]string{conf.options}) {
			return nil, errModified()
		}
		opts := cloneMap(conf.options)
		for _, k := range listItems(c.Str("delete")) {
			delete(opts, k)
		}
		for _, p := range parseParams(sc.options) {
			if !c.Has(p.name) {
				continue
			}
			v := c.Str(p.name)
			if p.typ == "boolean" {
				v = strconv.Itoa(b2i(c.Bool(p.name)))
			}
			opts[p.name] = v
		}
		conf.options = opts
		return nil, nil
	})
	s.handle("GET", sc.prefix+"/log", sc.ids+" limit?:integer(0-) since?:integer(0-) start?:integer(0-) until?:integer(0-)", func(c *Call) (any, error) {
		vmid := "0"
		if sc.kind != "node" {
			g, err := s.guest(c, sc.kind)
			if err != nil {
				return nil, err
			}
			vmid = strconv.Itoa(g.VMID)
		}
		return s.fwScopedLog(c, vmid), nil
	})
}

// fwScopedLog answers .../firewall/log as Proxmox's dump_fw_logfile does:
// a guest sees only its own lines, since/until select by the line's time,
// start skips matching lines, limit (default 50, 0 = all) caps them, and n
// counts matching lines from 1. An empty answer is one "no content" line.
func (s *Sim) fwScopedLog(c *Call, vmid string) []map[string]any {
	limit := 50
	if c.Has("limit") {
		limit = c.Int("limit")
	}
	all := limit == 0
	start := c.Int("start")
	out := []map[string]any{}
	count := 0
	for _, line := range s.fwScoped.log[c.Str("node")] {
		fields := strings.SplitN(line, " ", 5)
		if vmid != "0" && fields[0] != vmid {
			continue
		}
		if c.Has("since") || c.Has("until") {
			ts := ""
			if len(fields) == 5 {
				ts = fields[3] + " " + strings.SplitN(fields[4], " ", 2)[0]
			}
			at, err := time.Parse(fwLogTime, ts)
			if err != nil || c.Has("since") && at.Unix() < int64(c.Int("since")) || c.Has("until") && at.Unix() > int64(c.Int("until")) {
				continue
			}
		}
		count++
		if count <= start || !all && len(out) >= limit {
			continue
		}
		out = append(out, map[string]any{"n": count, "t": line})
	}
	if count == 0 {
		out = append(out, map[string]any{"n": 1, "t": "no content"})
	}
	return out
}

// fwVerifyScopedRule is verifyRule plus what the host and guest levels add:
// forwarded traffic is filtered on hosts (and vnets) only, and a guest rule's
// interface is one of its netX devices.
func (s *Sim) fwVerifyScopedRule(sc fwScope, r FirewallRule) error {
	if err := s.verifyRule(r); err != nil {
		return err
	}
	if sc.kind == "node" {
		return nil
	}
	if r["type"] == "forward" {
		return badParam("type", "forward rules are only allowed on host and vnet level")
	}
	if i := r["iface"]; i != "" && !fwReNetIface.MatchString(i) {
		return badParam("iface", fmt.Sprintf("invalid interface name '%s' - must be netX", i))
	}
	return nil
}
