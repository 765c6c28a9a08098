package tools

import (
	"context"
	"slices"
	"strconv"
	"strings"

	"github.com/pve-mcp/pve-mcp/pve"
)

// The planners of the HA tools: for a resource, the guest's state now and
// the one the HA manager will bring it to; for a rule, the rule list the
// call leaves and what Proxmox's rule check would refuse; for arming and
// disarming, the guests the manager then starts or stops, or leaves alone.

var (
	haResourcesCall = Call{"GET", "/cluster/ha/resources"}
	haResourceGet   = Call{"GET", "/cluster/ha/resources/{sid}"}
	haRulesCall     = Call{"GET", "/cluster/ha/rules"}
	haStatusCall    = Call{"GET", "/cluster/ha/status/current"}
	// haReads are every read an HA planner may make.
	haReads = []Call{haResourcesCall, haResourceGet, haRulesCall, haRuleGet, haStatusCall, resourcesCall}
)

// textMap is an API object's properties as text (digest and the like kept).
type textMap map[string]string

func textMapOf(m map[string]any) textMap {
	out := textMap{}
	for k, v := range m {
		out[k] = textOf(v)
	}
	return out
}

// haRule is one HA rule as a plan lists it.
type haRule textMap

func (r haRule) String() string {
	parts := []string{r["rule"] + ":", r["type"]}
	for _, k := range []string{"resources", "nodes", "strict", "affinity"} {
		if v := r[k]; v != "" && !(k == "strict" && v == "0") {
			parts = append(parts, k+"="+v)
		}
	}
	if r["disable"] == "1" {
		parts = append(parts, "(disabled)")
	}
	if c := r["comment"]; c != "" {
		parts = append(parts, strconv.Quote(c))
	}
	return strings.Join(parts, " ")
}

// readHA reads the HA resources (by sid) and rules (in order).
func (env *Env) readHA(ctx context.Context) (map[string]textMap, []haRule, error) {
	var res, rules []map[string]any
	if err := env.PVE.Get(ctx, haResourcesCall.Path, nil, &res); err != nil {
		return nil, nil, err
	}
	if err := env.PVE.Get(ctx, haRulesCall.Path, nil, &rules); err != nil {
		return nil, nil, err
	}
	bySID := map[string]textMap{}
	for _, r := range res {
		t := textMapOf(r)
		bySID[t["sid"]] = t
	}
	out := make([]haRule, len(rules))
	for i, r := range rules {
		out[i] = haRule(textMapOf(r))
	}
	return bySID, out, nil
}

// haFencing reads whether HA is armed: "armed", or "disarmed (freeze)".
func (env *Env) haFencing(ctx context.Context) (string, error) {
	var st []struct {
		Type  string `json:"type"`
		Armed string `json:"armed-state"`
		Mode  string `json:"resource_mode"`
	}
	if err := env.PVE.Get(ctx, haStatusCall.Path, nil, &st); err != nil {
		return "", err
	}
	for _, s := range st {
		if s.Type == "fencing" && s.Armed != "" {
			if s.Mode != "" {
				return s.Armed + " (" + s.Mode + ")", nil
			}
			return s.Armed, nil
		}
	}
	return "armed", nil
}

// haGuest finds the guest an HA resource id names (vm:100, ct:200) among
// the cluster's guests; nil if none.
func haGuest(guests []resource, sid string) *resource {
	typ, id, _ := strings.Cut(sid, ":")
	vmid, _ := strconv.Atoi(id)
	want := map[string]string{"vm": "qemu", "ct": "lxc"}[typ]
	for i, r := range guests {
		if r.VMID == vmid && r.Type == want {
			return &guests[i]
		}
	}
	return nil
}

// haGuestPlan is the guest's state now and once the HA manager applies
// state (unless disarmed).
func haGuestPlan(g *resource, sid, state, fencing string) GuestPlan {
	gp := GuestPlan{VMID: g.VMID, Name: g.Name, Type: g.Type, Node: g.Node, Now: g.Status, After: g.Status, HA: strings.TrimSpace(sid + " " + state)}
	if fencing != "armed" {
		return gp
	}
	switch state {
	case "started":
		if g.Template == 0 {
			gp.After = "running"
		}
	case "stopped", "disabled":
		gp.After = "stopped"
	}
	return gp
}

func noteFencing(p *Plan, fencing string) {
	if fencing != "armed" {
		p.note("HA is %s: no state is applied until pve_arm_ha", fencing)
	}
}

// haCreatePlan plans putting a guest under HA: its settings, and the
// guest's state once the manager applies the requested one.
func haCreatePlan(ctx context.Context, env *Env, in haCreateIn) (*Plan, error) {
	p, params, err := env.startPlan(ctx, Call{"POST", haResourcesCall.Path}, &in)
	if err != nil {
		return nil, err
	}
	p.Changes = newSettings(params, "sid")
	state := in.State
	if state == "" {
		state = "started"
		p.Changes = append(p.Changes, Change{Key: "state", To: "started (default)"})
	}
	res, _, err := env.readHA(ctx)
	if err != nil {
		return nil, err
	}
	if _, dup := res[in.SID]; dup {
		p.fail("resource ID '%s' already defined", in.SID)
	}
	return env.haStatePlan(ctx, p, in.SID, state)
}

// haUpdatePlan plans changing an HA resource: current → proposed per
// setting, and the guest's state after.
func haUpdatePlan(ctx context.Context, env *Env, in haUpdateIn) (*Plan, error) {
	p, cur, err := configPlan(ctx, env, haResourceGet, Call{"PUT", haResourceGet.Path}, &in)
	if err != nil {
		p = &Plan{}
		return p, p.failOn(err)
	}
	state := in.State
	switch {
	case state != "":
	case slices.Contains(in.Delete, "state"):
		state = "started" // the default
	default:
		state = textOf(cur["state"])
	}
	return env.haStatePlan(ctx, p, in.SID, state)
}

// haStatePlan adds to p the guest of sid, now and once the HA manager
// applies state.
func (env *Env) haStatePlan(ctx context.Context, p *Plan, sid, state string) (*Plan, error) {
	guests, err := env.resources(ctx, "vm")
	if err != nil {
		return nil, err
	}
	g := haGuest(guests, sid)
	if g == nil {
		p.fail("resource '%s' does not exist in cluster", sid)
		return p, nil
	}
	fencing, err := env.haFencing(ctx)
	if err != nil {
		return nil, err
	}
	gp := haGuestPlan(g, sid, state, fencing)
	noteFencing(p, fencing)
	if state == "started" && g.Template != 0 {
		p.note("%d is a template: HA cannot start it", g.VMID)
	}
	if len(p.WouldFail) > 0 {
		gp.After = gp.Now
	}
	p.Guests = []GuestPlan{gp}
	return p, nil
}

// haDeletePlan plans removing a guest from HA: the resource, and with
// purge its place in rules (a rule left empty goes too).
func haDeletePlan(ctx context.Context, env *Env, in haDeleteIn) (*Plan, error) {
	p, _, err := env.startPlan(ctx, Call{"DELETE", haResourceGet.Path}, &in)
	if err != nil {
		return nil, err
	}
	res, rules, err := env.readHA(ctx)
	if err != nil {
		return nil, err
	}
	r, ok := res[in.SID]
	if !ok {
		p.fail("no such resource '%s'", in.SID)
		return p, nil
	}
	p.Destroys = []string{"HA resource " + in.SID + " (state " + r["state"] + ")"}
	purge := in.Purge == nil || *in.Purge
	for _, rule := range rules {
		sids := strings.Split(rule["resources"], ",")
		if !slices.Contains(sids, in.SID) {
			continue
		}
		switch {
		case !purge:
			p.note("HA rule %s still names %s (purge is off)", rule["rule"], in.SID)
		case len(sids) == 1:
			p.Destroys = append(p.Destroys, "HA rule "+rule.String()+" (its only resource)")
		default:
			p.Destroys = append(p.Destroys, in.SID+" from HA rule "+rule["rule"])
		}
	}
	guests, err := env.resources(ctx, "vm")
	if err != nil {
		return nil, err
	}
	if g := haGuest(guests, in.SID); g != nil {
		p.note("the guest stays %s on %s, no longer recovered by HA", g.Status, g.Node)
	}
	return p, nil
}

// haRuleKeys are the properties each rule type takes.
var haRuleKeys = map[string][]string{
	"node-affinity":     {"resources", "nodes", "strict", "disable", "comment"},
	"resource-affinity": {"resources", "affinity", "disable", "comment"},
}

// checkHARule states what Proxmox refuses in a rule's resulting
// properties: keys of another type, resources not HA-managed, nodes not
// in the cluster, what each type requires.
func (env *Env) checkHARule(ctx context.Context, p *Plan, typ string, r haRule, given []string, res map[string]textMap) error {
	for _, k := range given {
		if !slices.Contains(haRuleKeys[typ], k) {
			p.fail("%s: property is not defined for rules of type '%s'", k, typ)
		}
	}
	sids := splitIDs(r["resources"])
	for _, sid := range sids {
		if _, ok := res[sid]; !ok {
			p.fail("resources: HA resource '%s' is not configured (pve_create_ha_resource first)", sid)
		}
	}
	switch typ {
	case "node-affinity":
		nodes := splitIDs(r["nodes"])
		if len(nodes) == 0 {
			p.fail("nodes: property is missing and it is not optional")
		}
		var cluster []resource
		if len(nodes) > 0 {
			var err error
			if cluster, err = env.resources(ctx, "node"); err != nil {
				return err
			}
		}
		for _, n := range nodes {
			name, _, _ := strings.Cut(n, ":")
			if !slices.ContainsFunc(cluster, func(c resource) bool { return c.Type == "node" && c.Node == name }) {
				p.fail("nodes: no such cluster node '%s'", name)
			}
		}
	case "resource-affinity":
		if r["affinity"] == "" {
			p.fail("affinity: property is missing and it is not optional")
		}
		if len(sids) < 2 {
			p.fail("resources: a resource affinity rule needs at least two resources")
		}
	}
	return nil
}

// haRuleParams are the rule properties a call sends, apart from ids.
func haRuleParams(params pve.Values) (haRule, []string) {
	r, given := haRule{}, []string{}
	for _, k := range sortedKeys(params) {
		switch k {
		case "rule", "type", "digest", "delete":
			continue
		}
		r[k], given = params.Get(k), append(given, k)
	}
	return r, given
}

func haRuleCreatePlan(ctx context.Context, env *Env, in haRuleCreateIn) (*Plan, error) {
	call := Call{"POST", haRulesCall.Path}
	p, params, err := env.startPlan(ctx, call, &in)
	if err != nil {
		return nil, err
	}
	res, rules, err := env.readHA(ctx)
	if err != nil {
		return nil, err
	}
	if slices.ContainsFunc(rules, func(r haRule) bool { return r["rule"] == in.Rule }) {
		p.fail("HA rule '%s' already defined", in.Rule)
		return p, nil
	}
	r, given := haRuleParams(params)
	r["rule"], r["type"] = in.Rule, in.Type
	if err := env.checkHARule(ctx, p, in.Type, r, given, res); err != nil {
		return nil, err
	}
	at, _ := slices.BinarySearchFunc(rules, in.Rule, func(x haRule, id string) int { return strings.Compare(x["rule"], id) })
	p.Rules = ruleLines(slices.Insert(rules, at, r), map[int]string{at: "+"})
	return p, nil
}

func haRuleUpdatePlan(ctx context.Context, env *Env, in haRuleUpdateIn) (*Plan, error) {
	var cur map[string]any
	if err := env.getAt(ctx, haRuleGet, map[string]string{"rule": in.Rule}, nil, &cur); err != nil {
		p := &Plan{}
		return p, p.failOn(err)
	}
	before := haRule(textMapOf(cur))
	if in.Type != "" && in.Type != before["type"] {
		p := &Plan{}
		p.fail("type: rule '%s' is of type '%s'", in.Rule, before["type"])
		return p, nil
	}
	in.Type = before["type"]
	p, _, err := configPlan(ctx, env, haRuleGet, haRulePut, &in)
	if err != nil {
		return nil, err
	}
	params, err := paramsOf(haRulePut, &in)
	if err != nil {
		return nil, err
	}
	set, given := haRuleParams(params)
	after := haRule{}
	for k, v := range before {
		after[k] = v
	}
	for k, v := range set {
		after[k] = v
	}
	for _, k := range in.Delete {
		if k == "resources" || !slices.Contains(haRuleKeys[in.Type], k) {
			p.fail("delete: cannot delete property '%s'", k)
		}
		delete(after, k)
	}
	res, _, err := env.readHA(ctx)
	if err != nil {
		return nil, err
	}
	if err := env.checkHARule(ctx, p, in.Type, after, given, res); err != nil {
		return nil, err
	}
	p.Rules = []string{"~ " + after.String()}
	return p, nil
}

func haRuleDeletePlan(ctx context.Context, env *Env, in haRuleIn) (*Plan, error) {
	p, _, err := env.startPlan(ctx, Call{"DELETE", haRuleGet.Path}, &in)
	if err != nil {
		return nil, err
	}
	var cur map[string]any
	if err := env.getAt(ctx, haRuleGet, map[string]string{"rule": in.Rule}, nil, &cur); err != nil {
		return p, p.failOn(err)
	}
	r := haRule(textMapOf(cur))
	p.Digest = r["digest"]
	p.Destroys = []string{"HA rule " + r.String()}
	p.note("its resources (%s) stay HA-managed, no longer placed by this rule", r["resources"])
	return p, nil
}

// haFencingPlan begins an arm or disarm plan: the request and the fencing
// state now; done when it already is to.
func (env *Env) haFencingPlan(ctx context.Context, call Call, in any, to string) (p *Plan, done bool, err error) {
	if p, _, err = env.startPlan(ctx, call, in); err != nil {
		return nil, false, err
	}
	fencing, err := env.haFencing(ctx)
	if err != nil {
		return nil, false, err
	}
	if fencing == to {
		p.note("HA is already %s: nothing changes", fencing)
		return p, true, nil
	}
	p.Changes = []Change{{Key: "fencing", Now: &fencing, To: to}}
	return p, false, nil
}

// haDisarmPlan plans disarming HA: what the mode does to the resources.
func haDisarmPlan(ctx context.Context, env *Env, in haDisarmIn) (*Plan, error) {
	p, done, err := env.haFencingPlan(ctx, Call{"POST", "/cluster/ha/status/disarm-ha"}, &in, "disarmed ("+in.ResourceMode+")")
	if err != nil || done {
		return p, err
	}
	if in.ResourceMode == "freeze" {
		p.note("HA resources are frozen: no recovery, no state changes, until pve_arm_ha")
	} else {
		p.note("HA resources are unmanaged: guests can be started, stopped and moved by hand, until pve_arm_ha")
	}
	return p, nil
}

// haArmPlan plans re-arming HA: the guests whose requested state the
// manager then applies.
func haArmPlan(ctx context.Context, env *Env, in EmptyIn) (*Plan, error) {
	p, done, err := env.haFencingPlan(ctx, Call{"POST", "/cluster/ha/status/arm-ha"}, &in, "armed")
	if err != nil || done {
		return p, err
	}
	res, _, err := env.readHA(ctx)
	if err != nil {
		return nil, err
	}
	guests, err := env.resources(ctx, "vm")
	if err != nil {
		return nil, err
	}
	for _, sid := range sortedKeys(res) {
		if g := haGuest(guests, sid); g != nil {
			if gp := haGuestPlan(g, sid, res[sid]["state"], "armed"); gp.After != gp.Now {
				p.Guests = append(p.Guests, gp)
			}
		}
	}
	if len(p.Guests) == 0 {
		p.note("every HA guest is already in its requested state")
	}
	return p, nil
}
