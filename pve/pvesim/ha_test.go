package pvesim

import (
	"net/url"
	"strings"
	"testing"
)

func TestHAResourcesLifecycle(t *testing.T) {
	c := newClSim(t)
	var list []map[string]any
	c.ok("GET", "/cluster/ha/resources", url.Values{"type": {"ct"}}, &list)
	if len(list) != 1 || list[0]["sid"] != "ct:201" || list[0]["max_relocate"] != 2.0 {
		t.Fatalf("ct resources: %v", list)
	}

	// Create: VM 102 is stopped; HA starts it for state=started.
	c.ok("POST", "/cluster/ha/resources", url.Values{"sid": {"vm:102"}, "max_restart": {"3"}, "comment": {"terminal server"}}, nil)
	var r map[string]any
	c.ok("GET", "/cluster/ha/resources/vm:102", nil, &r)
	if r["state"] != "started" || r["max_restart"] != 3.0 || r["comment"] != "terminal server" || r["type"] != "vm" || r["digest"] == "" {
		t.Errorf("created resource: %v", r)
	}
	if g, _ := c.sim.Guest(102); g.Status != "running" {
		t.Errorf("HA must start 102, it is %s", g.Status)
	}
	// A bare VMID is accepted as a shortcut, and resolves to its type.
	c.ok("GET", "/cluster/ha/resources/201", nil, &r)
	if r["sid"] != "ct:201" {
		t.Errorf("shortcut: %v", r)
	}

	c.fails("POST", "/cluster/ha/resources", url.Values{"sid": {"vm:102"}}, 500, "resource ID 'vm:102' already defined")
	c.fails("POST", "/cluster/ha/resources", url.Values{"sid": {"vm:555"}}, 500, "resource 'vm:555' does not exist in cluster")
	c.fails("POST", "/cluster/ha/resources", url.Values{"sid": {"vm:200"}}, 500, "resource 'vm:200' does not exist in cluster")
	c.fails("POST", "/cluster/ha/resources", url.Values{"sid": {"ct:203"}, "group": {"prod"}}, 500, "ha groups have been migrated to rules")
	c.fails("POST", "/cluster/ha/resources", url.Values{"sid": {"ct:203"}, "state": {"running"}}, 400, "enumeration")
	c.fails("POST", "/cluster/ha/resources", url.Values{"sid": {"ct:203"}, "type": {"vm"}}, 500, "types does not match")
	c.fails("POST", "/cluster/ha/resources", url.Values{"sid": {"bogus"}}, 400, "valid ha resource id")
	c.fails("GET", "/cluster/ha/resources/vm:103", nil, 500, "no such resource 'vm:103'")

	// Update: stopped stops the guest; digest guards; delete resets.
	c.ok("PUT", "/cluster/ha/resources/vm:102", url.Values{"state": {"stopped"}, "delete": {"comment"}}, nil)
	if g, _ := c.sim.Guest(102); g.Status != "stopped" {
		t.Errorf("state=stopped must stop 102, it is %s", g.Status)
	}
	r = nil
	c.ok("GET", "/cluster/ha/resources/vm:102", nil, &r)
	if r["state"] != "stopped" || r["comment"] != nil {
		t.Errorf("updated: %v", r)
	}
	c.ok("GET", "/cluster/ha/resources/ct:201", nil, &r)
	c.ok("PUT", "/cluster/ha/resources/ct:201", url.Values{"comment": {"x"}, "digest": {r["digest"].(string)}}, nil)
	c.fails("PUT", "/cluster/ha/resources/ct:201", url.Values{"comment": {"y"}, "digest": {r["digest"].(string)}}, 500, "detected modified configuration")
	c.fails("PUT", "/cluster/ha/resources/ct:201", url.Values{"comment": {"y"}, "delete": {"comment"}}, 400, "at the same time")
	c.fails("PUT", "/cluster/ha/resources/ct:201", url.Values{"group": {"g1"}}, 500, "migrated to rules")

	// Delete with purge (default) drops it from rules, removing emptied rules.
	c.ok("DELETE", "/cluster/ha/resources/vm:101", nil, nil)
	c.fails("GET", "/cluster/ha/rules/db-prefers-pve1", nil, 500, "no such ha rule")
	c.ok("DELETE", "/cluster/ha/resources/vm:104", url.Values{"purge": {"0"}}, nil)
	var rule map[string]any
	c.ok("GET", "/cluster/ha/rules/web-apart-from-k8s", nil, &rule)
	if rule["resources"] != "vm:100,vm:104" {
		t.Errorf("purge=0 must leave rules alone: %v", rule)
	}
	c.ok("DELETE", "/cluster/ha/resources/vm:100", nil, nil)
	c.ok("GET", "/cluster/ha/rules/web-apart-from-k8s", nil, &rule)
	if rule["resources"] != "vm:104" {
		t.Errorf("purge must drop vm:100 from the rule: %v", rule)
	}
	c.fails("DELETE", "/cluster/ha/resources/vm:100", nil, 500, "no such resource")
	if g, _ := c.sim.Guest(100); g.Status != "running" {
		t.Error("removing HA must not touch the guest")
	}
}

func TestHARules(t *testing.T) {
	c := newClSim(t)
	var rules []map[string]any
	c.ok("GET", "/cluster/ha/rules", url.Values{"resource": {"vm:104"}}, &rules)
	if len(rules) != 1 || rules[0]["rule"] != "web-apart-from-k8s" || rules[0]["affinity"] != "negative" {
		t.Fatalf("rules for vm:104: %v", rules)
	}
	c.ok("POST", "/cluster/ha/rules", url.Values{"rule": {"ct-on-2-3"}, "type": {"node-affinity"}, "resources": {"ct:201"},
		"nodes": {"pve2:2,pve3"}, "strict": {"1"}, "comment": {"infra"}}, nil)
	c.ok("GET", "/cluster/ha/rules", url.Values{"type": {"node-affinity"}}, &rules)
	if len(rules) != 2 || rules[0]["rule"] != "ct-on-2-3" || rules[0]["nodes"] != "pve2:2,pve3" || rules[0]["strict"] != 1.0 {
		t.Fatalf("node-affinity rules: %v", rules)
	}
	bad := []struct {
		params url.Values
		status int
		want   string
	}{
		{url.Values{"rule": {"ct-on-2-3"}, "type": {"node-affinity"}, "resources": {"ct:201"}, "nodes": {"pve1"}}, 500, "already defined"},
		{url.Values{"rule": {"x1"}, "type": {"node-affinity"}, "resources": {"vm:103"}, "nodes": {"pve1"}}, 400, "HA resource 'vm:103' is not configured"},
		{url.Values{"rule": {"x1"}, "type": {"node-affinity"}, "resources": {"vm:100"}, "nodes": {"pve9"}}, 400, "no such cluster node 'pve9'"},
		{url.Values{"rule": {"x1"}, "type": {"node-affinity"}, "resources": {"vm:100"}}, 400, "nodes"},
		{url.Values{"rule": {"x1"}, "type": {"node-affinity"}, "resources": {"vm:100"}, "nodes": {"pve1"}, "affinity": {"positive"}}, 400, "not defined for rules of type"},
		{url.Values{"rule": {"x1"}, "type": {"resource-affinity"}, "resources": {"vm:100,vm:101"}}, 400, "affinity"},
		{url.Values{"rule": {"x1"}, "type": {"resource-affinity"}, "resources": {"vm:100"}, "affinity": {"positive"}}, 400, "at least two"},
		{url.Values{"rule": {"x1"}, "type": {"resource-affinity"}, "resources": {"vm:100,vm:100"}, "affinity": {"positive"}}, 400, "duplicate"},
		{url.Values{"rule": {"1bad"}, "type": {"node-affinity"}, "resources": {"vm:100"}, "nodes": {"pve1"}}, 400, "invalid configuration ID"},
		{url.Values{"rule": {"x1"}, "type": {"other"}, "resources": {"vm:100"}}, 400, "enumeration"},
	}
	for _, b := range bad {
		c.fails("POST", "/cluster/ha/rules", b.params, b.status, b.want)
	}

	var rule map[string]any
	c.ok("GET", "/cluster/ha/rules/ct-on-2-3", nil, &rule)
	c.ok("PUT", "/cluster/ha/rules/ct-on-2-3", url.Values{"type": {"node-affinity"}, "nodes": {"pve1"}, "delete": {"strict,comment"},
		"digest": {rule["digest"].(string)}}, nil)
	rule = nil
	c.ok("GET", "/cluster/ha/rules/ct-on-2-3", nil, &rule)
	if rule["nodes"] != "pve1" || rule["strict"] != nil || rule["comment"] != nil {
		t.Errorf("updated rule: %v", rule)
	}
	c.fails("PUT", "/cluster/ha/rules/ct-on-2-3", url.Values{"nodes": {"pve2"}}, 400, "type")
	c.fails("PUT", "/cluster/ha/rules/ct-on-2-3", url.Values{"type": {"resource-affinity"}}, 400, "is of type 'node-affinity'")
	c.fails("PUT", "/cluster/ha/rules/ct-on-2-3", url.Values{"type": {"node-affinity"}, "nodes": {"nowhere"}}, 400, "no such cluster node")
	c.fails("PUT", "/cluster/ha/rules/ct-on-2-3", url.Values{"type": {"node-affinity"}, "delete": {"nodes"}}, 400, "nodes")
	c.ok("GET", "/cluster/ha/rules/ct-on-2-3", nil, &rule)
	if rule["nodes"] != "pve1" {
		t.Errorf("a refused update changed the rule: %v", rule)
	}
	c.ok("DELETE", "/cluster/ha/rules/ct-on-2-3", nil, nil)
	c.fails("DELETE", "/cluster/ha/rules/ct-on-2-3", nil, 500, "no such ha rule 'ct-on-2-3'")
}

func TestHAStatusAndArming(t *testing.T) {
	c := newClSim(t)
	status := func() map[string]map[string]any {
		var list []map[string]any
		c.ok("GET", "/cluster/ha/status/current", nil, &list)
		out := map[string]map[string]any{}
		for _, e := range list {
			out[e["id"].(string)] = e
		}
		return out
	}
	st := status()
	if st["quorum"]["quorate"] != 1.0 || st["master"]["node"] != "pve1" || st["fencing"]["armed-state"] != "armed" {
		t.Fatalf("status: %v", st)
	}
	if s := st["lrm:pve2"]["status"].(string); !strings.HasPrefix(s, "pve2 (active, Mon Jun  2 10:00:00 2025)") {
		t.Errorf("lrm pve2 (runs ct:201): %q", s)
	}
	if s := st["lrm:pve3"]["status"].(string); !strings.Contains(s, "(active") {
		t.Errorf("lrm pve3 (runs vm:104): %q", s)
	}
	if e := st["service:vm:101"]; e["state"] != "started" || e["node"] != "pve1" || e["max_restart"] != 2.0 || e["request_state"] != "started" {
		t.Errorf("service vm:101: %v", e)
	}
	// An ignored resource leaves the manager's view; a stopped one shows so.
	c.ok("PUT", "/cluster/ha/resources/vm:104", url.Values{"state": {"ignored"}}, nil)
	c.ok("PUT", "/cluster/ha/resources/vm:100", url.Values{"state": {"stopped"}}, nil)
	st = status()
	if _, ok := st["service:vm:104"]; ok {
		t.Errorf("ignored resource listed: %v", st["service:vm:104"])
	}
	if st["service:vm:100"]["state"] != "stopped" {
		t.Errorf("vm:100: %v", st["service:vm:100"])
	}
	// A node failure shows as fence.
	c.sim.SetNodeOnline("pve2", false)
	st = status()
	if st["service:ct:201"]["state"] != "fence" || !strings.Contains(st["lrm:pve2"]["status"].(string), "dead") {
		t.Errorf("offline node: %v %v", st["service:ct:201"], st["lrm:pve2"])
	}
	c.sim.SetNodeOnline("pve2", true)

	// Disarm freeze: states freeze and requests are not applied.
	c.fails("POST", "/cluster/ha/status/disarm-ha", nil, 400, "resource-mode")
	c.fails("POST", "/cluster/ha/status/disarm-ha", url.Values{"resource-mode": {"stop"}}, 400, "enumeration")
	c.ok("POST", "/cluster/ha/status/disarm-ha", url.Values{"resource-mode": {"freeze"}}, nil)
	st = status()
	if st["fencing"]["armed-state"] != "disarmed" || st["fencing"]["resource_mode"] != "freeze" || st["service:vm:101"]["state"] != "freeze" {
		t.Errorf("disarmed: %v %v", st["fencing"], st["service:vm:101"])
	}
	c.ok("PUT", "/cluster/ha/resources/vm:100", url.Values{"state": {"started"}}, nil)
	if g, _ := c.sim.Guest(100); g.Status != "stopped" {
		t.Error("a frozen HA stack must not start guests")
	}
	var ms map[string]any
	c.ok("GET", "/cluster/ha/status/manager_status", nil, &ms)
	if m := ms["manager_status"].(map[string]any); m["master_node"] != "pve1" || m["disarm"] == nil {
		t.Errorf("manager status: %v", ms)
	}
	// Disarm ignore: HA stops tracking resources.
	c.ok("POST", "/cluster/ha/status/disarm-ha", url.Values{"resource-mode": {"ignore"}}, nil)
	if _, ok := status()["service:vm:101"]; ok {
		t.Error("ignore mode must untrack resources")
	}
	// Arm: requests apply again.
	c.ok("POST", "/cluster/ha/status/arm-ha", nil, nil)
	st = status()
	if st["fencing"]["armed-state"] != "armed" || st["fencing"]["resource_mode"] != nil {
		t.Errorf("armed: %v", st["fencing"])
	}
	if g, _ := c.sim.Guest(100); g.Status != "running" {
		t.Error("re-arming applies the pending request (start vm:100)")
	}
}

// A guest's status/current ("ha": managed and the CRM's state) and its
// /cluster/resources entry (hastate) follow the HA resources: each step
// changes them, then every guest listed is read back.
func TestHAStateInGuestViews(t *testing.T) {
	type view struct {
		base           string
		vmid           int
		managed        int
		state, hastate string
	}
	c := newClSim(t)
	for _, step := range []struct {
		name   string
		method string
		path   string
		params url.Values
		want   []view
	}{
		{"as seeded", "", "", nil, []view{
			{"/nodes/pve1/qemu/100", 100, 1, "started", "started"},
			{"/nodes/pve2/qemu/102", 102, 0, "", ""},
			{"/nodes/pve2/lxc/201", 201, 1, "started", "started"},
			{"/nodes/pve1/lxc/200", 200, 0, "", ""},
		}},
		{"ignored", "PUT", "/cluster/ha/resources/vm:100", url.Values{"state": {"ignored"}}, []view{
			{"/nodes/pve1/qemu/100", 100, 0, "", "ignored"},
		}},
		{"requested stop", "PUT", "/cluster/ha/resources/vm:101", url.Values{"state": {"stopped"}}, []view{
			{"/nodes/pve1/qemu/101", 101, 1, "stopped", "stopped"},
		}},
		{"added", "POST", "/cluster/ha/resources", url.Values{"sid": {"ct:200"}}, []view{
			{"/nodes/pve1/lxc/200", 200, 1, "started", "started"},
		}},
		{"removed", "DELETE", "/cluster/ha/resources/ct:201", nil, []view{
			{"/nodes/pve2/lxc/201", 201, 0, "", ""},
		}},
	} {
		if step.method != "" {
			c.ok(step.method, step.path, step.params, nil)
		}
		var res []struct {
			VMID    int    `json:"vmid"`
			HAState string `json:"hastate"`
		}
		c.ok("GET", "/cluster/resources", url.Values{"type": {"vm"}}, &res)
		hastate := map[int]string{}
		for _, r := range res {
			hastate[r.VMID] = r.HAState
		}
		for _, w := range step.want {
			var st struct {
				HA struct {
					Managed int    `json:"managed"`
					State   string `json:"state"`
				} `json:"ha"`
			}
			c.ok("GET", w.base+"/status/current", nil, &st)
			if st.HA.Managed != w.managed || st.HA.State != w.state || hastate[w.vmid] != w.hastate {
				t.Errorf("%s: %d ha %+v hastate %q, want managed %d state %q hastate %q",
					step.name, w.vmid, st.HA, hastate[w.vmid], w.managed, w.state, w.hastate)
			}
		}
	}
	c.fails("POST", "/nodes/pve3/qemu/104/status/suspend", url.Values{"todisk": {"1"}}, 500, "Cannot suspend HA managed VM to disk")
}

// A power action on an HA-managed guest asks the CRM instead of acting: a
// hastart or hastop task sets the resource's requested state, and the CRM
// starts or stops the guest. Unmanaged and ignored guests act themselves.
// The steps run in order on one simulator.
func TestHAPowerRequests(t *testing.T) {
	c := newClSim(t)
	c.ok("PUT", "/cluster/ha/resources/vm:104", url.Values{"state": {"ignored"}}, nil)
	for _, step := range []struct {
		path, task, sid, requested, status string
	}{
		{"/nodes/pve1/qemu/100/status/stop", "hastop", "vm:100", "stopped", "stopped"},
		{"/nodes/pve1/qemu/100/status/start", "hastart", "vm:100", "started", "running"},
		{"/nodes/pve1/qemu/101/status/shutdown", "hastop", "vm:101", "stopped", "stopped"},
		{"/nodes/pve2/lxc/201/status/shutdown", "hastop", "ct:201", "stopped", "stopped"},
		{"/nodes/pve2/lxc/201/status/start", "hastart", "ct:201", "started", "running"},
		{"/nodes/pve3/qemu/104/status/stop", "qmstop", "vm:104", "ignored", "stopped"},
		{"/nodes/pve2/qemu/103/status/stop", "qmstop", "", "", "stopped"},
	} {
		var upid string
		c.ok("POST", step.path, nil, &upid)
		exit, log := c.task(upid)
		if exit != "OK" || !strings.Contains(upid, ":"+step.task+":") {
			t.Errorf("%s: task %s %s %v, want a %s task", step.path, upid, exit, log, step.task)
		}
		if step.sid != "" {
			var r map[string]any
			c.ok("GET", "/cluster/ha/resources/"+step.sid, nil, &r)
			if r["state"] != step.requested {
				t.Errorf("%s: %s requested state %v, want %s", step.path, step.sid, r["state"], step.requested)
			}
		}
		var st struct {
			Status string `json:"status"`
		}
		c.ok("GET", strings.TrimSuffix(step.path, step.path[strings.LastIndex(step.path, "/"):])+"/current", nil, &st)
		if st.Status != step.status {
			t.Errorf("%s: guest %s, want %s", step.path, st.Status, step.status)
		}
	}
	// Destroying an HA guest needs purge, which drops its resource too.
	c.fails("DELETE", "/nodes/pve1/qemu/101", nil, 500, "unable to remove VM 101 - used in HA resources and purge parameter not set.")
	c.fails("DELETE", "/nodes/pve3/qemu/104", nil, 500, "unable to remove VM 104 - used in HA resources and purge parameter not set.")
	c.ok("DELETE", "/nodes/pve1/qemu/101", url.Values{"purge": {"1"}}, nil)
	c.fails("GET", "/cluster/ha/resources/vm:101", nil, 500, "no such resource 'vm:101'")
	// A paused VM refuses a shutdown unless forceStop.
	c.ok("POST", "/nodes/pve1/qemu/100/status/suspend", nil, nil)
	c.fails("POST", "/nodes/pve1/qemu/100/status/shutdown", nil, 500, "VM is paused - cannot shutdown")
	c.ok("POST", "/nodes/pve1/qemu/100/status/shutdown", url.Values{"forceStop": {"1"}}, nil)
}
