package tools

import (
	"strings"
	"testing"
)

func TestLxcReadTools(t *testing.T) {
	e := fullEnv(t)
	cases := []struct {
		tool   string
		args   map[string]any
		path   string
		params map[string]string
		want   string
	}{
		{"pve_list_lxc_containers", map[string]any{"node": "pve1"}, "/nodes/pve1/lxc", nil, `"name":"dns01"`},
		{"pve_get_lxc_status", map[string]any{"vmid": 201}, "/nodes/pve2/lxc/201/status/current", nil, `"status":"running"`},
		{"pve_get_lxc_config", map[string]any{"vmid": 202, "current": true}, "/nodes/pve3/lxc/202/config", map[string]string{"current": "1"}, `"hostname":"monitoring"`},
		{"pve_get_lxc_rrddata", map[string]any{"vmid": 200, "timeframe": "hour"}, "/nodes/pve1/lxc/200/rrddata", map[string]string{"timeframe": "hour"}, `"maxmem":536870912`},
		{"pve_list_lxc_snapshots", map[string]any{"vmid": 203}, "/nodes/pve1/lxc/203/snapshot", nil, `"name":"current"`},
	}
	for _, c := range cases {
		t.Run(c.tool, func(t *testing.T) {
			txt := e.ok(c.tool, c.args)
			if !strings.Contains(txt, c.want) {
				t.Errorf("result lacks %s: %.300s", c.want, txt)
			}
			wantParams(t, e.lastRequest("GET", c.path).Params, c.params)
		})
	}
	if txt := e.ok("pve_list_lxc_containers", map[string]any{"node": "pve1"}); strings.Contains(txt, "web01") {
		t.Errorf("VMs listed as containers: %s", txt)
	}
	e.wantFail("pve_get_lxc_config", map[string]any{"vmid": 100, "node": "pve1"}, "vmid 100 is a VM (on node pve1), not a container: use the VM tools (pve_*_qemu_*); pve_get_qemu_config makes this call for a VM")
	e.wantFail("pve_get_lxc_config", map[string]any{"vmid": 200, "snapshot": "nope"}, "snapshot 'nope' does not exist")
}

func TestLxcPowerCycle(t *testing.T) {
	e := fullEnv(t)
	steps := []struct {
		tool   string
		args   map[string]any
		path   string
		params map[string]string
		status string
		paused bool
	}{
		{"pve_start_lxc_container", nil, "status/start", nil, "running", false},
		{"pve_suspend_lxc_container", nil, "status/suspend", nil, "running", true},
		{"pve_resume_lxc_container", nil, "status/resume", nil, "running", false},
		{"pve_reboot_lxc_container", map[string]any{"timeout": 10}, "status/reboot", map[string]string{"timeout": "10"}, "running", false},
		{"pve_shutdown_lxc_container", map[string]any{"timeout": 30, "forceStop": true}, "status/shutdown", map[string]string{"timeout": "30", "forceStop": "1"}, "stopped", false},
		{"pve_start_lxc_container", nil, "status/start", nil, "running", false},
		{"pve_stop_lxc_container", map[string]any{"overrule_shutdown": true}, "status/stop", map[string]string{"overrule-shutdown": "1"}, "stopped", false},
	}
	for _, s := range steps {
		args := map[string]any{"vmid": 203}
		for k, v := range s.args {
			args[k] = v
		}
		e.task(s.tool, args, "pve1", "vz"+strings.TrimPrefix(s.path, "status/"))
		wantParams(t, e.lastRequest("POST", "/nodes/pve1/lxc/203/"+s.path).Params, s.params)
		g, _ := e.sim.Guest(203)
		if g.Status != s.status || g.Paused != s.paused {
			t.Errorf("after %s: status %s paused %v, want %s %v", s.tool, g.Status, g.Paused, s.status, s.paused)
		}
	}
	e.wantFail("pve_start_lxc_container", map[string]any{"vmid": 200}, "500 CT 200 already running")
	e.wantFail("pve_shutdown_lxc_container", map[string]any{"vmid": 203}, "500 CT 203 not running")
	e.wantFail("pve_stop_lxc_container", map[string]any{"vmid": 203}, "CT 203 not running")
}

func TestLxcCreate(t *testing.T) {
	e := fullEnv(t)
	args := map[string]any{
		"node": "pve2", "vmid": 210, "ostemplate": "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst",
		"hostname": "app-ct", "memory": 1024, "swap": 0, "cores": 2, "net0": "name=eth0,bridge=vmbr0,ip=dhcp",
		"onboot": true, "tags": "app", "description": "test CT", "rootfs": "local-lvm:8", "storage": "local-lvm",
		"password": "s3cret-pass", "ssh_public_keys": "ssh-ed25519 AAAAC3Nza test@host", "unprivileged": false,
		"pool": "lab", "start": true, "entrypoint": "/usr/bin/app --serve", "env": []string{"MODE=prod", "LEVEL=debug mode"},
		"extra": map[string]any{"features": "nesting=1", "mp0": "local-lvm:10,mp=/data"},
	}
	e.task("pve_create_lxc_container", args, "pve2", "vzcreate")
	wantParams(t, e.lastRequest("POST", "/nodes/pve2/lxc").Params, map[string]string{
		"vmid": "210", "ostemplate": "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst", "hostname": "app-ct",
		"memory": "1024", "swap": "0", "cores": "2", "net0": "name=eth0,bridge=vmbr0,ip=dhcp", "onboot": "1", "tags": "app",
		"description": "test CT", "rootfs": "local-lvm:8", "storage": "local-lvm", "password": "s3cret-pass",
		"ssh-public-keys": "ssh-ed25519 AAAAC3Nza test@host", "unprivileged": "0", "pool": "lab", "start": "1",
		"entrypoint": "/usr/bin/app --serve", "env": "MODE=prod\x00LEVEL=debug mode", "features": "nesting=1", "mp0": "local-lvm:10,mp=/data",
	})
	g, ok := e.sim.Guest(210)
	if !ok {
		t.Fatal("CT 210 not created")
	}
	if g.Type != "lxc" || g.Node != "pve2" || g.Status != "running" {
		t.Errorf("CT 210: %s on %s, %s", g.Type, g.Node, g.Status)
	}
	c := g.Config
	if c["rootfs"] != "local-lvm:vm-210-disk-0,size=8G" || c["mp0"] != "local-lvm:vm-210-disk-1,size=10G,mp=/data" {
		t.Errorf("volumes: rootfs %q mp0 %q", c["rootfs"], c["mp0"])
	}
	if !strings.Contains(c["net0"], ",hwaddr=BC:24:11:") || !strings.HasSuffix(c["net0"], ",type=veth") {
		t.Errorf("net0 %q", c["net0"])
	}
	if c["ostype"] != "debian" || c["unprivileged"] != "0" || c["env"] != "MODE=prod\x00LEVEL=debug mode" || c["entrypoint"] != "/usr/bin/app --serve" {
		t.Errorf("config %v", c)
	}
	if _, has := c["password"]; has {
		t.Error("the root password was stored in the config")
	}
	if r := e.resources()[210]; r == nil || r["type"] != "lxc" || r["pool"] != "lab" {
		t.Errorf("cluster resources entry %v", r)
	}

	// Proxmox's defaults: unprivileged, 512 MiB, CT<vmid>, 4 GiB root disk on storage.
	e.task("pve_create_lxc_container", map[string]any{"node": "pve1", "vmid": 211, "ostemplate": "local:vztmpl/ubuntu-24.04-standard_24.04-2_amd64.tar.zst", "storage": "local-lvm"}, "pve1", "vzcreate")
	g, _ = e.sim.Guest(211)
	if g.Config["hostname"] != "CT211" || g.Config["memory"] != "512" || g.Config["unprivileged"] != "1" || g.Config["ostype"] != "ubuntu" ||
		g.Config["rootfs"] != "local-lvm:vm-211-disk-0,size=4G" || g.Status != "stopped" {
		t.Errorf("defaults: %v (%s)", g.Config, g.Status)
	}

	tmpl := "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst"
	cases := []struct {
		args map[string]any
		want string
	}{
		{map[string]any{"node": "pve1", "vmid": 220, "ostemplate": tmpl}, "storage 'local' does not support container directories"},
		{map[string]any{"node": "pve1", "vmid": 200, "ostemplate": tmpl, "storage": "local-lvm"}, "500 CT 200 already exists on node 'pve1'"},
		{map[string]any{"node": "pve1", "vmid": 101, "ostemplate": tmpl, "storage": "local-lvm"}, "VM 101 already exists on node 'pve1'"},
		{map[string]any{"node": "pve1", "vmid": 220, "ostemplate": "debian.tar"}, "unable to parse volume ID 'debian.tar'"},
		{map[string]any{"node": "pve1", "vmid": 220, "ostemplate": tmpl, "rootfs": "nope:8"}, "storage 'nope' does not exist"},
		{map[string]any{"node": "pve1", "vmid": 220, "ostemplate": tmpl, "storage": "local-lvm", "net0": "bridge=vmbr0"}, "name"},
		{map[string]any{"node": "pve1", "vmid": 220, "ostemplate": tmpl, "storage": "local-lvm", "env": []string{"BAD NAME=1"}}, "env entry"},
		{map[string]any{"node": "pve1", "vmid": 220, "ostemplate": tmpl, "env": []string{"A=1"}, "extra": map[string]any{"env": "B=2"}}, "given twice"},
		{map[string]any{"node": "pve1", "vmid": 220, "ostemplate": tmpl, "memory": 8}, "memory"},
		{map[string]any{"node": "pve1", "vmid": 220}, "ostemplate"},
	}
	for _, c := range cases {
		e.wantFail("pve_create_lxc_container", c.args, c.want)
	}
	if _, ok := e.sim.Guest(220); ok {
		t.Error("a refused create left CT 220 behind")
	}
}

func TestLxcUpdateConfig(t *testing.T) {
	e := fullEnv(t)
	// Running: memory and hostname apply at once, features wait for a restart.
	out := e.ok("pve_update_lxc_config", map[string]any{"vmid": 200, "memory": 1024, "swap": 256, "hostname": "dns01a",
		"onboot": false, "env": []string{"TZ=UTC"}, "delete": []string{"tags"}, "extra": map[string]any{"features": "nesting=1,keyctl=1"}})
	if out != "OK" {
		t.Errorf("result %q", out)
	}
	wantParams(t, e.lastRequest("PUT", "/nodes/pve1/lxc/200/config").Params, map[string]string{
		"memory": "1024", "swap": "256", "hostname": "dns01a", "onboot": "0", "env": "TZ=UTC", "delete": "tags", "features": "nesting=1,keyctl=1"})
	g, _ := e.sim.Guest(200)
	if g.Config["memory"] != "1024" || g.Config["hostname"] != "dns01a" || g.Config["tags"] != "" || g.Config["onboot"] != "0" {
		t.Errorf("hot changes not applied: %v", g.Config)
	}
	if g.Config["features"] != "nesting=1" || g.Pending["features"] != "nesting=1,keyctl=1" || g.Pending["env"] != "TZ=UTC" {
		t.Errorf("cold changes should be pending: config %v pending %v", g.Config, g.Pending)
	}
	e.task("pve_reboot_lxc_container", map[string]any{"vmid": 200}, "pve1", "vzreboot")
	if g, _ = e.sim.Guest(200); g.Config["features"] != "nesting=1,keyctl=1" || len(g.Pending) != 0 {
		t.Errorf("reboot did not apply pending: %v %v", g.Config, g.Pending)
	}

	var cfg map[string]any
	e.okJSON("pve_get_lxc_config", map[string]any{"vmid": 203}, &cfg)
	dig := cfg["digest"].(string)
	e.ok("pve_update_lxc_config", map[string]any{"vmid": 203, "cores": 2, "digest": dig})
	if g, _ := e.sim.Guest(203); g.Config["cores"] != "2" {
		t.Errorf("stopped CT cores %q", g.Config["cores"])
	}
	e.wantFail("pve_update_lxc_config", map[string]any{"vmid": 203, "cores": 3, "digest": dig}, "detected modified configuration - file changed by other user? Try again.")
	e.wantFail("pve_update_lxc_config", map[string]any{"vmid": 203, "extra": map[string]any{"unprivileged": 0}}, "unable to modify read-only option: 'unprivileged'")
	e.wantFail("pve_update_lxc_config", map[string]any{"vmid": 203, "hostname": "no_underscores"}, "valid DNS name")
	e.wantFail("pve_update_lxc_config", map[string]any{"vmid": 203, "cores": 0}, "cores")
	e.wantFail("pve_update_lxc_config", map[string]any{"vmid": 100, "node": "pve1", "cores": 2}, "pve_update_qemu_config makes this call for a VM")
}

func TestLxcDelete(t *testing.T) {
	e := fullEnv(t)
	e.wantFail("pve_delete_lxc_container", map[string]any{"vmid": 200}, "500 unable to destroy CT 200 - container is running")
	e.task("pve_delete_lxc_container", map[string]any{"vmid": 200, "force": true, "purge": true, "destroy_unreferenced_disks": true}, "pve1", "vzdestroy")
	wantParams(t, e.lastRequest("DELETE", "/nodes/pve1/lxc/200").Params, map[string]string{"force": "1", "purge": "1", "destroy-unreferenced-disks": "1"})
	if _, ok := e.sim.Guest(200); ok {
		t.Error("CT 200 still exists")
	}
	if _, listed := e.resources()[200]; listed {
		t.Error("CT 200 still in /cluster/resources")
	}
	if txt := e.ok("pve_list_lxc_containers", map[string]any{"node": "pve1"}); strings.Contains(txt, "dns01") {
		t.Errorf("still listed: %s", txt)
	}
	e.task("pve_delete_lxc_container", map[string]any{"vmid": 203}, "pve1", "vzdestroy")
	wantParams(t, e.lastRequest("DELETE", "/nodes/pve1/lxc/203").Params, map[string]string{})
	e.wantFail("pve_delete_lxc_container", map[string]any{"vmid": 203}, "no VM or container with vmid 203")
}

func TestLxcClone(t *testing.T) {
	e := fullEnv(t)
	e.task("pve_clone_lxc_container", map[string]any{"vmid": 203, "newid": 250, "hostname": "sandbox2", "description": "copy", "storage": "local-lvm", "pool": "lab"}, "pve1", "vzclone")
	wantParams(t, e.lastRequest("POST", "/nodes/pve1/lxc/203/clone").Params,
		map[string]string{"newid": "250", "hostname": "sandbox2", "description": "copy", "storage": "local-lvm", "pool": "lab"})
	src, _ := e.sim.Guest(203)
	g, ok := e.sim.Guest(250)
	if !ok {
		t.Fatal("clone 250 missing")
	}
	if g.Type != "lxc" || g.Config["hostname"] != "sandbox2" || g.Config["rootfs"] != "local-lvm:vm-250-disk-0,size=8G" || g.Config["net0"] == src.Config["net0"] {
		t.Errorf("clone config %v", g.Config)
	}
	e.wantFail("pve_clone_lxc_container", map[string]any{"vmid": 200, "newid": 251}, "Cannot do full clones on a running container without snapshots")
	e.task("pve_create_lxc_snapshot", map[string]any{"vmid": 200, "snapname": "base"}, "pve1", "vzsnapshot")
	e.task("pve_clone_lxc_container", map[string]any{"vmid": 200, "newid": 251, "snapname": "base"}, "pve1", "vzclone")
	if _, ok := e.sim.Guest(251); !ok {
		t.Error("clone from a snapshot of a running CT missing")
	}
	e.wantFail("pve_clone_lxc_container", map[string]any{"vmid": 203, "newid": 100}, "VM 100 already exists on node 'pve1'")
	e.wantFail("pve_clone_lxc_container", map[string]any{"vmid": 203, "newid": 252, "target": "pve2"}, "Can't clone to other node if CT uses local storage")
	e.wantFail("pve_clone_lxc_container", map[string]any{"vmid": 203, "newid": 252, "hostname": "bad_host"}, "valid DNS name")
}

func TestLxcSnapshots(t *testing.T) {
	e := fullEnv(t)
	e.task("pve_create_lxc_snapshot", map[string]any{"vmid": 201, "snapname": "pre_update", "description": "before apt upgrade"}, "pve2", "vzsnapshot")
	wantParams(t, e.lastRequest("POST", "/nodes/pve2/lxc/201/snapshot").Params, map[string]string{"snapname": "pre_update", "description": "before apt upgrade"})
	var snaps []map[string]any
	e.okJSON("pve_list_lxc_snapshots", map[string]any{"vmid": 201}, &snaps)
	if len(snaps) != 2 || snaps[0]["name"] != "pre_update" || snaps[0]["description"] != "before apt upgrade" {
		t.Errorf("snapshots %v", snaps)
	}
	var cfg map[string]any
	e.okJSON("pve_get_lxc_config", map[string]any{"vmid": 201, "snapshot": "pre_update"}, &cfg)
	if cfg["memory"] != float64(1024) {
		t.Errorf("snapshot config %v", cfg)
	}

	// Rollback restores the config and stops the running container...
	e.ok("pve_update_lxc_config", map[string]any{"vmid": 201, "memory": 4096})
	e.task("pve_rollback_lxc_snapshot", map[string]any{"vmid": 201, "snapname": "pre_update"}, "pve2", "vzrollback")
	wantParams(t, e.lastRequest("POST", "/nodes/pve2/lxc/201/snapshot/pre_update/rollback").Params, map[string]string{})
	g, _ := e.sim.Guest(201)
	if g.Config["memory"] != "1024" || g.Status != "stopped" {
		t.Errorf("after rollback: memory %s status %s", g.Config["memory"], g.Status)
	}
	// ...unless asked to start it again.
	e.task("pve_rollback_lxc_snapshot", map[string]any{"vmid": 201, "snapname": "pre_update", "start": true}, "pve2", "vzrollback")
	if g, _ = e.sim.Guest(201); g.Status != "running" {
		t.Errorf("rollback with start: %s", g.Status)
	}

	e.task("pve_delete_lxc_snapshot", map[string]any{"vmid": 201, "snapname": "pre_update"}, "pve2", "vzdelsnapshot")
	wantParams(t, e.lastRequest("DELETE", "/nodes/pve2/lxc/201/snapshot/pre_update").Params, map[string]string{})
	if g, _ = e.sim.Guest(201); len(g.Snapshots) != 0 {
		t.Errorf("snapshot not deleted: %v", g.Snapshots)
	}

	e.wantFail("pve_create_lxc_snapshot", map[string]any{"vmid": 201, "snapname": "x"}, "snapname")
	e.wantFail("pve_create_lxc_snapshot", map[string]any{"vmid": 201, "snapname": "Pending"}, "(reserved name)")
	e.wantFail("pve_delete_lxc_snapshot", map[string]any{"vmid": 201, "snapname": "pre_update", "wait": 5}, "snapshot 'pre_update' does not exist")
	e.wantFail("pve_rollback_lxc_snapshot", map[string]any{"vmid": 201, "snapname": "nope", "wait": 5}, "snapshot 'nope' does not exist")
}
