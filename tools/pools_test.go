package tools

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/pve-mcp/pve-mcp/pve"
)

func TestPoolReadTools(t *testing.T) {
	e := fullEnv(t)
	var pools []map[string]any
	e.okJSON("pve_list_pools", nil, &pools)
	sentExactly(t, e.lastRequest("GET", "/pools").Params, nil)
	if len(pools) != 2 || pools[0]["poolid"] != "production" || pools[1]["comment"] != "Experiments, may be wiped" {
		t.Fatalf("pools: %v", pools)
	}

	var pool struct {
		PoolID  string           `json:"poolid"`
		Members []map[string]any `json:"members"`
	}
	e.okJSON("pve_get_pool", map[string]any{"poolid": "production"}, &pool)
	sentExactly(t, e.lastRequest("GET", "/pools").Params, map[string]string{"poolid": "production"})
	var ids []string
	for _, m := range pool.Members {
		ids = append(ids, m["id"].(string))
	}
	for _, want := range []string{"qemu/100", "qemu/101", "lxc/200", "storage/pve1/local-lvm", "storage/pve3/local-lvm"} {
		if !slices.Contains(ids, want) {
			t.Errorf("member %s missing: %v", want, ids)
		}
	}
	if pool.PoolID != "production" {
		t.Errorf("want the pool object, got %+v", pool)
	}

	e.okJSON("pve_get_pool", map[string]any{"poolid": "production", "type": "lxc"}, &pool)
	sentExactly(t, e.lastRequest("GET", "/pools").Params, map[string]string{"poolid": "production", "type": "lxc"})
	if len(pool.Members) != 1 || pool.Members[0]["id"] != "lxc/200" {
		t.Errorf("type filter: %v", pool.Members)
	}
	if msg := e.fails("pve_get_pool", map[string]any{"poolid": "nope"}); !strings.Contains(msg, "pool 'nope' does not exist") {
		t.Errorf("unknown pool: %s", msg)
	}
	e.fails("pve_get_pool", map[string]any{"poolid": "bad id"})
	e.fails("pve_get_pool", map[string]any{"poolid": "lab", "type": "vm"})
}

func TestPoolLifecycle(t *testing.T) {
	e := fullEnv(t)
	e.ok("pve_create_pool", map[string]any{"poolid": "staging", "comment": "pre-release"})
	sentExactly(t, e.lastRequest("POST", "/pools").Params, map[string]string{"poolid": "staging", "comment": "pre-release"})
	if p, ok := e.sim.Pool("staging"); !ok || p.Comment != "pre-release" {
		t.Fatalf("pool not created: %+v", p)
	}
	if !strings.Contains(e.ok("pve_list_pools", nil), `"poolid":"staging"`) {
		t.Error("new pool not listed")
	}
	if msg := e.fails("pve_create_pool", map[string]any{"poolid": "staging"}); !strings.Contains(msg, "create pool failed: pool 'staging' already exists") {
		t.Errorf("duplicate: %s", msg)
	}

	// Add members: a free guest and a storage.
	e.ok("pve_update_pool", map[string]any{"poolid": "staging", "vms": []int{102, 103}, "storage": []string{"local"}, "comment": "next"})
	sentExactly(t, e.lastRequest("PUT", "/pools").Params, map[string]string{"poolid": "staging", "vms": "102,103", "storage": "local", "comment": "next"})
	p, _ := e.sim.Pool("staging")
	if !slices.Equal(p.VMs, []int{102, 103}) || !slices.Equal(p.Storage, []string{"local"}) || p.Comment != "next" {
		t.Fatalf("members not added: %+v", p)
	}
	var res []map[string]any
	if err := e.env.PVE.Get(context.Background(), "/cluster/resources", pve.Values{"type": {"vm"}}, &res); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, r := range res {
		if v, _ := r["vmid"].(float64); v == 102 {
			found = r["pool"] == "staging"
		}
	}
	if !found {
		t.Errorf("cluster resources do not show VM 102 in pool staging: %v", res)
	}

	// A guest of another pool needs allow_move; nothing changes on refusal.
	msg := e.fails("pve_update_pool", map[string]any{"poolid": "staging", "vms": []int{104, 100}})
	if !strings.Contains(msg, "VM 100 belongs already to pool 'production'") {
		t.Errorf("move without allow_move: %s", msg)
	}
	if p, _ := e.sim.Pool("staging"); len(p.VMs) != 2 {
		t.Errorf("refused update changed members: %v", p.VMs)
	}
	e.ok("pve_update_pool", map[string]any{"poolid": "staging", "vms": []int{100}, "allow_move": true})
	sentExactly(t, e.lastRequest("PUT", "/pools").Params, map[string]string{"poolid": "staging", "vms": "100", "allow-move": "1"})
	if prod, _ := e.sim.Pool("production"); slices.Contains(prod.VMs, 100) {
		t.Errorf("VM 100 still in production: %v", prod.VMs)
	}

	for _, c := range []struct {
		args map[string]any
		want string
	}{
		{map[string]any{"poolid": "staging", "vms": []int{4242}}, "VM 4242 does not exist"},
		{map[string]any{"poolid": "staging", "storage": []string{"local"}}, "Storage 'local' is already a pool member"},
		{map[string]any{"poolid": "staging", "storage": []string{"nosuch"}}, "Storage 'nosuch' does not exist"},
		{map[string]any{"poolid": "staging", "vms": []int{101}, "delete": true}, "VM 101 is not a pool member"},
		{map[string]any{"poolid": "ghost", "comment": "x"}, "pool 'ghost' does not exist"},
	} {
		if msg := e.fails("pve_update_pool", c.args); !strings.Contains(msg, c.want) {
			t.Errorf("%v: %s", c.args, msg)
		}
	}

	// Proxmox refuses to delete a pool with members.
	if msg := e.fails("pve_delete_pool", map[string]any{"poolid": "staging"}); !strings.Contains(msg, "delete pool failed: pool 'staging' is not empty (contains VM") {
		t.Errorf("delete non-empty: %s", msg)
	}
	sentExactly(t, e.lastRequest("DELETE", "/pools").Params, map[string]string{"poolid": "staging"})
	e.ok("pve_update_pool", map[string]any{"poolid": "staging", "vms": []int{100, 102, 103}, "delete": true})
	if got := e.lastRequest("PUT", "/pools").Params.Get("delete"); got != "1" {
		t.Errorf("delete flag sent as %q", got)
	}
	if msg := e.fails("pve_delete_pool", map[string]any{"poolid": "staging"}); !strings.Contains(msg, "contains storage 'local'") {
		t.Errorf("delete with storage: %s", msg)
	}
	e.ok("pve_update_pool", map[string]any{"poolid": "staging", "storage": []string{"local"}, "delete": true})
	e.ok("pve_delete_pool", map[string]any{"poolid": "staging"})
	if _, ok := e.sim.Pool("staging"); ok {
		t.Fatal("pool still exists")
	}
	var all []json.RawMessage
	e.okJSON("pve_list_pools", nil, &all)
	if len(all) != 2 {
		t.Errorf("pools after delete: %d", len(all))
	}
	if msg := e.fails("pve_delete_pool", map[string]any{"poolid": "staging"}); !strings.Contains(msg, "pool 'staging' does not exist") {
		t.Errorf("delete twice: %s", msg)
	}
}
