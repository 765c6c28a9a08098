package tools

import (
	"strings"
	"testing"
)

func TestHAResourceTools(t *testing.T) {
	e := fullEnv(t)
	var list []map[string]any
	e.okJSON("pve_list_ha_resources", map[string]any{"type": "vm"}, &list)
	if len(list) != 3 || list[0]["sid"] != "vm:100" {
		t.Errorf("vm resources: %v", list)
	}
	clParams(t, e.lastRequest("GET", "/cluster/ha/resources").Params, map[string]string{"type": "vm"})

	// Create: HA starts the stopped VM 102.
	e.ok("pve_create_ha_resource", map[string]any{"sid": "vm:102", "state": "started", "max_restart": 0, "max_relocate": 2,
		"failback": false, "comment": "terminal server"})
	clParams(t, e.lastRequest("POST", "/cluster/ha/resources").Params, map[string]string{
		"sid": "vm:102", "state": "started", "max_restart": "0", "max_relocate": "2", "failback": "0", "comment": "terminal server"})
	if g, _ := e.sim.Guest(102); g.Status != "running" {
		t.Errorf("HA must start 102: %s", g.Status)
	}
	var r map[string]any
	e.okJSON("pve_get_ha_resource", map[string]any{"sid": "vm:102"}, &r)
	if r["max_restart"] != 0.0 || r["max_relocate"] != 2.0 || r["failback"] != 0.0 || r["comment"] != "terminal server" {
		t.Errorf("created: %v", r)
	}
	clParams(t, e.lastRequest("GET", "/cluster/ha/resources/vm:102").Params, nil)

	for _, c := range []struct {
		args map[string]any
		want string
	}{
		{map[string]any{"sid": "vm:102"}, "already defined"},
		{map[string]any{"sid": "vm:555"}, "does not exist in cluster"},
		{map[string]any{"sid": "ct:203", "extra": map[string]any{"group": "prod"}}, "migrated to rules"},
	} {
		if msg := e.fails("pve_create_ha_resource", c.args); !strings.Contains(msg, c.want) {
			t.Errorf("%v: %s", c.args, msg)
		}
	}
	for _, bad := range []map[string]any{
		{"sid": "100"}, {"sid": "qemu:100"}, {"sid": "vm:100", "state": "enabled"}, {"sid": "vm:100", "group": "prod"},
		{"sid": "vm:100", "max_restart": -1},
	} {
		e.fails("pve_create_ha_resource", bad)
	}

	// Update: stop it, reset the comment, guarded by the digest.
	e.ok("pve_update_ha_resource", map[string]any{"sid": "vm:102", "state": "stopped", "delete": []string{"comment", "failback"},
		"digest": r["digest"]})
	clParams(t, e.lastRequest("PUT", "/cluster/ha/resources/vm:102").Params, map[string]string{
		"state": "stopped", "delete": "comment,failback", "digest": r["digest"].(string)})
	if g, _ := e.sim.Guest(102); g.Status != "stopped" {
		t.Errorf("state stopped must stop 102: %s", g.Status)
	}
	r = nil
	e.okJSON("pve_get_ha_resource", map[string]any{"sid": "vm:102"}, &r)
	if r["state"] != "stopped" || r["comment"] != nil || r["failback"] != nil {
		t.Errorf("updated: %v", r)
	}
	msg := e.fails("pve_update_ha_resource", map[string]any{"sid": "vm:102", "comment": "x", "digest": "0000"})
	if !strings.Contains(msg, "detected modified configuration") {
		t.Errorf("stale digest: %s", msg)
	}
	msg = e.fails("pve_update_ha_resource", map[string]any{"sid": "vm:103", "state": "stopped"})
	if !strings.Contains(msg, "no such resource 'vm:103'") {
		t.Errorf("unknown resource: %s", msg)
	}

	// Delete: purge (default) removes it from rules; purge false leaves them.
	e.ok("pve_delete_ha_resource", map[string]any{"sid": "vm:104", "purge": false})
	clParams(t, e.lastRequest("DELETE", "/cluster/ha/resources/vm:104").Params, map[string]string{"purge": "0"})
	var rule map[string]any
	e.okJSON("pve_get_ha_rule", map[string]any{"rule": "web-apart-from-k8s"}, &rule)
	if rule["resources"] != "vm:100,vm:104" {
		t.Errorf("purge false changed the rule: %v", rule)
	}
	e.ok("pve_delete_ha_resource", map[string]any{"sid": "vm:101"})
	clParams(t, e.lastRequest("DELETE", "/cluster/ha/resources/vm:101").Params, nil)
	if msg := e.fails("pve_get_ha_rule", map[string]any{"rule": "db-prefers-pve1"}); !strings.Contains(msg, "no such ha rule") {
		t.Errorf("rule left empty must be purged: %s", msg)
	}
	if msg := e.fails("pve_get_ha_resource", map[string]any{"sid": "vm:101"}); !strings.Contains(msg, "no such resource") {
		t.Errorf("deleted resource: %s", msg)
	}
	if g, _ := e.sim.Guest(101); g.Status != "running" {
		t.Error("removing HA must leave the guest running")
	}
}

func TestHARuleTools(t *testing.T) {
	e := fullEnv(t)
	var rules []map[string]any
	e.okJSON("pve_list_ha_rules", map[string]any{"type": "resource-affinity", "resource": "vm:104"}, &rules)
	if len(rules) != 1 || rules[0]["rule"] != "web-apart-from-k8s" {
		t.Errorf("rules: %v", rules)
	}
	clParams(t, e.lastRequest("GET", "/cluster/ha/rules").Params, map[string]string{"type": "resource-affinity", "resource": "vm:104"})

	e.ok("pve_create_ha_rule", map[string]any{"rule": "infra-on-2", "type": "node-affinity", "resources": []string{"ct:201", "vm:100"},
		"nodes": []string{"pve2:2", "pve3"}, "strict": true, "comment": "infra"})
	clParams(t, e.lastRequest("POST", "/cluster/ha/rules").Params, map[string]string{
		"rule": "infra-on-2", "type": "node-affinity", "resources": "ct:201,vm:100", "nodes": "pve2:2,pve3", "strict": "1", "comment": "infra"})
	var rule map[string]any
	e.okJSON("pve_get_ha_rule", map[string]any{"rule": "infra-on-2"}, &rule)
	if rule["nodes"] != "pve2:2,pve3" || rule["strict"] != 1.0 || rule["resources"] != "ct:201,vm:100" {
		t.Errorf("created rule: %v", rule)
	}
	e.ok("pve_create_ha_rule", map[string]any{"rule": "db-with-web", "type": "resource-affinity", "resources": []string{"vm:100", "vm:101"},
		"affinity": "positive", "disable": true})
	e.okJSON("pve_list_ha_rules", nil, &rules)
	if len(rules) != 4 {
		t.Errorf("want 4 rules, got %v", rules)
	}

	for _, c := range []struct {
		args map[string]any
		want string
	}{
		{map[string]any{"rule": "infra-on-2", "type": "node-affinity", "resources": []string{"ct:201"}, "nodes": []string{"pve1"}}, "already defined"},
		{map[string]any{"rule": "x1", "type": "node-affinity", "resources": []string{"vm:103"}, "nodes": []string{"pve1"}}, "'vm:103' is not configured"},
		{map[string]any{"rule": "x1", "type": "node-affinity", "resources": []string{"vm:100"}, "nodes": []string{"pve7"}}, "no such cluster node 'pve7'"},
		{map[string]any{"rule": "x1", "type": "resource-affinity", "resources": []string{"vm:100"}, "affinity": "negative"}, "at least two"},
		{map[string]any{"rule": "x1", "type": "node-affinity", "resources": []string{"vm:100"}}, "nodes"},
	} {
		if msg := e.fails("pve_create_ha_rule", c.args); !strings.Contains(msg, c.want) {
			t.Errorf("%v: %s", c.args, msg)
		}
	}
	for _, bad := range []map[string]any{
		{"rule": "x1", "type": "node-affinity", "nodes": []string{"pve1"}},                                   // resources missing
		{"rule": "x1", "type": "colocation", "resources": []string{"vm:100"}},                                // type enum
		{"rule": "1x", "type": "node-affinity", "resources": []string{"vm:100"}, "nodes": []string{"pve1"}},  // rule id
		{"rule": "x1", "type": "node-affinity", "resources": []string{"100"}, "nodes": []string{"pve1"}},     // sid pattern
		{"rule": "x1", "type": "node-affinity", "resources": []string{"vm:100"}, "nodes": []string{"pve1:"}}, // node pattern
	} {
		e.fails("pve_create_ha_rule", bad)
	}

	// Update without type: the tool reads it from the rule first.
	e.sim.ResetRequests()
	e.ok("pve_update_ha_rule", map[string]any{"rule": "infra-on-2", "nodes": []string{"pve3"}, "delete": []string{"strict", "comment"}})
	reqs := e.sim.Requests()
	if len(reqs) != 2 || reqs[0].Method != "GET" || reqs[0].Path != "/cluster/ha/rules/infra-on-2" || reqs[1].Method != "PUT" {
		t.Fatalf("want GET then PUT, got %+v", reqs)
	}
	clParams(t, reqs[1].Params, map[string]string{"type": "node-affinity", "nodes": "pve3", "delete": "strict,comment"})
	rule = nil
	e.okJSON("pve_get_ha_rule", map[string]any{"rule": "infra-on-2"}, &rule)
	if rule["nodes"] != "pve3" || rule["strict"] != nil || rule["comment"] != nil {
		t.Errorf("updated rule: %v", rule)
	}
	// With type given, one call.
	rule = nil
	e.okJSON("pve_get_ha_rule", map[string]any{"rule": "db-with-web"}, &rule)
	e.sim.ResetRequests()
	e.ok("pve_update_ha_rule", map[string]any{"rule": "db-with-web", "type": "resource-affinity", "affinity": "negative", "disable": false,
		"digest": rule["digest"]})
	if reqs := e.sim.Requests(); len(reqs) != 1 {
		t.Errorf("want the PUT alone, got %+v", reqs)
	}
	clParams(t, e.lastRequest("PUT", "/cluster/ha/rules/db-with-web").Params, map[string]string{
		"type": "resource-affinity", "affinity": "negative", "disable": "0", "digest": rule["digest"].(string)})
	rule = nil
	e.okJSON("pve_get_ha_rule", map[string]any{"rule": "db-with-web"}, &rule)
	if rule["affinity"] != "negative" || rule["disable"] != 0.0 {
		t.Errorf("updated rule: %v", rule)
	}
	if msg := e.fails("pve_update_ha_rule", map[string]any{"rule": "db-with-web", "comment": "x", "digest": rule["digest"].(string) + "0"}); !strings.Contains(msg, "detected modified configuration") {
		t.Errorf("stale digest: %s", msg)
	}
	if msg := e.fails("pve_update_ha_rule", map[string]any{"rule": "db-with-web", "type": "node-affinity", "nodes": []string{"pve1"}}); !strings.Contains(msg, "is of type 'resource-affinity'") {
		t.Errorf("type mismatch: %s", msg)
	}
	if msg := e.fails("pve_update_ha_rule", map[string]any{"rule": "nope", "comment": "x"}); !strings.Contains(msg, "no such ha rule 'nope'") {
		t.Errorf("unknown rule: %s", msg)
	}
	if msg := e.fails("pve_update_ha_rule", map[string]any{"rule": "infra-on-2", "resources": []string{"vm:103"}}); !strings.Contains(msg, "not configured") {
		t.Errorf("bad resources: %s", msg)
	}

	e.ok("pve_delete_ha_rule", map[string]any{"rule": "infra-on-2"})
	clParams(t, e.lastRequest("DELETE", "/cluster/ha/rules/infra-on-2").Params, nil)
	if msg := e.fails("pve_delete_ha_rule", map[string]any{"rule": "infra-on-2"}); !strings.Contains(msg, "no such ha rule") {
		t.Errorf("second delete: %s", msg)
	}
	var res map[string]any
	e.okJSON("pve_get_ha_resource", map[string]any{"sid": "ct:201"}, &res)
	if res["sid"] != "ct:201" {
		t.Error("deleting a rule must keep its resources")
	}
}

func TestHAArmTools(t *testing.T) {
	e := fullEnv(t)
	e.ok("pve_disarm_ha", map[string]any{"resource_mode": "freeze"})
	clParams(t, e.lastRequest("POST", "/cluster/ha/status/disarm-ha").Params, map[string]string{"resource-mode": "freeze"})
	txt := e.ok("pve_get_cluster_ha_status", nil)
	if !strings.Contains(txt, `"armed-state":"disarmed"`) || !strings.Contains(txt, `"resource_mode":"freeze"`) || !strings.Contains(txt, `"state":"freeze"`) {
		t.Errorf("disarmed status: %s", txt)
	}
	// While frozen, a requested stop is not carried out.
	e.ok("pve_update_ha_resource", map[string]any{"sid": "vm:100", "state": "stopped"})
	if g, _ := e.sim.Guest(100); g.Status != "running" {
		t.Error("frozen HA acted on a guest")
	}
	e.ok("pve_arm_ha", nil)
	clParams(t, e.lastRequest("POST", "/cluster/ha/status/arm-ha").Params, nil)
	txt = e.ok("pve_get_cluster_ha_status", nil)
	if !strings.Contains(txt, `"armed-state":"armed"`) || strings.Contains(txt, `"resource_mode"`) {
		t.Errorf("armed status: %s", txt)
	}
	if g, _ := e.sim.Guest(100); g.Status != "stopped" {
		t.Error("re-armed HA must carry out the pending stop of vm:100")
	}
	for _, bad := range []map[string]any{{}, {"resource_mode": "stop"}} {
		e.fails("pve_disarm_ha", bad)
	}
}
