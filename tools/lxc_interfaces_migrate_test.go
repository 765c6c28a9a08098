package tools

import (
	"strings"
	"testing"
	"time"

	"github.com/pve-mcp/pve-mcp/pve/pvesim"
)

func TestGetLxcInterfaces(t *testing.T) {
	e := fullEnv(t)
	var ifaces []struct {
		Name   string `json:"name"`
		HWAddr string `json:"hwaddr"`
		Inet   string `json:"inet"`
		Inet6  string `json:"inet6"`
		IPs    []struct {
			Addr   string `json:"ip-address"`
			Type   string `json:"ip-address-type"`
			Prefix int    `json:"prefix"`
		} `json:"ip-addresses"`
	}
	e.okJSON("pve_get_lxc_interfaces", map[string]any{"vmid": 201}, &ifaces)
	sentExactly(t, e.lastRequest("GET", "/nodes/pve2/lxc/201/interfaces").Params, nil)
	if len(ifaces) != 2 || ifaces[0].Name != "lo" || ifaces[1].Name != "eth0" {
		t.Fatalf("interfaces %+v", ifaces)
	}
	eth0 := ifaces[1]
	if eth0.HWAddr != "bc:24:11:c0:02:01" || !strings.HasPrefix(eth0.Inet, "10.0.0.") || !strings.HasPrefix(eth0.Inet6, "fe80::") ||
		len(eth0.IPs) != 2 || eth0.IPs[0].Type != "inet" || eth0.IPs[0].Prefix != 24 || eth0.IPs[0].Addr+"/24" != eth0.Inet {
		t.Errorf("eth0 %+v", eth0)
	}

	// A stopped container has no process to ask: Proxmox answers null.
	txt := e.ok("pve_get_lxc_interfaces", map[string]any{"vmid": 203, "node": "pve1"})
	if !strings.Contains(txt, "not running") {
		t.Errorf("stopped CT: %s", txt)
	}
	for _, f := range []struct {
		args map[string]any
		want string
	}{
		{map[string]any{"vmid": 100, "node": "pve1"}, "vmid 100 is a VM (on node pve1), not a container: use the VM tools (pve_*_qemu_*)"},
		{map[string]any{"vmid": 999}, "no VM or container with vmid 999"},
	} {
		if msg := e.fails("pve_get_lxc_interfaces", f.args); !strings.Contains(msg, f.want) {
			t.Errorf("%v: %s, want %q", f.args, msg, f.want)
		}
	}
}

func TestMigrateLxcContainer(t *testing.T) {
	e := fullEnv(t)
	// A stopped container: offline migration, moved when the task ends.
	txt := e.ok("pve_migrate_lxc_container", map[string]any{"vmid": 203, "target": "pve3", "target_storage": "local-lvm", "bwlimit": 51200.5})
	sentExactly(t, e.lastRequest("POST", "/nodes/pve1/lxc/203/migrate").Params,
		map[string]string{"target": "pve3", "target-storage": "local-lvm", "bwlimit": "51200.5"})
	if !strings.Contains(txt, "vzmigrate") {
		t.Errorf("result: %s", txt)
	}
	if g, _ := e.sim.Guest(203); g.Node != "pve3" || g.Status != "stopped" {
		t.Errorf("203 after migrate: %s %s", g.Node, g.Status)
	}

	// A running one moves in restart mode and runs again on the target.
	e.ok("pve_migrate_lxc_container", map[string]any{"vmid": 201, "target": "pve1", "restart": true, "timeout": 60, "wait": 5})
	sentExactly(t, e.lastRequest("POST", "/nodes/pve2/lxc/201/migrate").Params,
		map[string]string{"target": "pve1", "restart": "1", "timeout": "60"})
	if g, _ := e.sim.Guest(201); g.Node != "pve1" || g.Status != "running" || g.Lock != "" {
		t.Errorf("201 after restart migration: %s %s lock %q", g.Node, g.Status, g.Lock)
	}

	for _, f := range []struct {
		args map[string]any
		want string
	}{
		{map[string]any{"vmid": 200, "target": "pve2"}, "can't migrate running container without --online or --restart"},
		{map[string]any{"vmid": 200, "target": "pve1", "restart": true}, "target is local node"},
		{map[string]any{"vmid": 200, "target": "pve7", "restart": true}, "no such cluster node 'pve7'"},
	} {
		if msg := e.fails("pve_migrate_lxc_container", f.args); !strings.Contains(msg, f.want) {
			t.Errorf("%v: %s, want %q", f.args, msg, f.want)
		}
	}
	if g, _ := e.sim.Guest(200); g.Node != "pve1" {
		t.Errorf("refused migration moved 200 to %s", g.Node)
	}
}

// TestMigrateLxcOnlineFails: Proxmox accepts online for a running container
// but its migration task fails; waiting shows the failure and its log.
func TestMigrateLxcOnlineFails(t *testing.T) {
	e := fullEnv(t)
	msg := e.fails("pve_migrate_lxc_container", map[string]any{"vmid": 200, "target": "pve2", "online": true, "wait": 5})
	if !strings.Contains(msg, "lxc live migration is currently not implemented") {
		t.Errorf("online migration: %s", msg)
	}
	if g, _ := e.sim.Guest(200); g.Node != "pve1" || g.Status != "running" {
		t.Errorf("200 after failed migration: %s %s", g.Node, g.Status)
	}
}

// TestMigrateLxcWaitTimesOut: a wait shorter than the migration returns the
// still-running task instead of blocking.
func TestMigrateLxcWaitTimesOut(t *testing.T) {
	t.Parallel() // waits on simulated tasks; shares nothing
	e := newTestEnvWith(t, Selection{Tier: Full}, pvesim.Options{TaskDuration: time.Hour})
	txt := e.ok("pve_migrate_lxc_container", map[string]any{"vmid": 203, "target": "pve2", "wait": 1})
	if !strings.Contains(txt, "running") || !strings.Contains(txt, "UPID:pve1:") {
		t.Errorf("timed-out wait: %s", txt)
	}
	if g, _ := e.sim.Guest(203); g.Node != "pve1" || g.Lock != "migrate" {
		t.Errorf("203 while migrating: %s lock %q", g.Node, g.Lock)
	}
}
