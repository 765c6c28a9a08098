package tools

import (
	"strings"
	"testing"
)

type cephSummary struct {
	Health string `json:"health"`
	Checks []struct {
		Check, Severity, Message string
	} `json:"checks"`
	Mons struct {
		Total  int      `json:"total"`
		Quorum []string `json:"quorum"`
	} `json:"mons"`
	OSDs struct{ Total, Up, In int } `json:"osds"`
	PGs  struct {
		Total   int            `json:"total"`
		ByState map[string]int `json:"by_state"`
	} `json:"pgs"`
	Usage struct {
		BytesTotal  int64   `json:"bytes_total"`
		BytesUsed   int64   `json:"bytes_used"`
		UsedPercent float64 `json:"used_percent"`
	} `json:"usage"`
}

func TestCephStatus(t *testing.T) {
	e := fullEnv(t)
	var s cephSummary
	txt := e.okJSON("pve_get_ceph_status", nil, &s)
	sentExactly(t, e.lastRequest("GET", "/cluster/ceph/status").Params, nil)
	if s.Health != "HEALTH_WARN" || len(s.Checks) != 2 || s.Checks[0].Check != "OSD_NEARFULL" || s.Checks[0].Message != "1 nearfull osd(s)" {
		t.Errorf("health %s checks %+v", s.Health, s.Checks)
	}
	if s.Mons.Total != 3 || len(s.Mons.Quorum) != 3 || s.OSDs.Total != 9 || s.OSDs.Up != 9 || s.OSDs.In != 9 ||
		s.PGs.Total != 193 || s.PGs.ByState["active+clean"] != 193 {
		t.Errorf("counts %+v %+v %+v", s.Mons, s.OSDs, s.PGs)
	}
	if s.Usage.BytesTotal == 0 || s.Usage.UsedPercent < 50 || s.Usage.UsedPercent > 65 {
		t.Errorf("usage %+v", s.Usage)
	}
	if strings.Contains(txt, "available_modules") || len(txt) > 1500 {
		t.Errorf("summary not trimmed (%d bytes)", len(txt))
	}
	verbose := e.ok("pve_get_ceph_status", map[string]any{"verbose": true})
	sentExactly(t, e.lastRequest("GET", "/cluster/ceph/status").Params, nil)
	for _, w := range []string{`"mgrmap"`, `"fsmap"`, `"servicemap"`, `"pgs_by_state"`, `"quorum_age"`, `"standbys":["pve2","pve3"]`} {
		if !strings.Contains(verbose, w) {
			t.Errorf("verbose status lacks %s: %.300s", w, verbose)
		}
	}
	if strings.Contains(verbose, "available_modules") || strings.Contains(verbose, "TRUNCATED") {
		t.Errorf("verbose status keeps the module catalogue (%d bytes)", len(verbose))
	}

	// A node down: its OSDs and monitor are down, PGs degraded.
	e.sim.SetNodeOnline("pve3", false)
	e.okJSON("pve_get_ceph_status", nil, &s)
	checks := map[string]string{}
	for _, c := range s.Checks {
		checks[c.Check] = c.Message
	}
	if checks["OSD_DOWN"] != "3 osds down" || !strings.Contains(checks["MON_DOWN"], "1/3 mons down, quorum pve1,pve2") ||
		s.OSDs.Up != 6 || s.PGs.ByState["active+undersized+degraded"] != 64 || checks["PG_DEGRADED"] == "" {
		t.Errorf("node down: %+v %+v %+v", checks, s.OSDs, s.PGs)
	}
}

func TestListCephOSDs(t *testing.T) {
	e := fullEnv(t)
	type osd struct {
		ID          int     `json:"id"`
		Name        string  `json:"name"`
		Host        string  `json:"host"`
		Status      string  `json:"status"`
		In          int     `json:"in"`
		PercentUsed float64 `json:"percent_used"`
		Dev         string  `json:"blfsdev"`
	}
	var res struct {
		Flags string `json:"flags"`
		OSDs  []osd  `json:"osds"`
	}
	e.okJSON("pve_list_ceph_osds", nil, &res)
	sentExactly(t, e.lastRequest("GET", "/nodes/pve1/ceph/osd").Params, nil)
	if len(res.OSDs) != 9 || !strings.Contains(res.Flags, "sortbitwise") {
		t.Fatalf("osds %+v", res)
	}
	for i, o := range res.OSDs {
		if o.ID != i || o.Host != []string{"pve1", "pve2", "pve3"}[i/3] || o.Status != "up" || o.In != 1 || o.Dev == "" {
			t.Errorf("osd %d: %+v", i, o)
		}
	}
	if res.OSDs[4].PercentUsed < 85 {
		t.Errorf("osd.4 should be nearfull: %+v", res.OSDs[4])
	}

	// The first node offline: ask the next one; its OSDs show down.
	e.sim.SetNodeOnline("pve1", false)
	e.okJSON("pve_list_ceph_osds", nil, &res)
	e.lastRequest("GET", "/nodes/pve2/ceph/osd")
	if res.OSDs[0].Status != "down" || res.OSDs[3].Status != "up" {
		t.Errorf("pve1 offline: %+v", res.OSDs[:4])
	}
	if msg := e.fails("pve_list_ceph_osds", map[string]any{"node": "pve1"}); !strings.Contains(msg, "595") {
		t.Errorf("offline node asked: %s", msg)
	}
}

func TestListSDN(t *testing.T) {
	e := fullEnv(t)
	var zones []map[string]any
	e.okJSON("pve_list_sdn_zones", nil, &zones)
	sentExactly(t, e.lastRequest("GET", "/cluster/sdn/zones").Params, nil)
	if len(zones) != 3 || zones[0]["zone"] != "lan" || zones[2]["type"] != "vxlan" || zones[2]["state"] != nil {
		t.Errorf("zones %v", zones)
	}
	e.okJSON("pve_list_sdn_zones", map[string]any{"type": "vxlan", "pending": true}, &zones)
	sentExactly(t, e.lastRequest("GET", "/cluster/sdn/zones").Params, map[string]string{"type": "vxlan", "pending": "1"})
	if len(zones) != 1 || zones[0]["zone"] != "overlay" || zones[0]["state"] != "new" {
		t.Errorf("pending vxlan zones %v", zones)
	}
	if msg := e.fails("pve_list_sdn_zones", map[string]any{"type": "ospf"}); !strings.Contains(msg, "type") {
		t.Errorf("bad type: %s", msg)
	}

	var vnets []map[string]any
	e.okJSON("pve_list_sdn_vnets", nil, &vnets)
	sentExactly(t, e.lastRequest("GET", "/cluster/sdn/vnets").Params, nil)
	if len(vnets) != 4 || vnets[1]["vnet"] != "cust20" || vnets[1]["zone"] != "tenants" || vnets[1]["tag"] != float64(20) {
		t.Errorf("vnets %v", vnets)
	}
	e.okJSON("pve_list_sdn_vnets", map[string]any{"pending": true}, &vnets)
	if vnets[3]["state"] != "new" || vnets[0]["state"] != nil {
		t.Errorf("pending vnets %v", vnets)
	}
}

func TestNodeDisksAndSmart(t *testing.T) {
	e := fullEnv(t)
	type disk struct {
		Dev     string `json:"devpath"`
		Type    string `json:"type"`
		Used    string `json:"used"`
		Health  string `json:"health"`
		Wearout int    `json:"wearout"`
		OSDID   int    `json:"osdid"`
		Parent  string `json:"parent"`
	}
	var disks []disk
	e.okJSON("pve_list_node_disks", map[string]any{"node": "pve2"}, &disks)
	sentExactly(t, e.lastRequest("GET", "/nodes/pve2/disks/list").Params, nil)
	if len(disks) != 4 || disks[0].Dev != "/dev/nvme0n1" || disks[0].OSDID != -1 || disks[2].Dev != "/dev/sdb" ||
		disks[2].OSDID != 4 || disks[2].Health != "PASSED" || disks[2].Wearout != 91 {
		t.Errorf("disks %+v", disks)
	}
	disks = nil
	e.okJSON("pve_list_node_disks", map[string]any{"node": "pve3", "type": "unused", "skipsmart": true}, &disks)
	sentExactly(t, e.lastRequest("GET", "/nodes/pve3/disks/list").Params, map[string]string{"type": "unused", "skipsmart": "1"})
	if len(disks) != 1 || disks[0].Dev != "/dev/sdd" || disks[0].Health != "" {
		t.Errorf("unused disks %+v", disks)
	}
	disks = nil
	e.okJSON("pve_list_node_disks", map[string]any{"node": "pve1", "include_partitions": true}, &disks)
	sentExactly(t, e.lastRequest("GET", "/nodes/pve1/disks/list").Params, map[string]string{"include-partitions": "1"})
	if len(disks) != 7 || disks[3].Dev != "/dev/nvme0n1p3" || disks[3].Parent != "/dev/nvme0n1" || disks[3].Used != "LVM" {
		t.Errorf("with partitions %+v", disks)
	}

	var smart struct {
		Health string `json:"health"`
		Type   string `json:"type"`
		Text   string `json:"text"`
		Attrs  []struct {
			ID   string `json:"id"`
			Name string `json:"name"`
			Raw  string `json:"raw"`
		} `json:"attributes"`
	}
	e.okJSON("pve_get_disk_smart", map[string]any{"node": "pve2", "disk": "/dev/sdb"}, &smart)
	sentExactly(t, e.lastRequest("GET", "/nodes/pve2/disks/smart").Params, map[string]string{"disk": "/dev/sdb"})
	raw := map[string]string{}
	for _, a := range smart.Attrs {
		raw[a.Name] = a.Raw
	}
	if smart.Health != "PASSED" || smart.Type != "ata" || raw["Reallocated_Sector_Ct"] != "48" || raw["Current_Pending_Sector"] != "8" {
		t.Errorf("smart of the failing disk: %+v", smart)
	}
	smart.Attrs = nil
	e.okJSON("pve_get_disk_smart", map[string]any{"node": "pve1", "disk": "/dev/nvme0n1"}, &smart)
	if smart.Type != "text" || !strings.Contains(smart.Text, "Percentage Used:") || smart.Attrs != nil {
		t.Errorf("nvme smart %+v", smart)
	}
	txt := e.ok("pve_get_disk_smart", map[string]any{"node": "pve1", "disk": "/dev/sda", "healthonly": true})
	sentExactly(t, e.lastRequest("GET", "/nodes/pve1/disks/smart").Params, map[string]string{"disk": "/dev/sda", "healthonly": "1"})
	if txt != `{"health":"PASSED"}` {
		t.Errorf("health only: %s", txt)
	}
	for _, f := range []struct {
		args map[string]any
		want string
	}{
		{map[string]any{"node": "pve1", "disk": "/dev/sdz"}, "not a valid block device"},
		{map[string]any{"node": "pve1", "disk": "sda"}, "disk"},
		{map[string]any{"node": "pve1", "disk": "/dev/sda;reboot"}, "disk"},
	} {
		if msg := e.fails("pve_get_disk_smart", f.args); !strings.Contains(msg, f.want) {
			t.Errorf("%v: %s, want %q", f.args, msg, f.want)
		}
	}
}

func TestReplicationStatus(t *testing.T) {
	e := fullEnv(t)
	type job struct {
		ID        string `json:"id"`
		Guest     int    `json:"guest"`
		Node      string `json:"node"`
		Source    string `json:"source"`
		LastSync  int64  `json:"last_sync"`
		NextSync  int64  `json:"next_sync"`
		FailCount int    `json:"fail_count"`
		Error     string `json:"error"`
		Disable   int    `json:"disable"`
	}
	var jobs []job
	e.okJSON("pve_list_replication_status", nil, &jobs)
	for _, n := range []string{"pve1", "pve2", "pve3"} {
		sentExactly(t, e.lastRequest("GET", "/nodes/"+n+"/replication").Params, nil)
	}
	if len(jobs) != 2 || jobs[0].ID != "101-0" || jobs[0].Node != "pve1" || jobs[0].FailCount != 3 ||
		!strings.Contains(jobs[0].Error, "exit code 255") || jobs[0].NextSync <= jobs[0].LastSync {
		t.Fatalf("jobs %+v", jobs)
	}
	if jobs[1].ID != "200-0" || jobs[1].Disable != 1 || jobs[1].NextSync != 0 || jobs[1].FailCount != 0 {
		t.Errorf("disabled job %+v", jobs[1])
	}

	e.okJSON("pve_list_replication_status", map[string]any{"node": "pve1", "guest": 200}, &jobs)
	sentExactly(t, e.lastRequest("GET", "/nodes/pve1/replication").Params, map[string]string{"guest": "200"})
	if len(jobs) != 1 || jobs[0].ID != "200-0" {
		t.Errorf("guest 200 jobs %+v", jobs)
	}

	// One node down: the others still answer, and the note says which is missing.
	e.sim.SetNodeOnline("pve3", false)
	txt := e.okJSON("pve_list_replication_status", nil, &jobs)
	if len(jobs) != 2 || !strings.Contains(txt, "Skipped nodes: pve3") {
		t.Errorf("node down: %s", txt)
	}
	if msg := e.fails("pve_list_replication_status", map[string]any{"node": "pve3"}); !strings.Contains(msg, "595") {
		t.Errorf("offline node: %s", msg)
	}
}

func TestNodeUpdates(t *testing.T) {
	e := fullEnv(t)
	var ups []map[string]any
	txt := e.okJSON("pve_list_node_updates", map[string]any{"node": "pve1"}, &ups)
	sentExactly(t, e.lastRequest("GET", "/nodes/pve1/apt/update").Params, nil)
	if len(ups) != 4 || ups[3]["Package"] != "openssl" || ups[3]["Priority"] != "important" || ups[3]["Origin"] != "Debian" ||
		ups[0]["OldVersion"] != "9.1.1" || ups[0]["Version"] != "9.1.2" || ups[0]["Description"] != nil {
		t.Errorf("pve1 updates: %v", ups)
	}
	if !strings.Contains(txt, "verbose:true adds Arch, Description, NotifyStatus, Section, Title") {
		t.Errorf("brief note: %s", txt)
	}
	e.okJSON("pve_list_node_updates", map[string]any{"node": "pve3"}, &ups)
	if len(ups) != 0 {
		t.Errorf("pve3 is up to date, got %v", ups)
	}
	if msg := e.fails("pve_list_node_updates", map[string]any{"node": "pve9"}); !strings.Contains(msg, "hostname lookup 'pve9' failed") {
		t.Errorf("unknown node: %s", msg)
	}
}
