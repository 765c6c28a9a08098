package tools

import (
	"fmt"
	"strings"
	"testing"
)

// checkParams fails unless the request carried exactly want (one value each).
func clParams(t *testing.T, got map[string][]string, want map[string]string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("params %v, want %v", got, want)
	}
	for k, v := range want {
		if len(got[k]) != 1 || got[k][0] != v {
			t.Errorf("param %s = %v, want %q", k, got[k], v)
		}
	}
}

func TestClusterReadTools(t *testing.T) {
	e := fullEnv(t)
	cases := []struct {
		tool   string
		args   map[string]any
		path   string
		params map[string]string
		want   []string
	}{
		{"pve_get_cluster_status", nil, "/cluster/status", nil, []string{`"quorate":1`, `"name":"pve3"`, `"ip":"10.0.0.12"`}},
		{"pve_list_cluster_resources", map[string]any{"type": "storage"}, "/cluster/resources", map[string]string{"type": "storage"}, []string{`"storage":"nfs-backup"`}},
		{"pve_get_next_vmid", nil, "/cluster/nextid", nil, []string{"105"}},
		{"pve_get_next_vmid", map[string]any{"vmid": 4242}, "/cluster/nextid", map[string]string{"vmid": "4242"}, []string{"4242"}},
		{"pve_get_cluster_log", map[string]any{"max": 3}, "/cluster/log", map[string]string{"max": "3"}, []string{`"tag":"pvedaemon"`}},
		{"pve_get_cluster_options", nil, "/cluster/options", nil, []string{`"keyboard":"en-us"`, `"migration":{`}},
		{"pve_get_cluster_ha_status", nil, "/cluster/ha/status/current", nil, []string{`"id":"service:vm:101"`, `"armed-state":"armed"`}},
		{"pve_list_cluster_replication", nil, "/cluster/replication", nil, []string{`"id":"101-0"`, `"target":"pve2"`}},
	}
	for _, c := range cases {
		t.Run(c.tool, func(t *testing.T) {
			txt := e.ok(c.tool, c.args)
			for _, w := range c.want {
				if !strings.Contains(txt, w) {
					t.Errorf("result lacks %s: %.400s", w, txt)
				}
			}
			clParams(t, e.lastRequest("GET", c.path).Params, c.params)
		})
	}

	var res []map[string]any
	e.okJSON("pve_list_cluster_resources", map[string]any{"type": "node"}, &res)
	if len(res) != 3 || res[0]["type"] != "node" {
		t.Errorf("node filter: %v", res)
	}
	var log []map[string]any
	e.okJSON("pve_get_cluster_log", map[string]any{"max": 3}, &log)
	if len(log) != 3 {
		t.Errorf("max 3 gave %d entries", len(log))
	}
	// The seeded nightly job covers every guest; without it, all but the
	// template (excluded from it) and 101 (in the weekly job) are uncovered.
	var uncovered []map[string]any
	e.okJSON("pve_list_cluster_backup_info", nil, &uncovered)
	clParams(t, e.lastRequest("GET", "/cluster/backup-info/not-backed-up").Params, nil)
	if len(uncovered) != 0 {
		t.Errorf("all guests are in the nightly job, got %v", uncovered)
	}
	e.ok("pve_delete_backup_job", map[string]any{"id": "backup-5f1e6c2e-3d4a"})
	e.okJSON("pve_list_cluster_backup_info", nil, &uncovered)
	var ids []float64
	for _, g := range uncovered {
		ids = append(ids, g["vmid"].(float64))
		if g["vmid"] == 200.0 && (g["name"] != "dns01" || g["type"] != "lxc") {
			t.Errorf("container entry: %v", g)
		}
	}
	if fmt.Sprint(ids) != "[100 102 103 104 200 201 202 203]" {
		t.Errorf("uncovered guests %v", ids)
	}

	msg := e.fails("pve_get_next_vmid", map[string]any{"vmid": 101})
	if !strings.Contains(msg, "VM 101 already exists") {
		t.Errorf("taken vmid: %s", msg)
	}
	for _, bad := range []map[string]any{{"vmid": 99}, {"vmid": "abc"}} {
		e.fails("pve_get_next_vmid", bad)
	}
	e.fails("pve_get_cluster_log", map[string]any{"max": 0})
	e.fails("pve_list_cluster_resources", map[string]any{"type": "pool"})
}

func TestUpdateClusterOptions(t *testing.T) {
	e := fullEnv(t)
	e.ok("pve_update_cluster_options", map[string]any{
		"console": "xtermjs", "http_proxy": "http://proxy.lab:3128",
		"migration": "type=insecure,network=10.9.0.0/24", "crs": "ha=static,ha-rebalance-on-start=1",
		"delete": []string{"description"},
		"extra":  map[string]any{"keyboard": "de-ch", "language": "de", "max_workers": 6, "next-id": "lower=1000,upper=2000"},
	})
	r := e.lastRequest("PUT", "/cluster/options")
	clParams(t, r.Params, map[string]string{
		"keyboard": "de-ch", "language": "de", "console": "xtermjs", "http_proxy": "http://proxy.lab:3128",
		"migration": "type=insecure,network=10.9.0.0/24", "crs": "ha=static,ha-rebalance-on-start=1",
		"delete": "description", "max_workers": "6", "next-id": "lower=1000,upper=2000",
	})
	var opts map[string]any
	e.okJSON("pve_get_cluster_options", nil, &opts)
	mig, _ := opts["migration"].(map[string]any)
	if opts["keyboard"] != "de-ch" || opts["console"] != "xtermjs" || mig["type"] != "insecure" || opts["max_workers"] != 6.0 {
		t.Errorf("options after update: %v", opts)
	}
	if _, ok := opts["description"]; ok {
		t.Errorf("description not deleted: %v", opts)
	}
	var id int
	e.okJSON("pve_get_next_vmid", nil, &id)
	if id != 1000 {
		t.Errorf("next-id range not honoured: %d", id)
	}

	// Our schema refuses what Proxmox would; Proxmox refuses the rest.
	for _, bad := range []map[string]any{
		{"keyboard": "de"}, {"console": "vnc"}, {"http_proxy": "https://proxy:3128"}, {"migration_unsecure": true},
	} {
		e.fails("pve_update_cluster_options", bad)
	}
	msg := e.fails("pve_update_cluster_options", map[string]any{"migration": "type=fast"})
	if !strings.Contains(msg, "migration.type") {
		t.Errorf("bad migration: %s", msg)
	}
	msg = e.fails("pve_update_cluster_options", map[string]any{"extra": map[string]any{"max_workers": 0}})
	if !strings.Contains(msg, "max_workers") {
		t.Errorf("bad extra: %s", msg)
	}
	msg = e.fails("pve_update_cluster_options", map[string]any{"extra": map[string]any{"keyboard": "klingon"}})
	if !strings.Contains(msg, "keyboard") {
		t.Errorf("bad keyboard: %s", msg)
	}
	msg = e.fails("pve_update_cluster_options", map[string]any{"console": "vv", "extra": map[string]any{"console": "html5"}})
	if !strings.Contains(msg, "given twice") {
		t.Errorf("duplicate property: %s", msg)
	}
}

func TestBulkGuestTools(t *testing.T) {
	e := fullEnv(t)
	type upidOut struct {
		UPID string `json:"upid"`
		Type string `json:"type"`
		Node string `json:"node"`
	}
	var u upidOut

	// Start: 102 and 203 are stopped, 100 is running (skipped).
	txt := e.okJSON("pve_bulk_start_guests", map[string]any{"vms": []int{100, 102, 203}, "max_workers": 2, "timeout": 60}, &u)
	if u.Type != "bulk-start" || u.Node != "pve1" || !strings.Contains(txt, "pve_wait_task") {
		t.Errorf("start result: %s", txt)
	}
	r := e.lastRequest("POST", "/cluster/bulk-action/guest/start")
	if got := r.Params["vms"]; strings.Join(got, ",") != "100,102,203" {
		t.Errorf("vms sent as %v, want repeated values 100,102,203", got)
	}
	if r.Params.Get("max-workers") != "2" || r.Params.Get("timeout") != "60" || len(r.Params) != 3 {
		t.Errorf("start params: %v", r.Params)
	}
	for _, id := range []int{102, 203} {
		if g, _ := e.sim.Guest(id); g.Status != "running" {
			t.Errorf("%d is %s after bulk start", id, g.Status)
		}
	}

	// Shutdown with force_stop false sends force-stop=0.
	e.okJSON("pve_bulk_shutdown_guests", map[string]any{"vms": []int{102, 203}, "force_stop": false, "timeout": 30}, &u)
	r = e.lastRequest("POST", "/cluster/bulk-action/guest/shutdown")
	if r.Params.Get("force-stop") != "0" || r.Params.Get("timeout") != "30" || strings.Join(r.Params["vms"], ",") != "102,203" {
		t.Errorf("shutdown params: %v", r.Params)
	}
	if g, _ := e.sim.Guest(203); g.Status != "stopped" {
		t.Errorf("203 is %s after bulk shutdown", g.Status)
	}

	// Suspend to disk.
	e.okJSON("pve_bulk_suspend_guests", map[string]any{"vms": []int{103}, "to_disk": true, "statestorage": "local-lvm"}, &u)
	r = e.lastRequest("POST", "/cluster/bulk-action/guest/suspend")
	clParams(t, r.Params, map[string]string{"vms": "103", "to-disk": "1", "statestorage": "local-lvm"})
	if g, _ := e.sim.Guest(103); g.Status != "stopped" || g.Lock != "suspended" {
		t.Errorf("103 after hibernation: %s lock %q", g.Status, g.Lock)
	}
	msg := e.fails("pve_bulk_suspend_guests", map[string]any{"vms": []int{101}, "statestorage": "local-lvm"})
	if !strings.Contains(msg, "to-disk") {
		t.Errorf("statestorage without to_disk: %s", msg)
	}

	// Migrate, waiting for the outcome.
	txt = e.ok("pve_bulk_migrate_guests", map[string]any{"vms": []int{100, 200}, "target": "pve2", "online": true, "with_local_disks": true, "wait": 5})
	if !strings.Contains(txt, `"ok":true`) || !strings.Contains(txt, `"type":"bulk-migrate"`) {
		t.Errorf("waited migrate: %s", txt)
	}
	r = e.lastRequest("POST", "/cluster/bulk-action/guest/migrate")
	if r.Params.Get("target") != "pve2" || r.Params.Get("online") != "1" || r.Params.Get("with-local-disks") != "1" || strings.Join(r.Params["vms"], ",") != "100,200" {
		t.Errorf("migrate params: %v", r.Params)
	}
	for _, id := range []int{100, 200} {
		if g, _ := e.sim.Guest(id); g.Node != "pve2" {
			t.Errorf("%d on %s after migrate", id, g.Node)
		}
	}

	// A guest that fails fails the task, naming it, while the others proceed;
	// with wait the tool reports the failure and the log's per-guest lines.
	e.sim.SetNodeOnline("pve2", false) // 102 is stopped there
	msg = e.fails("pve_bulk_start_guests", map[string]any{"vms": []int{9000, 203, 102}, "wait": 5})
	for _, want := range []string{"Some guests failed to start: 102", "Starting VM 102 failed: Connect to 10.0.0.12", "Starting CT 203"} {
		if !strings.Contains(msg, want) {
			t.Errorf("failed bulk start lacks %q: %s", want, msg)
		}
	}
	if g, _ := e.sim.Guest(203); g.Status != "running" {
		t.Errorf("203 must start although 102 failed: %s", g.Status)
	}
	e.sim.SetNodeOnline("pve2", true)

	// Unknown IDs are refused before anything runs (Proxmox would skip them).
	e.sim.ResetRequests()
	msg = e.fails("pve_bulk_shutdown_guests", map[string]any{"vms": []int{100, 777}})
	if !strings.Contains(msg, "777") || !strings.Contains(msg, "nothing was done") {
		t.Errorf("unknown vmid: %s", msg)
	}
	if e.sim.Find("POST", "/cluster/bulk-action/guest/shutdown") != nil {
		t.Error("bulk shutdown was sent despite an unknown vmid")
	}
	for _, bad := range []map[string]any{
		{"vms": []int{}},
		{"vms": []int{99}},
		{"vms": []int{100}, "max_workers": 65},
		{},
	} {
		e.fails("pve_bulk_start_guests", bad)
	}
	e.fails("pve_bulk_migrate_guests", map[string]any{"vms": []int{100}})
}
