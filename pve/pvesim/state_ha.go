package pvesim

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// State model of HA: resources, rules and the state the CRM and LRMs report.

// haState is the HA stack: managed resources (resources.cfg), rules
// (rules.cfg) and the cluster-wide arm state the CRM keeps.
type haState struct {
	resources    map[string]*HAResource
	rules        map[string]*HARule
	disarmed     bool
	resourceMode string // freeze | ignore, while disarmed
	master       string // node running the active CRM
}

// HAResource is one HA-managed guest; Props holds the set properties
// (state, max_restart, max_relocate, failback, comment) as written.
type HAResource struct {
	SID   string // vm:100, ct:200
	Type  string // vm | ct
	VMID  int
	Props map[string]string
}

// HARule is a node-affinity or resource-affinity rule; Props holds its
// properties (resources, nodes, strict, affinity, disable, comment).
type HARule struct {
	ID    string
	Type  string
	Props map[string]string
}

func (s *Sim) seedHa() {
	s.ha = haState{resources: map[string]*HAResource{}, rules: map[string]*HARule{}, master: "pve1"}
	for _, r := range []struct {
		sid   string
		props map[string]string
	}{
		{"vm:100", map[string]string{"state": "started"}},
		{"vm:101", map[string]string{"state": "started", "max_restart": "2", "comment": "primary database"}},
		{"vm:104", map[string]string{"state": "started"}},
		{"ct:201", map[string]string{"state": "started", "max_relocate": "2"}},
	} {
		typ, id, _ := strings.Cut(r.sid, ":")
		vmid, _ := strconv.Atoi(id)
		s.ha.resources[r.sid] = &HAResource{SID: r.sid, Type: typ, VMID: vmid, Props: r.props}
	}
	s.ha.rules["db-prefers-pve1"] = &HARule{ID: "db-prefers-pve1", Type: "node-affinity",
		Props: map[string]string{"resources": "vm:101", "nodes": "pve1:2,pve2:1", "comment": "keep the database near its replica"}}
	s.ha.rules["web-apart-from-k8s"] = &HARule{ID: "web-apart-from-k8s", Type: "resource-affinity",
		Props: map[string]string{"resources": "vm:100,vm:104", "affinity": "negative"}}
}

func (r *HAResource) digest() string {
	cfg := cloneMap(r.Props)
	cfg["sid"] = r.SID
	return digest(cfg)[:40]
}

func (r *HAResource) view() map[string]any {
	out := map[string]any{"sid": r.SID, "type": r.Type, "digest": r.digest()}
	for k, v := range r.Props {
		if n, err := strconv.Atoi(v); err == nil && k != "comment" {
			out[k] = n
		} else {
			out[k] = v
		}
	}
	return out
}

func (r *HARule) digest() string {
	cfg := cloneMap(r.Props)
	cfg["rule"], cfg["type"] = r.ID, r.Type
	return digest(cfg)[:40]
}

func (r *HARule) view() map[string]any {
	out := map[string]any{"rule": r.ID, "type": r.Type, "digest": r.digest()}
	for k, v := range r.Props {
		if k == "strict" || k == "disable" {
			n, _ := strconv.Atoi(v)
			out[k] = n
		} else {
			out[k] = v
		}
	}
	return out
}

func (s *Sim) sortedHAResources() []*HAResource {
	out := make([]*HAResource, 0, len(s.ha.resources))
	for _, r := range s.ha.resources {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].SID < out[j].SID })
	return out
}

func (s *Sim) sortedHARules() []*HARule {
	out := make([]*HARule, 0, len(s.ha.rules))
	for _, r := range s.ha.rules {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// haApply is what the CRM does with a requested state: it starts or stops
// the guest, unless HA is disarmed or the resource is ignored. A locked
// guest is left as it is: the LRM's start or stop meets the lock too.
func (s *Sim) haApply(r *HAResource) {
	g := s.guests[r.VMID]
	if g == nil || s.ha.disarmed || g.checkLock(false) != nil {
		return
	}
	if n := s.node(g.Node); n == nil || !n.Online {
		return
	}
	switch r.Props["state"] {
	case "started":
		if g.Status != "running" && !g.Template {
			s.setRunning(g)
		}
	case "stopped", "disabled":
		if g.Status == "running" {
			s.setStopped(g)
		}
	}
}

// haServiceState is the CRM's state of a resource.
func (s *Sim) haServiceState(r *HAResource) string {
	g := s.guests[r.VMID]
	switch {
	case g == nil:
		return "error"
	case s.ha.disarmed && s.ha.resourceMode == "freeze":
		return "freeze"
	}
	if n := s.node(g.Node); n == nil || !n.Online {
		return "fence"
	}
	switch r.Props["state"] {
	case "stopped", "disabled":
		if g.Status == "running" {
			return "request_stop"
		}
		return "stopped"
	}
	if g.Status == "running" {
		return "started"
	}
	return "request_start"
}

func perlTime(t time.Time) string { return t.Format("Mon Jan _2 15:04:05 2006") }

// tracked lists the resources the manager tracks: ignored ones, and all of
// them while disarmed in ignore mode, are left alone.
func (s *Sim) trackedHAResources() []*HAResource {
	var out []*HAResource
	if s.ha.disarmed && s.ha.resourceMode == "ignore" {
		return nil
	}
	for _, r := range s.sortedHAResources() {
		if r.Props["state"] != "ignored" {
			out = append(out, r)
		}
	}
	return out
}

func haType(g *Guest) string {
	if g.Type == "lxc" {
		return "ct"
	}
	return "vm"
}

// haResourceOf is the HA resource configured for g (vm:100, ct:201), or nil.
func (s *Sim) haResourceOf(g *Guest) *HAResource {
	return s.ha.resources[haType(g)+":"+strconv.Itoa(g.VMID)]
}

// haManaged is PVE::HA::Config::vm_is_ha_managed: a resource is
// configured for the guest and not ignored.
func (s *Sim) haManaged(g *Guest) bool {
	r := s.haResourceOf(g)
	return r != nil && r.Props["state"] != "ignored"
}

// haCRMState is the state the CRM's manager status holds for g's resource
// ("" when it tracks none: unmanaged, ignored, or all while disarmed in
// ignore mode).
func (s *Sim) haCRMState(g *Guest) string {
	for _, r := range s.trackedHAResources() {
		if r.VMID == g.VMID && r.Type == haType(g) {
			return s.haServiceState(r)
		}
	}
	return ""
}

// haGuestStatus is PVE::HA::Config::get_service_status, the "ha" object of
// a guest's status/current: managed 0, or 1 with the CRM's state of it.
func (s *Sim) haGuestStatus(g *Guest) map[string]any {
	if !s.haManaged(g) {
		return map[string]any{"managed": 0}
	}
	st := map[string]any{"managed": 1}
	if state := s.haCRMState(g); state != "" {
		st["state"] = state
	}
	return st
}

// haResourceState is a guest's hastate in /cluster/resources: the CRM's
// state of its resource, else the requested state configured for it ("" for
// a guest HA does not know).
func (s *Sim) haResourceState(g *Guest) string {
	if state := s.haCRMState(g); state != "" {
		return state
	}
	if r := s.haResourceOf(g); r != nil {
		return r.Props["state"]
	}
	return ""
}

// haRequest serves a start or stop of an HA-managed guest as Proxmox does:
// the API does not act itself but sets the resource's requested state (as
// ha-manager set does) in a "hastart" or "hastop" task, and the CRM then
// starts or stops the guest.
func (s *Sim) haRequest(g *Guest, state, user string) string {
	typ, verb := "hastart", "start"
	if state == "stopped" {
		typ, verb = "hastop", "stop"
	}
	return s.startTask(g.Node, typ, strconv.Itoa(g.VMID), user, func(t *Task) error {
		t.Log = append(t.Log, fmt.Sprintf("Requesting HA %s for %s %d", verb, typeWord(g.Type), g.VMID))
		s.haSetState(g, state)
		return nil
	})
}

// haSetState is ha-manager set --state: the requested state of g's
// resource, which the CRM then carries out (haApply).
func (s *Sim) haSetState(g *Guest, state string) {
	if r := s.haResourceOf(g); r != nil {
		r.Props["state"] = state
		s.haApply(r)
	}
}

// haMigrate serves a migration of an HA-managed guest as Proxmox does once
// its own checks pass: a "hamigrate" task asks the CRM (ha-manager
// migrate), which moves the guest (a running VM live, a running CT by
// restart) unless HA is disarmed or the guest is locked.
func (s *Sim) haMigrate(g *Guest, target, user string) string {
	return s.startTask(g.Node, "hamigrate", strconv.Itoa(g.VMID), user, func(t *Task) error {
		t.Log = append(t.Log, fmt.Sprintf("Requesting HA migration for %s %d to node %s", typeWord(g.Type), g.VMID, target))
		s.haMoveTo(g, target)
		return nil
	})
}

// haMoveTo is the CRM's migration of g to target.
func (s *Sim) haMoveTo(g *Guest, target string) {
	if s.ha.disarmed || g.checkLock(false) != nil {
		return
	}
	if n := s.node(target); n != nil && n.Online {
		g.Node = target
	}
}
