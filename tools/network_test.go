package tools

import (
	"context"
	"strings"
	"testing"
)

type netEntry struct {
	Iface       string `json:"iface"`
	Type        string `json:"type"`
	Active      int    `json:"active"`
	CIDR        string `json:"cidr"`
	BridgePorts string `json:"bridge_ports"`
	VLANAware   int    `json:"bridge_vlan_aware"`
	Comments    string `json:"comments"`
	Gateway     string `json:"gateway"`
}

func TestNetworkReadTools(t *testing.T) {
	e := fullEnv(t)
	var all []netEntry
	e.okJSON("pve_list_networks", map[string]any{"node": "pve2"}, &all)
	sentExactly(t, e.lastRequest("GET", "/nodes/pve2/network").Params, nil)
	names := map[string]netEntry{}
	for _, n := range all {
		names[n.Iface] = n
	}
	if len(all) != 6 || names["vmbr0"].CIDR != "10.0.0.12/24" || names["vmbr0"].Active != 1 || names["vmbr1"].VLANAware != 1 {
		t.Fatalf("pve2 interfaces: %+v", all)
	}

	var bridges []netEntry
	e.okJSON("pve_list_networks", map[string]any{"node": "pve1", "type": "bridge"}, &bridges)
	sentExactly(t, e.lastRequest("GET", "/nodes/pve1/network").Params, map[string]string{"type": "bridge"})
	if len(bridges) != 2 || bridges[0].Iface != "vmbr0" || bridges[1].Iface != "vmbr1" {
		t.Fatalf("bridges: %+v", bridges)
	}

	var one netEntry
	e.okJSON("pve_get_network", map[string]any{"node": "pve1", "iface": "vmbr1.50"}, &one)
	sentExactly(t, e.lastRequest("GET", "/nodes/pve1/network/vmbr1.50").Params, nil)
	if one.Type != "vlan" || one.CIDR != "10.50.0.11/24" {
		t.Errorf("vmbr1.50: %+v", one)
	}
	if msg := e.fails("pve_get_network", map[string]any{"node": "pve1", "iface": "vmbr9"}); !strings.Contains(msg, "does not exist") {
		t.Errorf("unknown iface: %s", msg)
	}
	if msg := e.fails("pve_list_networks", map[string]any{"node": "pve9"}); !strings.Contains(msg, "hostname lookup 'pve9' failed") {
		t.Errorf("unknown node: %s", msg)
	}
	e.fails("pve_list_networks", map[string]any{"node": "pve1", "type": "wifi"})
	e.fails("pve_get_network", map[string]any{"node": "pve1", "iface": "../x"})
}

// TestNetworkChangesArePending checks that writes stage a pending
// configuration, as Proxmox does, until the node's network is reloaded.
func TestNetworkChangesArePending(t *testing.T) {
	e := fullEnv(t)
	txt := e.ok("pve_create_network", map[string]any{"node": "pve2", "iface": "vmbr2", "type": "bridge",
		"cidr": "192.168.50.2/24", "bridge_ports": "", "bridge_vlan_aware": true, "autostart": true, "comments": "lab net", "mtu": 9000})
	sentExactly(t, e.lastRequest("POST", "/nodes/pve2/network").Params, map[string]string{"iface": "vmbr2", "type": "bridge",
		"cidr": "192.168.50.2/24", "bridge_vlan_aware": "1", "autostart": "1", "comments": "lab net", "mtu": "9000"})
	if !strings.Contains(txt, "Pending") || !strings.Contains(txt, "interfaces.new") {
		t.Errorf("result does not say the change is pending: %s", txt)
	}
	if !e.sim.NetworkPending("pve2") {
		t.Fatal("no pending configuration")
	}
	if _, running := e.sim.NetworkIface("pve2", "vmbr2", false); running {
		t.Fatal("vmbr2 is running before the config was applied")
	}
	var one map[string]any
	e.okJSON("pve_get_network", map[string]any{"node": "pve2", "iface": "vmbr2"}, &one)
	if one["address"] != "192.168.50.2" || one["netmask"] != "24" || one["mtu"] != float64(9000) || one["active"] != nil {
		t.Errorf("pending vmbr2: %v", one)
	}

	// Update without type: the tool reads it first, then sends it.
	e.sim.ResetRequests()
	e.ok("pve_update_network", map[string]any{"node": "pve2", "iface": "vmbr0", "comments": "uplink", "delete": []string{"gateway"}})
	reqs := e.sim.Requests()
	if len(reqs) != 2 || reqs[0].Method != "GET" || reqs[1].Method != "PUT" {
		t.Fatalf("want GET then PUT, got %+v", reqs)
	}
	sentExactly(t, reqs[1].Params, map[string]string{"type": "bridge", "comments": "uplink", "delete": "gateway"})
	if f, _ := e.sim.NetworkIface("pve2", "vmbr0", true); f["comments"] != "uplink" || f["gateway"] != "" {
		t.Errorf("pending vmbr0: %v", f)
	}
	if f, _ := e.sim.NetworkIface("pve2", "vmbr0", false); f["gateway"] != "10.0.0.1" {
		t.Errorf("running vmbr0 changed before apply: %v", f)
	}
	// With the gateway gone, vmbr2 may take it; with type given, no read.
	e.sim.ResetRequests()
	e.ok("pve_update_network", map[string]any{"node": "pve2", "iface": "vmbr2", "type": "bridge", "gateway": "192.168.50.1", "bridge_vlan_aware": false})
	if n := len(e.sim.Requests()); n != 1 {
		t.Errorf("type given: want 1 request, got %d", n)
	}
	sentExactly(t, e.lastRequest("PUT", "/nodes/pve2/network/vmbr2").Params, map[string]string{"type": "bridge", "gateway": "192.168.50.1", "bridge_vlan_aware": "0"})

	e.ok("pve_delete_network", map[string]any{"node": "pve2", "iface": "vmbr1"})
	e.lastRequest("DELETE", "/nodes/pve2/network/vmbr1")
	if _, ok := e.sim.NetworkIface("pve2", "vmbr1", true); ok {
		t.Error("vmbr1 still in the pending config")
	}
	if _, ok := e.sim.NetworkIface("pve2", "vmbr1", false); !ok {
		t.Error("vmbr1 gone from the running config before apply")
	}

	// Applying (what the GUI's Apply Configuration does) makes it real.
	var upid string
	if err := e.env.PVE.Do(context.Background(), "PUT", "/nodes/pve2/network", nil, &upid); err != nil || !strings.HasPrefix(upid, "UPID:pve2:") {
		t.Fatalf("reload: %v %q", err, upid)
	}
	if e.sim.NetworkPending("pve2") {
		t.Error("still pending after reload")
	}
	var after []netEntry
	e.okJSON("pve_list_networks", map[string]any{"node": "pve2"}, &after)
	for _, n := range after {
		if n.Iface == "vmbr1" {
			t.Error("vmbr1 listed after applied delete")
		}
		if n.Iface == "vmbr2" && (n.Active != 1 || n.Gateway != "192.168.50.1") {
			t.Errorf("vmbr2 after apply: %+v", n)
		}
	}
}

func TestNetworkFailures(t *testing.T) {
	e := fullEnv(t)
	for _, c := range []struct {
		tool string
		args map[string]any
		want string
	}{
		{"pve_create_network", map[string]any{"node": "pve1", "iface": "vmbr0", "type": "bridge"}, "interface already exists"},
		{"pve_create_network", map[string]any{"node": "pve1", "iface": "vmbr5", "type": "bridge", "cidr": "10.9.0.1/24", "gateway": "10.9.0.254"}, "Default gateway already exists on interface 'vmbr0'"},
		{"pve_create_network", map[string]any{"node": "pve1", "iface": "vmbr5", "type": "bridge", "bridge_ports": "eno9"}, "interface 'eno9' does not exist"},
		{"pve_create_network", map[string]any{"node": "pve1", "iface": "vmbr5", "type": "bridge", "cidr": "not-a-net"}, "cidr"},
		{"pve_create_network", map[string]any{"node": "pve1", "iface": "bond1", "type": "bond", "slaves": "eno1 eno7", "bond_mode": "active-backup"}, "interface 'eno7' does not exist"},
		{"pve_update_network", map[string]any{"node": "pve1", "iface": "vmbr9", "type": "bridge", "comments": "x"}, "interface does not exist"},
		{"pve_update_network", map[string]any{"node": "pve1", "iface": "vmbr9", "comments": "x"}, "does not exist"},
		{"pve_delete_network", map[string]any{"node": "pve1", "iface": "vmbr9"}, "interface does not exist"},
	} {
		if msg := e.fails(c.tool, c.args); !strings.Contains(msg, c.want) {
			t.Errorf("%s %v: %s", c.tool, c.args, msg)
		}
	}
	if e.sim.NetworkPending("pve1") {
		t.Error("failed writes left a pending configuration")
	}
	// Schema-level refusals never reach Proxmox.
	e.sim.ResetRequests()
	e.fails("pve_create_network", map[string]any{"node": "pve1", "iface": "vmbr5", "type": "vnet"})
	e.fails("pve_create_network", map[string]any{"node": "pve1", "iface": "vmbr5", "type": "bridge", "mtu": 100})
	e.fails("pve_create_network", map[string]any{"node": "pve1", "iface": "vmbr5", "type": "bridge", "extra": map[string]any{"x": []int{1}}})
	if n := len(e.sim.Requests()); n != 0 {
		t.Errorf("invalid input reached Proxmox: %d requests", n)
	}
	// Extra properties pass through.
	e.ok("pve_create_network", map[string]any{"node": "pve1", "iface": "vmbr7", "type": "bridge", "extra": map[string]any{"comments6": "v6 later"}})
	if got := e.lastRequest("POST", "/nodes/pve1/network").Params.Get("comments6"); got != "v6 later" {
		t.Errorf("extra not sent: %q", got)
	}
	// The rarer settings (no typed field) reach Proxmox through extra.
	e.ok("pve_create_network", map[string]any{"node": "pve1", "iface": "vlan60", "type": "vlan",
		"extra": map[string]any{"vlan-raw-device": "vmbr1", "vlan-id": 60}})
	sentExactly(t, e.lastRequest("POST", "/nodes/pve1/network").Params, map[string]string{"iface": "vlan60", "type": "vlan",
		"vlan-raw-device": "vmbr1", "vlan-id": "60"})
	if f, _ := e.sim.NetworkIface("pve1", "vlan60", true); f["vlan-raw-device"] != "vmbr1" || f["vlan-id"] != "60" {
		t.Errorf("pending vlan60: %v", f)
	}
	if msg := e.fails("pve_create_network", map[string]any{"node": "pve1", "iface": "vlan61", "type": "vlan"}); !strings.Contains(msg, "vlan-raw-device") {
		t.Errorf("vlan without raw device: %s", msg)
	}
}

// TestApplyAndRevertNetwork follows a staged change through both ends: a
// revert discards it, an apply starts Proxmox's reload task and makes it run.
func TestApplyAndRevertNetwork(t *testing.T) {
	e := fullEnv(t)
	e.ok("pve_create_network", map[string]any{"node": "pve2", "iface": "vmbr2", "type": "bridge", "cidr": "192.168.50.2/24"})

	txt := e.ok("pve_revert_network", map[string]any{"node": "pve2"})
	sentExactly(t, e.lastRequest("DELETE", "/nodes/pve2/network").Params, nil)
	if !strings.Contains(txt, "discarded") || e.sim.NetworkPending("pve2") {
		t.Fatalf("revert: pending=%v, %s", e.sim.NetworkPending("pve2"), txt)
	}
	if _, ok := e.sim.NetworkIface("pve2", "vmbr2", false); ok {
		t.Fatal("reverted vmbr2 is running")
	}

	// Nothing pending: Proxmox refuses the reload, and the agent is told why.
	if msg := e.fails("pve_apply_network", map[string]any{"node": "pve2"}); !strings.Contains(msg, "interfaces.new") {
		t.Errorf("apply with nothing pending: %s", msg)
	}

	e.ok("pve_create_network", map[string]any{"node": "pve2", "iface": "vmbr2", "type": "bridge", "cidr": "192.168.50.2/24"})
	txt = e.ok("pve_apply_network", map[string]any{"node": "pve2", "wait": 30})
	sentExactly(t, e.lastRequest("PUT", "/nodes/pve2/network").Params, nil)
	if !strings.Contains(txt, "srvreload") || !strings.Contains(txt, `"exitstatus":"OK"`) {
		t.Errorf("apply did not report the finished reload task: %s", txt)
	}
	if e.sim.NetworkPending("pve2") {
		t.Error("still pending after apply")
	}
	if f, ok := e.sim.NetworkIface("pve2", "vmbr2", false); !ok || f["address"] != "192.168.50.2" {
		t.Errorf("vmbr2 not running after apply: %v", f)
	}
	e.fails("pve_apply_network", map[string]any{"node": "../pve2"})
	e.fails("pve_revert_network", map[string]any{})
}
