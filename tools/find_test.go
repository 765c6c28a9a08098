package tools

import (
	"strings"
	"testing"
)

func TestFindGuests(t *testing.T) {
	e := fullEnv(t)
	cases := []struct {
		args map[string]any
		want []int
	}{
		{map[string]any{"name": "DB0"}, []int{101}},
		{map[string]any{"tag": "infra"}, []int{200, 201, 202}},
		{map[string]any{"status": "stopped", "type": "qemu"}, []int{102, 9000}},
		{map[string]any{"node": "pve1", "type": "lxc"}, []int{200, 203}},
		{map[string]any{"pool": "production"}, []int{100, 101, 200}},
		{map[string]any{"template": true}, []int{9000}},
		{map[string]any{"template": false, "node": "pve3"}, []int{104, 202}},
		{map[string]any{"name": "nothing-like-this"}, []int{}},
	}
	for _, c := range cases {
		e.sim.ResetRequests()
		var hits []guestHit
		txt := e.okJSON("pve_find_guests", c.args, &hits)
		var got []int
		for _, h := range hits {
			got = append(got, h.VMID)
		}
		if len(got) != len(c.want) {
			t.Errorf("%v: got %v, want %v", c.args, got, c.want)
			continue
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("%v: got %v, want %v", c.args, got, c.want)
			}
		}
		reqs := e.sim.Requests()
		if len(reqs) != 1 || reqs[0].Path != "/cluster/resources" || reqs[0].Params.Get("type") != "vm" {
			t.Errorf("want exactly one /cluster/resources?type=vm call, got %+v", reqs)
		}
		if len(c.want) == 0 && !strings.Contains(txt, "No guest matches") {
			t.Errorf("empty result without a hint: %s", txt)
		}
	}
	e.fails("pve_find_guests", map[string]any{"type": "vm"})
}

func TestClusterSummary(t *testing.T) {
	e := fullEnv(t)
	e.sim.SetNodeOnline("pve3", false)
	var s clusterSummary
	e.okJSON("pve_get_cluster_summary", nil, &s)
	if len(s.NodesOnline) != 2 || len(s.NodesDown) != 1 || s.NodesDown[0] != "pve3" {
		t.Errorf("nodes: %+v / %+v", s.NodesOnline, s.NodesDown)
	}
	if s.Guests["qemu running"] == 0 || s.Guests["lxc stopped"] != 1 || s.Guests["qemu template"] != 1 {
		t.Errorf("guests by state: %v", s.Guests)
	}
	found := false
	for _, st := range s.StorageFull {
		if st.Storage == "nfs-backup" && st.Used > 0.8 {
			found = true
		}
	}
	if !found {
		t.Errorf("nfs-backup (83 %% full) not reported: %+v", s.StorageFull)
	}
	if s.CPU <= 0 || s.CPU >= 1 || s.Memory <= 0 || s.Memory >= 1 {
		t.Errorf("usage shares out of range: cpu %v mem %v", s.CPU, s.Memory)
	}
}

func TestListTasksAcrossNodes(t *testing.T) {
	e := fullEnv(t)
	var tasks []map[string]any
	e.okJSON("pve_list_tasks", map[string]any{"limit": 50}, &tasks)
	nodes := map[any]bool{}
	last := 1e18
	for _, tk := range tasks {
		nodes[tk["node"]] = true
		st := tk["starttime"].(float64)
		if st > last {
			t.Errorf("not newest first: %v", tasks)
		}
		last = st
	}
	if len(nodes) != 3 {
		t.Errorf("tasks from %d nodes, want 3", len(nodes))
	}
	e.sim.SetNodeOnline("pve2", false)
	txt := e.okJSON("pve_list_tasks", nil, &tasks)
	if !strings.Contains(txt, "Skipped nodes: pve2 (offline)") {
		t.Errorf("offline node not named: %s", txt)
	}
	for _, tk := range tasks {
		if tk["node"] == "pve2" {
			t.Errorf("task from offline node: %v", tk)
		}
	}
}

func TestGuestListsAcrossNodes(t *testing.T) {
	e := fullEnv(t)
	for _, c := range []struct {
		tool, kind string
		want       int
	}{{"pve_list_qemu_vms", "qemu", 6}, {"pve_list_lxc_containers", "lxc", 4}} {
		var all []map[string]any
		e.okJSON(c.tool, nil, &all)
		if len(all) != c.want {
			t.Errorf("%s without node: %d guests, want %d", c.tool, len(all), c.want)
		}
		for _, g := range all {
			if g["node"] == nil || g["node"] == "" {
				t.Errorf("%s: entry without node: %v", c.tool, g)
			}
		}
		var one []map[string]any
		e.okJSON(c.tool, map[string]any{"node": "pve1"}, &one)
		if r := e.lastRequest("GET", "/nodes/pve1/"+c.kind); len(r.Params) != 0 {
			t.Errorf("%s: params %v", c.tool, r.Params)
		}
		if len(one) == 0 || len(one) >= len(all) {
			t.Errorf("%s on pve1: %d of %d", c.tool, len(one), len(all))
		}
	}
	e.sim.SetNodeOnline("pve3", false)
	var vms []map[string]any
	txt := e.okJSON("pve_list_qemu_vms", nil, &vms)
	if !strings.Contains(txt, "Skipped nodes: pve3 (offline)") || len(vms) != 4 {
		t.Errorf("with pve3 offline: %d VMs, %s", len(vms), txt)
	}
}
