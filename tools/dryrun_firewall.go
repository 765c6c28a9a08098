package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/pve-mcp/pve-mcp/pve"
)

// The planners of the firewall rule and option tools, at every level
// (cluster, a node's host firewall, a guest's): the rule list the call
// leaves, the rule before and after, the rules digest the call checks, and
// what Proxmox's verify_rule would refuse.

// ruleSettings is one firewall rule's settings as text, keyed as the API names
// them (type, action, macro, source, dport, enable ...).
type ruleSettings map[string]string

// ruleSettingKeys is the order a rule is written in.
var ruleSettingKeys = []string{"type", "action", "macro", "proto", "source", "dest", "sport", "dport", "icmp-type", "iface", "log"}

// String is the rule on one line: "in ACCEPT macro=SSH source=+management".
func (r ruleSettings) String() string {
	parts := []string{r["type"], r["action"]}
	for _, k := range ruleSettingKeys[2:] {
		if v := r[k]; v != "" {
			parts = append(parts, k+"="+v)
		}
	}
	if r["enable"] != "1" {
		parts = append(parts, "(disabled)")
	}
	if c := r["comment"]; c != "" {
		parts = append(parts, strconv.Quote(c))
	}
	return strings.Join(parts, " ")
}

// ruleCheckReads are the reads a rule check may make at the cluster level.
var ruleCheckReads = []Call{
	{"GET", "/cluster/firewall/groups"},
	{"GET", "/cluster/firewall/macros"},
	{"GET", "/cluster/firewall/aliases"},
	{"GET", "/cluster/firewall/ipset"},
}

// readFwRules reads the rules at base (a firewall path such as
// /cluster/firewall) in order, and their digest.
func (env *Env) readFwRules(ctx context.Context, base string) ([]ruleSettings, string, error) {
	var list []map[string]any
	if err := env.PVE.Get(ctx, base+"/rules", nil, &list); err != nil {
		return nil, "", err
	}
	var digest string
	rules := make([]ruleSettings, len(list))
	for i, m := range list {
		if d, ok := m["digest"].(string); ok {
			digest = d
		}
		r := ruleSettings{}
		for k, v := range m {
			if k != "pos" && k != "digest" {
				r[k] = textOf(v)
			}
		}
		rules[i] = r
	}
	return rules, digest, nil
}

// textOf is a JSON value as Proxmox would take it back: strings as they
// are, numbers and the rest as JSON.
func textOf(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// maxRuleLines bounds a plan's rule list: longer lists show the rules
// around the changed ones.
const maxRuleLines = 20

// ruleLines writes rules one a line with their position, marking those in
// mark ("+" new, "~" changed, ">" moved).
func ruleLines[R fmt.Stringer](rules []R, mark map[int]string) []string {
	var out []string
	skipped := 0
	for i, r := range rules {
		near := len(rules) <= maxRuleLines
		for at := range mark {
			near = near || i >= at-2 && i <= at+2
		}
		if !near {
			skipped++
			continue
		}
		if skipped > 0 {
			out = append(out, fmt.Sprintf("... %d more", skipped))
			skipped = 0
		}
		m := mark[i]
		if m == "" {
			m = " "
		}
		out = append(out, fmt.Sprintf("%s %d: %s", m, i, r))
	}
	if skipped > 0 {
		out = append(out, fmt.Sprintf("... %d more", skipped))
	}
	return out
}

// moveFwRule is Proxmox's move: the rule at pos goes before the rule now at
// moveto, the end when moveto is past it. It returns the list and the
// rule's new position.
func moveFwRule(rules []ruleSettings, pos, moveto int) ([]ruleSettings, int) {
	rule := rules[pos]
	out := slices.Delete(slices.Clone(rules), pos, pos+1)
	at := min(moveto, len(rules))
	if at > pos {
		at--
	}
	return slices.Insert(out, at, rule), at
}

var fwGuestIface = regexp.MustCompile(`^net\d+$`)

// checkFwRule states what verify_rule would refuse in r at level
// (cluster, node, qemu or lxc). Names a guest may define itself (aliases,
// IP sets) are only noted when the cluster lacks them.
func (env *Env) checkFwRule(ctx context.Context, p *Plan, r ruleSettings, level string) error {
	guest := level == "qemu" || level == "lxc"
	if r["type"] == "group" {
		groups, err := env.fwNames(ctx, "/cluster/firewall/groups", "group")
		if err != nil {
			return err
		}
		if !slices.Contains(groups, strings.ToLower(r["action"])) {
			p.fail("action: security group '%s' does not exist", r["action"])
		}
	} else if a := r["action"]; a != "ACCEPT" && a != "DROP" && a != "REJECT" {
		p.fail("action: unknown action '%s'", a)
	}
	if m := r["macro"]; m != "" {
		macros, err := env.fwNames(ctx, "/cluster/firewall/macros", "macro")
		if err != nil {
			return err
		}
		if !slices.Contains(macros, strings.ToLower(m)) {
			p.fail("macro: unknown macro '%s'", m)
		}
	}
	for _, k := range []string{"dport", "sport"} {
		proto := r["proto"]
		switch {
		case r[k] == "":
		case proto == "" && r["macro"] == "":
			p.fail("proto: '%s' requires a proto (tcp, udp) or a macro", k)
		case proto != "" && !slices.Contains([]string{"tcp", "udp", "sctp", "udplite"}, proto):
			p.fail("%s: protocol '%s' does not support ports", k, proto)
		}
	}
	if guest && r["type"] == "forward" {
		p.fail("type: forward rules are only allowed on host and vnet level")
	}
	if i := r["iface"]; guest && i != "" && !fwGuestIface.MatchString(i) {
		p.fail("iface: invalid interface name '%s' - must be netX", i)
	}
	var aliases, ipsets []string
	for _, k := range []string{"source", "dest"} {
		v := r[k]
		if v == "" {
			continue
		}
		name, isSet := strings.CutPrefix(v, "+")
		local := !strings.HasPrefix(name, "dc/")
		name = strings.TrimPrefix(name, "dc/")
		what, list, path := "ipset", &ipsets, "/cluster/firewall/ipset"
		if !isSet {
			if !(v[0] >= 'A' && v[0] <= 'z') || strings.Contains(v, ":") {
				continue // an address, range or list
			}
			what, list, path = "alias", &aliases, "/cluster/firewall/aliases"
		}
		if *list == nil {
			var err error
			if *list, err = env.fwNames(ctx, path, "name"); err != nil {
				return err
			}
		}
		switch {
		case slices.Contains(*list, strings.ToLower(name)):
		case guest && local:
			p.note("%s: no cluster %s '%s'; the guest's firewall must define it", k, what, name)
		default:
			p.fail("%s: no such %s '%s'", k, what, name)
		}
	}
	return nil
}

// fwNames reads a firewall list at path (groups, macros, aliases, IP
// sets) and returns each entry's key, lower case: Proxmox matches them so.
func (env *Env) fwNames(ctx context.Context, path, key string) ([]string, error) {
	var list []map[string]any
	if err := env.PVE.Get(ctx, path, nil, &list); err != nil {
		return nil, err
	}
	names := make([]string, 0, len(list))
	for _, m := range list {
		names = append(names, strings.ToLower(textOf(m[key])))
	}
	return names, nil
}

// fwLevel is where a rule tool acts: the level, the firewall path
// (placeholders filled) and the call template's prefix.
type fwLevel struct {
	level, base, prefix string
}

// planFwLevel resolves the firewall a guest-level tool names; a guest that
// does not exist is the plan's would_fail (ok false).
func (env *Env) planFwLevel(ctx context.Context, p *Plan, s *fwScopeIn) (fwLevel, bool, error) {
	prefix, err := env.fwPrefix(ctx, s)
	if err != nil {
		if s.VMID == 0 && s.Node == "" {
			return fwLevel{}, false, err // a bad input, not a precondition
		}
		p.fail("%v", err)
		return fwLevel{}, false, nil
	}
	base, err := pve.BuildPath(prefix, map[string]string{"node": s.Node, "vmid": strconv.Itoa(s.VMID)})
	return fwLevel{level: s.level, base: base, prefix: prefix}, err == nil, err
}

var clusterFw = fwLevel{level: "cluster", base: "/cluster/firewall", prefix: "/cluster/firewall"}

// readRulesFor reads the rules of a plan's firewall; a refused read is the
// plan's would_fail (ok false).
func (env *Env) readRulesFor(ctx context.Context, p *Plan, at fwLevel) ([]ruleSettings, bool, error) {
	rules, digest, err := env.readFwRules(ctx, at.base)
	if err != nil {
		return nil, false, p.failOn(err)
	}
	p.Digest = digest
	return rules, true, nil
}

// fwCreatePlan plans adding rule (its settings in params) at pos.
func (env *Env) fwCreatePlan(ctx context.Context, p *Plan, at fwLevel, params pve.Values, pos *int) (*Plan, error) {
	rules, ok, err := env.readRulesFor(ctx, p, at)
	if err != nil || !ok {
		return p, err
	}
	r := ruleSettings{}
	for k := range params {
		if k != "pos" && k != "digest" {
			r[k] = params.Get(k)
		}
	}
	if r["enable"] == "" {
		r["enable"] = "0"
		p.note("created disabled: pass enable 1 to make it active")
	}
	want := 0
	if pos != nil {
		want = min(*pos, len(rules))
	}
	after := slices.Insert(slices.Clone(rules), want, r)
	p.Rules = ruleLines(after, map[int]string{want: "+"})
	if err := env.checkFwRule(ctx, p, r, at.level); err != nil {
		return nil, err
	}
	env.noteFwOff(ctx, p, at)
	return p, nil
}

// noteFwOff notes a firewall that is off: its rules do nothing.
func (env *Env) noteFwOff(ctx context.Context, p *Plan, at fwLevel) {
	var opts struct {
		Enable *flag `json:"enable"`
	}
	if env.PVE.Get(ctx, at.base+"/options", nil, &opts) != nil {
		return
	}
	// Guest and host firewalls default to off, the cluster's too.
	if opts.Enable == nil || !bool(*opts.Enable) {
		p.note("the %s firewall is disabled (options enable=0): its rules take effect once it is enabled", at.level)
	}
}

// fwUpdatePlan plans changing (or moving) the rule at u.Pos; params are
// what the call sends.
func (env *Env) fwUpdatePlan(ctx context.Context, p *Plan, at fwLevel, params pve.Values, u updateRuleIn) (*Plan, error) {
	rules, ok, err := env.readRulesFor(ctx, p, at)
	if err != nil || !ok || !rulePosOK(p, rules, u.rulePosIn) {
		return p, err
	}
	if u.MoveTo != nil && *u.MoveTo != u.Pos {
		moved, to := moveFwRule(rules, u.Pos, *u.MoveTo)
		now := strconv.Itoa(u.Pos)
		p.Changes = []Change{{Key: "pos", Now: &now, To: strconv.Itoa(to)}}
		p.Rules = ruleLines(moved, map[int]string{to: ">"})
		return p, nil
	}
	before := rules[u.Pos]
	r := ruleSettings{}
	for k, v := range before {
		r[k] = v
	}
	for k := range params {
		switch k {
		case "pos", "digest", "moveto", "delete":
		default:
			r[k] = params.Get(k)
		}
	}
	for _, k := range u.Delete {
		delete(r, k)
	}
	keys := map[string]bool{}
	for k := range before {
		keys[k] = true
	}
	for k := range r {
		keys[k] = true
	}
	for _, k := range sortedKeys(keys) {
		now, had := before[k]
		to, has := r[k]
		switch {
		case !had:
			p.Changes = append(p.Changes, Change{Key: k, To: to})
		case !has:
			p.Changes = append(p.Changes, Change{Key: k, Now: &now, Removed: true})
		case now != to:
			p.Changes = append(p.Changes, Change{Key: k, Now: &now, To: to})
		}
	}
	if len(p.Changes) == 0 {
		p.note("no setting would change")
	}
	p.Rules = []string{fmt.Sprintf("~ %d: %s", u.Pos, r)}
	return p, env.checkFwRule(ctx, p, r, at.level)
}

// rulePosOK checks there is a rule at pos and the digest given still
// fits; the problems go in p.WouldFail.
func rulePosOK(p *Plan, rules []ruleSettings, in rulePosIn) bool {
	if in.Pos >= len(rules) {
		p.fail("no rule at position %d (the firewall has %d rules)", in.Pos, len(rules))
		return false
	}
	if in.Digest != "" && p.Digest != "" && in.Digest != p.Digest {
		p.fail("digest %s does not match the current %s: the rules changed since they were read", in.Digest, p.Digest)
	}
	return true
}

// fwDeletePlan plans deleting the rule at in.Pos.
func (env *Env) fwDeletePlan(ctx context.Context, p *Plan, at fwLevel, in rulePosIn) (*Plan, error) {
	rules, ok, err := env.readRulesFor(ctx, p, at)
	if err != nil || !ok || !rulePosOK(p, rules, in) {
		return p, err
	}
	p.Destroys = []string{fmt.Sprintf("rule %d: %s", in.Pos, rules[in.Pos])}
	if last := len(rules) - 1; in.Pos < last {
		p.note("rules %d-%d move up one position", in.Pos+1, last)
	}
	return p, nil
}

// The planners as the tools declare them: cluster level, then guest or host.

func createRulePlan(ctx context.Context, env *Env, in createRuleIn) (*Plan, error) {
	p, params, err := env.startPlan(ctx, createRuleCall, &in)
	if err != nil {
		return nil, err
	}
	return env.fwCreatePlan(ctx, p, clusterFw, params, in.Pos)
}

func updateRulePlan(ctx context.Context, env *Env, in updateRuleIn) (*Plan, error) {
	p, params, err := env.startPlan(ctx, updateRuleCall, &in)
	if err != nil {
		return nil, err
	}
	return env.fwUpdatePlan(ctx, p, clusterFw, params, in)
}

func deleteRulePlan(ctx context.Context, env *Env, in rulePosIn) (*Plan, error) {
	p, _, err := env.startPlan(ctx, Call{"DELETE", "/cluster/firewall/rules/{pos}"}, &in)
	if err != nil {
		return nil, err
	}
	return env.fwDeletePlan(ctx, p, clusterFw, in)
}

// guestFwPlanner plans a rule tool at the guest or host level: suffix and
// method are the call's, plan does the rest once the level is known.
func guestFwPlanner[In any, P interface {
	*In
	fwScoped
}](method, suffix string, plan func(ctx context.Context, env *Env, p *Plan, at fwLevel, params pve.Values, in *In) (*Plan, error)) Planner[In] {
	return func(ctx context.Context, env *Env, in In) (*Plan, error) {
		p := &Plan{}
		at, ok, err := env.planFwLevel(ctx, p, P(&in).scope())
		if err != nil || !ok {
			return p, err
		}
		p, params, err := env.startPlan(ctx, Call{method, at.prefix + suffix}, &in)
		if err != nil {
			return nil, err
		}
		return plan(ctx, env, p, at, params, &in)
	}
}

var (
	guestCreateRulePlan = guestFwPlanner[fwCreateRuleIn]("POST", "/rules",
		func(ctx context.Context, env *Env, p *Plan, at fwLevel, params pve.Values, in *fwCreateRuleIn) (*Plan, error) {
			return env.fwCreatePlan(ctx, p, at, params, in.Pos)
		})
	guestUpdateRulePlan = guestFwPlanner[fwUpdateRuleIn]("PUT", "/rules/{pos}",
		func(ctx context.Context, env *Env, p *Plan, at fwLevel, params pve.Values, in *fwUpdateRuleIn) (*Plan, error) {
			return env.fwUpdatePlan(ctx, p, at, params, in.updateRuleIn)
		})
	guestDeleteRulePlan = guestFwPlanner[fwRulePosIn]("DELETE", "/rules/{pos}",
		func(ctx context.Context, env *Env, p *Plan, at fwLevel, _ pve.Values, in *fwRulePosIn) (*Plan, error) {
			return env.fwDeletePlan(ctx, p, at, in.rulePosIn)
		})
)

// guestFwOptionsPlan plans a guest's or host's firewall options change:
// current → proposed per option.
func guestFwOptionsPlan(ctx context.Context, env *Env, in fwOptionsIn) (*Plan, error) {
	if err := fwOptionsInputErr(in); err != nil {
		return nil, err
	}
	head := &Plan{}
	at, ok, err := env.planFwLevel(ctx, head, &in.fwScopeIn)
	if err != nil || !ok {
		return head, err
	}
	p, _, err := configPlan(ctx, env, Call{"GET", at.prefix + "/options"}, Call{"PUT", at.prefix + "/options"}, &in)
	if err != nil || in.Enable == nil || !*in.Enable {
		return p, err
	}
	// A firewall switched on filters nothing while the cluster's is off,
	// nor, for a guest, on NICs without firewall=1.
	env.noteFwOff(ctx, p, clusterFw)
	if at.level == "node" {
		return p, nil
	}
	var cfg map[string]any
	if err := env.getAt(ctx, Call{"GET", "/nodes/{node}/" + at.level + "/{vmid}/config"}, map[string]string{"node": in.Node, "vmid": strconv.Itoa(in.VMID)}, nil, &cfg); err != nil {
		return nil, err
	}
	for _, k := range sortedKeys(cfg) {
		if v, ok := cfg[k].(string); ok && fwGuestIface.MatchString(k) && strings.Contains(","+v+",", ",firewall=1,") {
			return p, nil
		}
	}
	p.note("no NIC of guest %d has firewall=1: its firewall filters nothing until one does", in.VMID)
	return p, nil
}
