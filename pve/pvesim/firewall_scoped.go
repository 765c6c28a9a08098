package pvesim

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The host firewall of each node (host.fw) and the firewall of each guest
// (<vmid>.fw): rules with positions and digests as in cluster.fw, their own
// options, and the pve-firewall log each node writes.

// fwLogTime is the timestamp format of pve-firewall.log.
const fwLogTime = "02/Jan/2006:15:04:05 -0700"

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

var fwReNetIface = lazyRegexp(`^net\d+$`)

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
			for _, k := range splitList(c.Str("delete")) {
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
	isBool := func(k string) bool { return slices.Contains(sc.bools, k) }
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
		for _, k := range splitList(c.Str("delete")) {
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
	if i := r["iface"]; i != "" && !fwReNetIface().MatchString(i) {
		return badParam("iface", fmt.Sprintf("invalid interface name '%s' - must be netX", i))
	}
	return nil
}
