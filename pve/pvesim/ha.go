package pvesim

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

var (
	reSID    = lazyRegexp(`^([a-z]+):(\S+)$`)
	reHANode = lazyRegexp(`^([a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?)(?::(\d+))?$`)
)

const haResourceProps = "comment?:string failback?:boolean group?:string max_relocate?:integer(0-) max_restart?:integer(0-) state?:enum(started|stopped|enabled|disabled|ignored)"

func (s *Sim) routesHa() {
	s.handle("GET", "/cluster/ha/resources", "type?:enum(ct|vm)", func(c *Call) (any, error) {
		out := []map[string]any{}
		for _, r := range s.sortedHAResources() {
			if c.Has("type") && r.Type != c.Str("type") {
				continue
			}
			out = append(out, r.view())
		}
		return out, nil
	})
	s.handle("GET", "/cluster/ha/resources/{sid}", "sid:string", func(c *Call) (any, error) {
		r, err := s.haResource(c.Str("sid"))
		if err != nil {
			return nil, err
		}
		return r.view(), nil
	})
	s.handle("POST", "/cluster/ha/resources", "sid:string type?:enum(ct|vm) "+haResourceProps, func(c *Call) (any, error) {
		typ, vmid, sid, err := s.parseSID(c.Str("sid"))
		if err != nil {
			return nil, err
		}
		if c.Has("type") && c.Str("type") != typ {
			return nil, fail("types does not match")
		}
		if err := rejectGroup(c); err != nil {
			return nil, err
		}
		if g := s.guests[vmid]; g == nil || haType(g) != typ {
			return nil, fail("resource '%s' does not exist in cluster", sid)
		}
		if s.ha.resources[sid] != nil {
			return nil, fail("resource ID '%s' already defined", sid)
		}
		props := map[string]string{"state": "started"}
		for _, k := range []string{"comment", "failback", "max_relocate", "max_restart", "state"} {
			if c.Has(k) {
				props[k] = normalizeHAValue(c, k)
			}
		}
		r := &HAResource{SID: sid, Type: typ, VMID: vmid, Props: props}
		s.ha.resources[sid] = r
		s.haApply(r)
		return nil, nil
	})
	s.handle("PUT", "/cluster/ha/resources/{sid}", "sid:string delete?:string digest?:string "+haResourceProps, func(c *Call) (any, error) {
		r, err := s.haResource(c.Str("sid"))
		if err != nil {
			return nil, err
		}
		if err := rejectGroup(c); err != nil {
			return nil, err
		}
		if err := checkDigest(c, r.digest()); err != nil {
			return nil, err
		}
		del := splitList(c.Str("delete"))
		for _, k := range del {
			switch k {
			case "comment", "failback", "max_relocate", "max_restart", "state", "group":
			default:
				return nil, badParam("delete", fmt.Sprintf("invalid or fixed property '%s'", k))
			}
			if c.Has(k) {
				return nil, badParam("delete", fmt.Sprintf("cannot set and delete property '%s' at the same time", k))
			}
		}
		for _, k := range []string{"comment", "failback", "max_relocate", "max_restart", "state"} {
			if c.Has(k) {
				r.Props[k] = normalizeHAValue(c, k)
			}
		}
		for _, k := range del {
			delete(r.Props, k)
		}
		s.haApply(r)
		return nil, nil
	})
	s.handle("DELETE", "/cluster/ha/resources/{sid}", "sid:string purge?:boolean", func(c *Call) (any, error) {
		r, err := s.haResource(c.Str("sid"))
		if err != nil {
			return nil, err
		}
		delete(s.ha.resources, r.SID)
		if c.Has("purge") && !c.Bool("purge") {
			return nil, nil
		}
		for id, rule := range s.ha.rules {
			var keep []string
			for _, sid := range splitList(rule.Props["resources"]) {
				if sid != r.SID {
					keep = append(keep, sid)
				}
			}
			if len(keep) == 0 {
				delete(s.ha.rules, id)
				continue
			}
			rule.Props["resources"] = strings.Join(keep, ",")
		}
		return nil, nil
	})

	s.handle("GET", "/cluster/ha/rules", "type?:enum(node-affinity|resource-affinity) resource?:string", func(c *Call) (any, error) {
		var filter string
		if c.Has("resource") {
			_, _, sid, err := s.parseSID(c.Str("resource"))
			if err != nil {
				return nil, err
			}
			filter = sid
		}
		out := []map[string]any{}
		for i, rule := range s.sortedHARules() {
			if c.Has("type") && rule.Type != c.Str("type") {
				continue
			}
			if filter != "" && !slices.Contains(splitList(rule.Props["resources"]), filter) {
				continue
			}
			v := rule.view()
			v["order"] = i + 1
			out = append(out, v)
		}
		return out, nil
	})
	s.handle("GET", "/cluster/ha/rules/{rule}", "rule:string", func(c *Call) (any, error) {
		rule, err := s.haRule(c.Str("rule"))
		if err != nil {
			return nil, err
		}
		return rule.view(), nil
	})
	const ruleProps = "affinity?:enum(positive|negative) comment?:string disable?:boolean nodes?:string strict?:boolean type:enum(node-affinity|resource-affinity)"
	s.handle("POST", "/cluster/ha/rules", "rule:string resources:string "+ruleProps, func(c *Call) (any, error) {
		id := c.Str("rule")
		if !reCfgID().MatchString(id) {
			return nil, badParam("rule", fmt.Sprintf("invalid configuration ID '%s'", id))
		}
		if s.ha.rules[id] != nil {
			return nil, fail("HA rule '%s' already defined", id)
		}
		rule := &HARule{ID: id, Type: c.Str("type"), Props: map[string]string{}}
		if err := s.setRuleProps(c, rule, nil); err != nil {
			return nil, err
		}
		s.ha.rules[id] = rule
		return nil, nil
	})
	s.handle("PUT", "/cluster/ha/rules/{rule}", "rule:string resources?:string delete?:string digest?:string "+ruleProps, func(c *Call) (any, error) {
		rule, err := s.haRule(c.Str("rule"))
		if err != nil {
			return nil, err
		}
		if c.Str("type") != rule.Type {
			return nil, badParam("type", fmt.Sprintf("rule '%s' is of type '%s'", rule.ID, rule.Type))
		}
		if err := checkDigest(c, rule.digest()); err != nil {
			return nil, err
		}
		next := &HARule{ID: rule.ID, Type: rule.Type, Props: cloneMap(rule.Props)}
		if err := s.setRuleProps(c, next, splitList(c.Str("delete"))); err != nil {
			return nil, err
		}
		rule.Props = next.Props
		return nil, nil
	})
	s.handle("DELETE", "/cluster/ha/rules/{rule}", "rule:string", func(c *Call) (any, error) {
		rule, err := s.haRule(c.Str("rule"))
		if err != nil {
			return nil, err
		}
		delete(s.ha.rules, rule.ID)
		return nil, nil
	})

	s.handle("GET", "/cluster/ha/status/current", "", func(c *Call) (any, error) {
		return s.haStatus(), nil
	})
	s.handle("GET", "/cluster/ha/status/manager_status", "", func(c *Call) (any, error) {
		return s.haManagerStatus(), nil
	})
	s.handle("POST", "/cluster/ha/status/disarm-ha", "resource-mode:enum(freeze|ignore)", func(c *Call) (any, error) {
		s.ha.disarmed, s.ha.resourceMode = true, c.Str("resource-mode")
		return nil, nil
	})
	s.handle("POST", "/cluster/ha/status/arm-ha", "", func(c *Call) (any, error) {
		if !s.ha.disarmed {
			return nil, nil
		}
		s.ha.disarmed, s.ha.resourceMode = false, ""
		for _, r := range s.sortedHAResources() {
			s.haApply(r)
		}
		return nil, nil
	})
}

// rejectGroup answers as Proxmox VE 9 does once HA groups became rules.
func rejectGroup(c *Call) error {
	if c.Str("group") != "" {
		return fail("invalid parameter 'group': ha groups have been migrated to rules")
	}
	return nil
}

func normalizeHAValue(c *Call, k string) string {
	switch k {
	case "failback", "strict", "disable":
		return strconv.Itoa(b2i(c.Bool(k)))
	case "state":
		if c.Str(k) == "enabled" {
			return "started" // an alias, stored as started
		}
	}
	return c.Str(k)
}

// parseSID reads an HA resource ID ("vm:100", "ct:200" or a bare VMID),
// returning its type, VMID and canonical form.
func (s *Sim) parseSID(raw string) (typ string, vmid int, sid string, err error) {
	if n, e := strconv.Atoi(raw); e == nil && reInt().MatchString(raw) {
		g := s.guests[n]
		if g == nil {
			return "", 0, "", fail("unable to find VM/CT %d", n)
		}
		return haType(g), n, haType(g) + ":" + raw, nil
	}
	m := reSID().FindStringSubmatch(raw)
	if m == nil {
		return "", 0, "", badParam("sid", "value does not look like a valid ha resource id")
	}
	if m[1] != "vm" && m[1] != "ct" {
		return "", 0, "", fail("unknown resource type '%s'", m[1])
	}
	n, e := strconv.Atoi(m[2])
	if e != nil || n < 100 || n > 999999999 {
		return "", 0, "", fail("invalid VMID '%s'", m[2])
	}
	return m[1], n, m[1] + ":" + strconv.Itoa(n), nil
}

func (s *Sim) haResource(raw string) (*HAResource, error) {
	_, _, sid, err := s.parseSID(raw)
	if err != nil {
		return nil, err
	}
	r := s.ha.resources[sid]
	if r == nil {
		return nil, fail("no such resource '%s'", sid)
	}
	return r, nil
}

func (s *Sim) haRule(id string) (*HARule, error) {
	r := s.ha.rules[id]
	if r == nil {
		return nil, fail("no such ha rule '%s'", id)
	}
	return r, nil
}

// ruleKeys are the properties each rule type has.
var ruleKeys = map[string][]string{
	"node-affinity":     {"resources", "nodes", "strict", "disable", "comment"},
	"resource-affinity": {"resources", "affinity", "disable", "comment"},
}

// setRuleProps applies the call's properties and deletions to rule and
// validates the result: every resource is HA-managed, every node a cluster
// member, and the type's required properties are present.
func (s *Sim) setRuleProps(c *Call, rule *HARule, del []string) error {
	allowed := ruleKeys[rule.Type]
	for _, k := range []string{"resources", "nodes", "strict", "affinity", "disable", "comment"} {
		if !c.Has(k) {
			continue
		}
		if !slices.Contains(allowed, k) {
			return badParam(k, fmt.Sprintf("property is not defined for rules of type '%s'", rule.Type))
		}
		rule.Props[k] = normalizeHAValue(c, k)
	}
	for _, k := range del {
		if !slices.Contains(allowed, k) || k == "resources" {
			return badParam("delete", fmt.Sprintf("cannot delete property '%s'", k))
		}
		if c.Has(k) {
			return badParam("delete", fmt.Sprintf("cannot set and delete property '%s' at the same time", k))
		}
		delete(rule.Props, k)
	}
	var sids []string
	seen := map[string]bool{}
	for _, raw := range splitList(rule.Props["resources"]) {
		_, _, sid, err := s.parseSID(raw)
		if err != nil {
			return badParam("resources", fmt.Sprintf("invalid HA resource ID '%s'", raw))
		}
		if s.ha.resources[sid] == nil {
			return badParam("resources", fmt.Sprintf("HA resource '%s' is not configured", sid))
		}
		if seen[sid] {
			return badParam("resources", fmt.Sprintf("duplicate resource '%s'", sid))
		}
		seen[sid] = true
		sids = append(sids, sid)
	}
	if len(sids) == 0 {
		return badParam("resources", "property is missing and it is not optional")
	}
	rule.Props["resources"] = strings.Join(sids, ",")
	switch rule.Type {
	case "node-affinity":
		nodes := splitList(rule.Props["nodes"])
		if len(nodes) == 0 {
			return badParam("nodes", "property is missing and it is not optional")
		}
		seenNode := map[string]bool{}
		for _, n := range nodes {
			m := reHANode().FindStringSubmatch(n)
			if m == nil {
				return badParam("nodes", fmt.Sprintf("invalid format - value '%s' does not look like a valid node name with optional priority", n))
			}
			if s.node(m[1]) == nil {
				return badParam("nodes", fmt.Sprintf("no such cluster node '%s'", m[1]))
			}
			if seenNode[m[1]] {
				return badParam("nodes", fmt.Sprintf("duplicate node '%s'", m[1]))
			}
			seenNode[m[1]] = true
		}
		rule.Props["nodes"] = strings.Join(nodes, ",")
	case "resource-affinity":
		if rule.Props["affinity"] == "" {
			return badParam("affinity", "property is missing and it is not optional")
		}
		if len(sids) < 2 {
			return badParam("resources", "a resource affinity rule needs at least two resources")
		}
	}
	return nil
}

// haStatus is GET /cluster/ha/status/current: quorum, master, one LRM per
// node, the fencing (arm) state and one entry per tracked resource.
func (s *Sim) haStatus() []map[string]any {
	now := s.now()
	ts := now.Unix()
	quorum := map[string]any{"id": "quorum", "type": "quorum", "node": s.ha.master, "quorate": b2i(s.quorate()), "status": "OK"}
	if !s.quorate() {
		quorum["status"] = fmt.Sprintf("No quorum on node '%s'!", s.ha.master)
	}
	out := []map[string]any{quorum,
		{"id": "master", "type": "master", "node": s.ha.master, "timestamp": ts,
			"status": fmt.Sprintf("%s (active, %s)", s.ha.master, perlTime(now))}}
	tracked := s.trackedHAResources()
	for _, n := range s.nodes {
		mode := "idle"
		for _, r := range tracked {
			if g := s.guests[r.VMID]; g != nil && g.Node == n.Name {
				mode = "active"
			}
		}
		if !n.Online {
			mode = "old timestamp - dead?"
		} else if s.ha.disarmed {
			mode = "idle"
		}
		out = append(out, map[string]any{"id": "lrm:" + n.Name, "type": "lrm", "node": n.Name, "timestamp": ts,
			"status": fmt.Sprintf("%s (%s, %s)", n.Name, mode, perlTime(now))})
	}
	fencing := map[string]any{"id": "fencing", "type": "fencing", "node": s.ha.master, "armed-state": "armed", "status": "armed"}
	if s.ha.disarmed {
		fencing["armed-state"], fencing["status"], fencing["resource_mode"] = "disarmed", "disarmed", s.ha.resourceMode
	}
	out = append(out, fencing)
	for _, r := range tracked {
		g := s.guests[r.VMID]
		state := s.haServiceState(r)
		e := map[string]any{"id": "service:" + r.SID, "type": "service", "sid": r.SID, "state": state, "crm_state": state,
			"request_state": r.Props["state"], "status": state, "max_restart": 1, "max_relocate": 1, "failback": 1}
		if g != nil {
			e["node"] = g.Node
		}
		for _, k := range []string{"max_restart", "max_relocate", "failback"} {
			if v, ok := r.Props[k]; ok {
				e[k], _ = strconv.Atoi(v)
			}
		}
		out = append(out, e)
	}
	return out
}

// haManagerStatus is GET /cluster/ha/status/manager_status: the CRM's own
// view (node and service status) and each LRM's mode.
func (s *Sim) haManagerStatus() map[string]any {
	ts := s.now().Unix()
	nodeStatus, lrm := map[string]any{}, map[string]any{}
	for _, n := range s.nodes {
		st, mode := "online", "active"
		if !n.Online {
			st = "unknown"
		}
		if s.ha.disarmed {
			mode = "disarm"
		}
		nodeStatus[n.Name] = st
		lrm[n.Name] = map[string]any{"mode": mode, "state": map[bool]string{true: "active", false: "wait_for_agent_lock"}[n.Online], "timestamp": ts}
	}
	services := map[string]any{}
	for _, r := range s.trackedHAResources() {
		e := map[string]any{"state": s.haServiceState(r), "uid": fmt.Sprintf("%x", r.VMID*7919)}
		if g := s.guests[r.VMID]; g != nil {
			e["node"] = g.Node
		}
		services[r.SID] = e
	}
	ms := map[string]any{"master_node": s.ha.master, "node_status": nodeStatus, "service_status": services, "timestamp": ts}
	if s.ha.disarmed {
		ms["disarm"] = map[string]any{"mode": s.ha.resourceMode, "state": "disarmed"}
	}
	return map[string]any{
		"manager_status": ms,
		"lrm_status":     lrm,
		"quorum":         map[string]any{"node": s.ha.master, "quorate": b2i(s.quorate())},
	}
}
