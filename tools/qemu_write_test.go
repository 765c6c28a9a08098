package tools

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/pve-mcp/pve-mcp/pve"
)

// wantParams fails the test unless the request carried exactly these parameters.
func wantParams(t *testing.T, got url.Values, want map[string]string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("params %v, want exactly %v", got, want)
	}
	for k, v := range want {
		if g, ok := got[k]; !ok || len(g) != 1 || g[0] != v {
			t.Errorf("param %s = %q, want %q", k, got[k], v)
		}
	}
}

// wantFail fails the test unless the tool fails with a message containing want.
func (e *testEnv) wantFail(tool string, args map[string]any, want string) {
	e.t.Helper()
	if msg := e.fails(tool, args); !strings.Contains(msg, want) {
		e.t.Errorf("%s(%v): error %q, want it to contain %q", tool, args, msg, want)
	}
}

// task calls a tool that starts a task and returns the task it started.
func (e *testEnv) task(tool string, args map[string]any, node, typ string) UPID {
	e.t.Helper()
	var u UPID
	e.okJSON(tool, args, &u)
	if u.Node != node || u.Type != typ {
		e.t.Fatalf("%s: task %+v, want a %s task on %s", tool, u, typ, node)
	}
	return u
}

// resources reads /cluster/resources (type vm) straight from the simulator.
func (e *testEnv) resources() map[int]map[string]any {
	e.t.Helper()
	var list []map[string]any
	if err := e.env.PVE.Get(context.Background(), "/cluster/resources", pve.Values{"type": {"vm"}}, &list); err != nil {
		e.t.Fatal(err)
	}
	out := map[int]map[string]any{}
	for _, r := range list {
		out[int(r["vmid"].(float64))] = r
	}
	return out
}

func TestQemuCreate(t *testing.T) {
	e := fullEnv(t)
	args := map[string]any{
		"node": "pve2", "vmid": 150, "name": "app01", "memory": 2048, "cores": 2, "sockets": 1, "cpu": "host",
		"ostype": "l26", "scsi0": "local-lvm:16,iothread=1", "ide2": "none,media=cdrom", "net0": "virtio,bridge=vmbr0,firewall=1",
		"scsihw": "virtio-scsi-single", "boot": "order=scsi0;net0", "agent": "1", "onboot": true, "tags": "app;test",
		"description": "made by a test", "pool": "lab", "start": true, "extra": map[string]any{"bios": "ovmf", "balloon": 1024},
	}
	e.task("pve_create_qemu_vm", args, "pve2", "qmcreate")
	wantParams(t, e.lastRequest("POST", "/nodes/pve2/qemu").Params, map[string]string{
		"vmid": "150", "name": "app01", "memory": "2048", "cores": "2", "sockets": "1", "cpu": "host", "ostype": "l26",
		"scsi0": "local-lvm:16,iothread=1", "ide2": "none,media=cdrom", "net0": "virtio,bridge=vmbr0,firewall=1",
		"scsihw": "virtio-scsi-single", "boot": "order=scsi0;net0", "agent": "1", "onboot": "1", "tags": "app;test",
		"description": "made by a test", "pool": "lab", "start": "1", "bios": "ovmf", "balloon": "1024",
	})
	g, ok := e.sim.Guest(150)
	if !ok {
		t.Fatal("VM 150 was not created")
	}
	if g.Node != "pve2" || g.Status != "running" || g.Lock != "" {
		t.Errorf("VM 150: node %s status %s lock %q", g.Node, g.Status, g.Lock)
	}
	if got := g.Config["scsi0"]; got != "local-lvm:vm-150-disk-0,size=16G,iothread=1" {
		t.Errorf("scsi0 = %q: the disk was not allocated", got)
	}
	if got := g.Config["net0"]; !strings.HasPrefix(got, "virtio=BC:24:11:") || !strings.HasSuffix(got, ",bridge=vmbr0,firewall=1") {
		t.Errorf("net0 = %q: want a generated MAC", got)
	}
	if g.Config["bios"] != "ovmf" || g.Config["memory"] != "2048" || g.Config["onboot"] != "1" {
		t.Errorf("config %v", g.Config)
	}
	// It is listed on its node and in /cluster/resources, with its pool.
	if txt := e.ok("pve_list_qemu_vms", map[string]any{"node": "pve2"}); !strings.Contains(txt, `"name":"app01"`) {
		t.Errorf("not listed: %s", txt)
	}
	if r := e.resources()[150]; r == nil || r["node"] != "pve2" || r["pool"] != "lab" || r["status"] != "running" {
		t.Errorf("cluster resources entry %v", r)
	}
	// wait returns the outcome instead of the UPID.
	txt := e.ok("pve_create_qemu_vm", map[string]any{"node": "pve1", "vmid": 151, "memory": 512, "wait": 5})
	if !strings.Contains(txt, `"ok":true`) || !strings.Contains(txt, `"status":"stopped"`) {
		t.Errorf("waited create: %s", txt)
	}
}

func TestQemuCreateFailsAsProxmox(t *testing.T) {
	e := fullEnv(t)
	cases := []struct {
		args map[string]any
		want string
	}{
		{map[string]any{"node": "pve1", "vmid": 100}, "500 unable to create VM 100 - VM 100 already exists on node 'pve1'"},
		{map[string]any{"node": "pve1", "vmid": 200}, "CT 200 already exists on node 'pve1'"},
		{map[string]any{"node": "pve1", "vmid": 160, "scsi0": "nope:10"}, "storage 'nope' does not exist"},
		{map[string]any{"node": "pve1", "vmid": 160, "scsi0": "local:10"}, "storage 'local' does not support content-type 'images'"},
		{map[string]any{"node": "pve1", "vmid": 160, "pool": "ghosts"}, "pool 'ghosts' does not exist"},
		{map[string]any{"node": "pve1", "vmid": 160, "name": "bad_name!"}, "not look like a valid DNS name"},
		{map[string]any{"node": "pve1", "vmid": 160, "extra": map[string]any{"bogus": 1}}, "bogus"},
		{map[string]any{"node": "pve1", "vmid": 160, "name": "a", "extra": map[string]any{"name": "b"}}, "given twice"},
		{map[string]any{"node": "pve1", "vmid": 160, "ostype": "beos"}, "ostype"},
		{map[string]any{"node": "pve1", "vmid": 160, "memory": "2048"}, "memory"},
		{map[string]any{"node": "pve1", "vmid": 99}, "vmid"},
		{map[string]any{"node": "pve9", "vmid": 160}, "hostname lookup 'pve9' failed"},
	}
	for _, c := range cases {
		e.wantFail("pve_create_qemu_vm", c.args, c.want)
	}
	if _, ok := e.sim.Guest(160); ok {
		t.Error("a refused create left VM 160 behind")
	}
}

func TestQemuUpdateConfig(t *testing.T) {
	e := fullEnv(t)
	// A stopped VM takes every change at once; a deleted disk becomes unused.
	out := e.ok("pve_update_qemu_config", map[string]any{"vmid": 102, "memory": 4096, "cores": 2, "onboot": false,
		"delete": []string{"ide2", "scsi0"}, "net0": "e1000,bridge=vmbr1", "extra": map[string]any{"balloon": 1024, "ostype": "win11"}})
	if out != "OK" {
		t.Errorf("result %q, want OK", out)
	}
	wantParams(t, e.lastRequest("PUT", "/nodes/pve2/qemu/102/config").Params, map[string]string{
		"memory": "4096", "cores": "2", "onboot": "0", "delete": "ide2,scsi0", "net0": "e1000,bridge=vmbr1", "balloon": "1024",
		"ostype": "win11"})
	g, _ := e.sim.Guest(102)
	if g.Config["memory"] != "4096" || g.Config["cores"] != "2" || g.Config["onboot"] != "0" || g.Config["balloon"] != "1024" || g.Config["ostype"] != "win11" {
		t.Errorf("config not applied: %v", g.Config)
	}
	if _, has := g.Config["ide2"]; has {
		t.Error("ide2 not deleted")
	}
	if g.Config["unused0"] != "local-lvm:vm-102-disk-0" {
		t.Errorf("deleted disk should be unused0, config %v", g.Config)
	}
	if !strings.HasPrefix(g.Config["net0"], "e1000=BC:24:11:") {
		t.Errorf("net0 %q", g.Config["net0"])
	}

	// A running VM: name applies at once, memory waits for a restart.
	e.ok("pve_update_qemu_config", map[string]any{"vmid": 100, "name": "web01-new", "memory": 8192})
	g, _ = e.sim.Guest(100)
	if g.Config["name"] != "web01-new" || g.Config["memory"] != "4096" || g.Pending["memory"] != "8192" {
		t.Errorf("running VM: config %v pending %v", g.Config, g.Pending)
	}
	var cfg map[string]any
	e.okJSON("pve_get_qemu_config", map[string]any{"vmid": 100}, &cfg)
	if cfg["memory"] != "8192" {
		t.Errorf("config with pending shows memory %v", cfg["memory"])
	}
	e.okJSON("pve_get_qemu_config", map[string]any{"vmid": 100, "current": true}, &cfg)
	if cfg["memory"] != "4096" {
		t.Errorf("current config shows memory %v", cfg["memory"])
	}
	e.task("pve_reboot_qemu_vm", map[string]any{"vmid": 100}, "pve1", "qmreboot")
	if g, _ = e.sim.Guest(100); g.Config["memory"] != "8192" || len(g.Pending) != 0 {
		t.Errorf("reboot did not apply pending: config %v pending %v", g.Config["memory"], g.Pending)
	}

	// The digest guards against lost updates.
	e.okJSON("pve_get_qemu_config", map[string]any{"vmid": 103}, &cfg)
	dig := cfg["digest"].(string)
	e.ok("pve_update_qemu_config", map[string]any{"vmid": 103, "description": "first", "digest": dig})
	if r := e.lastRequest("PUT", "/nodes/pve2/qemu/103/config"); r.Params.Get("digest") != dig {
		t.Errorf("digest not sent: %v", r.Params)
	}
	e.wantFail("pve_update_qemu_config", map[string]any{"vmid": 103, "description": "second", "digest": dig},
		"500 detected modified configuration - file changed by other user? Try again.")
	if g, _ := e.sim.Guest(103); g.Config["description"] != "first" {
		t.Errorf("description %q after a refused update", g.Config["description"])
	}

	e.wantFail("pve_update_qemu_config", map[string]any{"vmid": 103, "delete": []string{"bogus"}}, "invalid configuration ID 'bogus'")
	e.wantFail("pve_update_qemu_config", map[string]any{"vmid": 103, "name": "x", "delete": []string{"name"}}, "cannot set and delete 'name'")
	e.wantFail("pve_update_qemu_config", map[string]any{"vmid": 103}, "no options specified")
	e.wantFail("pve_update_qemu_config", map[string]any{"vmid": 777, "name": "x"}, "no VM or container with vmid 777")
}

func TestQemuDelete(t *testing.T) {
	e := fullEnv(t)
	e.wantFail("pve_delete_qemu_vm", map[string]any{"vmid": 103}, "500 VM 103 is running - destroy failed")
	if _, ok := e.sim.Guest(103); !ok {
		t.Fatal("a refused delete removed VM 103")
	}
	// HA-managed: Proxmox refuses before it looks at the run state.
	e.wantFail("pve_delete_qemu_vm", map[string]any{"vmid": 100}, "500 unable to remove VM 100 - used in HA resources and purge parameter not set.")
	e.wantFail("pve_delete_qemu_vm", map[string]any{"vmid": 200, "node": "pve1"}, "vmid 200 is a container (on node pve1), not a VM: use the container tools (pve_*_lxc_*); pve_delete_lxc_container makes this call for a container")

	e.ok("pve_update_qemu_config", map[string]any{"vmid": 102, "extra": map[string]any{"protection": true}})
	e.wantFail("pve_delete_qemu_vm", map[string]any{"vmid": 102}, "can't remove VM 102 - protection mode enabled")
	e.ok("pve_update_qemu_config", map[string]any{"vmid": 102, "delete": []string{"protection"}})

	e.task("pve_delete_qemu_vm", map[string]any{"vmid": 102, "purge": true, "destroy_unreferenced_disks": true}, "pve2", "qmdestroy")
	wantParams(t, e.lastRequest("DELETE", "/nodes/pve2/qemu/102").Params, map[string]string{"purge": "1", "destroy-unreferenced-disks": "1"})
	if _, ok := e.sim.Guest(102); ok {
		t.Error("VM 102 still exists")
	}
	if txt := e.ok("pve_list_qemu_vms", map[string]any{"node": "pve2"}); strings.Contains(txt, "win-ts") {
		t.Errorf("VM 102 still listed: %s", txt)
	}
	if _, listed := e.resources()[102]; listed {
		t.Error("VM 102 still in /cluster/resources")
	}

	// A destroyed VM leaves its pool: a new VM with the same id is in none.
	// 101 is HA-managed: the stop is a request to HA, the delete needs purge.
	e.task("pve_stop_qemu_vm", map[string]any{"vmid": 101}, "pve1", "hastop")
	e.task("pve_delete_qemu_vm", map[string]any{"vmid": 101, "purge": true}, "pve1", "qmdestroy")
	e.task("pve_create_qemu_vm", map[string]any{"node": "pve1", "vmid": 101}, "pve1", "qmcreate")
	if r := e.resources()[101]; r == nil || r["pool"] != nil {
		t.Errorf("recreated VM 101: %v (still in the old pool?)", r)
	}
}

func TestQemuClone(t *testing.T) {
	e := fullEnv(t)
	// A template clones linked by default.
	e.task("pve_clone_qemu_vm", map[string]any{"vmid": 9000, "newid": 300, "name": "web02", "description": "from template", "pool": "lab"}, "pve3", "qmclone")
	wantParams(t, e.lastRequest("POST", "/nodes/pve3/qemu/9000/clone").Params,
		map[string]string{"newid": "300", "name": "web02", "description": "from template", "pool": "lab"})
	src, _ := e.sim.Guest(9000)
	g, ok := e.sim.Guest(300)
	if !ok {
		t.Fatal("clone 300 missing")
	}
	if g.Node != "pve3" || g.Template || g.Config["template"] != "" || g.Config["name"] != "web02" || g.Lock != "" {
		t.Errorf("clone: node %s template %v config %v", g.Node, g.Template, g.Config)
	}
	if got := g.Config["scsi0"]; !strings.HasPrefix(got, "local-lvm:base-9000-disk-0/vm-300-disk-0") {
		t.Errorf("linked clone disk %q", got)
	}
	if g.Config["net0"] == src.Config["net0"] {
		t.Error("clone kept the source's MAC address")
	}
	if r := e.resources()[300]; r == nil || r["pool"] != "lab" {
		t.Errorf("clone resource %v", r)
	}

	// A VM clones in full, also from a snapshot, and to another storage.
	e.task("pve_clone_qemu_vm", map[string]any{"vmid": 101, "newid": 301, "snapname": "pre-upgrade", "full": true, "storage": "local-lvm"}, "pve1", "qmclone")
	wantParams(t, e.lastRequest("POST", "/nodes/pve1/qemu/101/clone").Params,
		map[string]string{"newid": "301", "snapname": "pre-upgrade", "full": "1", "storage": "local-lvm"})
	g, _ = e.sim.Guest(301)
	if g.Config["memory"] != "8192" || g.Config["name"] != "Copy-of-VM-db01" || !strings.HasPrefix(g.Config["scsi0"], "local-lvm:vm-301-disk-0,") {
		t.Errorf("snapshot clone config %v", g.Config)
	}
	if src, _ := e.sim.Guest(101); src.Lock != "" {
		t.Errorf("source still locked %q", src.Lock)
	}

	e.wantFail("pve_clone_qemu_vm", map[string]any{"vmid": 100, "newid": 101}, "500 unable to create VM 101: config file already exists")
	e.wantFail("pve_clone_qemu_vm", map[string]any{"vmid": 102, "newid": 302, "target": "pve1"}, "Can't clone to other node if VM uses local storage")
	e.wantFail("pve_clone_qemu_vm", map[string]any{"vmid": 102, "newid": 302, "full": false}, "linked clone")
	e.wantFail("pve_clone_qemu_vm", map[string]any{"vmid": 102, "newid": 302, "storage": "local"}, "does not support content-type 'images'")
	e.wantFail("pve_clone_qemu_vm", map[string]any{"vmid": 101, "newid": 302, "snapname": "nope"}, "snapshot 'nope' does not exist")
	if _, ok := e.sim.Guest(302); ok {
		t.Error("a refused clone left VM 302 behind")
	}
}

func TestQemuSnapshots(t *testing.T) {
	e := fullEnv(t)
	// With RAM: rollback resumes the VM running.
	e.task("pve_create_qemu_snapshot", map[string]any{"vmid": 100, "snapname": "with-ram", "description": "before change", "vmstate": true}, "pve1", "qmsnapshot")
	wantParams(t, e.lastRequest("POST", "/nodes/pve1/qemu/100/snapshot").Params,
		map[string]string{"snapname": "with-ram", "description": "before change", "vmstate": "1"})
	var snaps []map[string]any
	e.okJSON("pve_list_qemu_snapshots", map[string]any{"vmid": 100}, &snaps)
	if len(snaps) != 2 || snaps[0]["name"] != "with-ram" || snaps[0]["vmstate"] != float64(1) || snaps[1]["parent"] != "with-ram" {
		t.Errorf("snapshots %v", snaps)
	}
	e.ok("pve_update_qemu_config", map[string]any{"vmid": 100, "description": "changed", "tags": "x"})
	e.task("pve_rollback_qemu_snapshot", map[string]any{"vmid": 100, "snapname": "with-ram"}, "pve1", "qmrollback")
	wantParams(t, e.lastRequest("POST", "/nodes/pve1/qemu/100/snapshot/with-ram/rollback").Params, map[string]string{})
	g, _ := e.sim.Guest(100)
	if g.Config["tags"] != "production;web" || g.Config["description"] != "" || g.Status != "running" {
		t.Errorf("after rollback with RAM: status %s config %v", g.Status, g.Config)
	}

	// Without RAM: rollback stops the running VM; start brings it back.
	e.task("pve_create_qemu_snapshot", map[string]any{"vmid": 100, "snapname": "disk-only"}, "pve1", "qmsnapshot")
	e.ok("pve_update_qemu_config", map[string]any{"vmid": 100, "tags": "y"})
	e.task("pve_rollback_qemu_snapshot", map[string]any{"vmid": 100, "snapname": "disk-only"}, "pve1", "qmrollback")
	if g, _ = e.sim.Guest(100); g.Status != "stopped" || g.Config["tags"] != "production;web" {
		t.Errorf("after rollback without RAM: status %s tags %s", g.Status, g.Config["tags"])
	}
	e.task("pve_rollback_qemu_snapshot", map[string]any{"vmid": 100, "snapname": "disk-only", "start": true}, "pve1", "qmrollback")
	wantParams(t, e.lastRequest("POST", "/nodes/pve1/qemu/100/snapshot/disk-only/rollback").Params, map[string]string{"start": "1"})
	if g, _ = e.sim.Guest(100); g.Status != "running" {
		t.Errorf("rollback with start: %s", g.Status)
	}

	// Delete: gone from the list; its child now hangs off its parent.
	e.task("pve_delete_qemu_snapshot", map[string]any{"vmid": 100, "snapname": "with-ram", "force": true}, "pve1", "qmdelsnapshot")
	wantParams(t, e.lastRequest("DELETE", "/nodes/pve1/qemu/100/snapshot/with-ram").Params, map[string]string{"force": "1"})
	e.okJSON("pve_list_qemu_snapshots", map[string]any{"vmid": 100}, &snaps)
	if len(snaps) != 2 || snaps[0]["name"] != "disk-only" || snaps[0]["parent"] != nil {
		t.Errorf("after delete: %v", snaps)
	}

	// Failures: synchronous refusals, and tasks that fail (seen with wait).
	e.wantFail("pve_create_qemu_snapshot", map[string]any{"vmid": 100, "snapname": "1st"}, "snapname")
	e.wantFail("pve_create_qemu_snapshot", map[string]any{"vmid": 100, "snapname": "current"}, "unable to use snapshot name 'current' (reserved name)")
	e.wantFail("pve_create_qemu_snapshot", map[string]any{"vmid": 100, "snapname": "disk-only", "wait": 5}, "snapshot name 'disk-only' already used")
	e.wantFail("pve_delete_qemu_snapshot", map[string]any{"vmid": 100, "snapname": "nope", "wait": 5}, "snapshot 'nope' does not exist")
	e.wantFail("pve_rollback_qemu_snapshot", map[string]any{"vmid": 100, "snapname": "nope", "wait": 5}, "snapshot 'nope' does not exist")
	e.wantFail("pve_rollback_qemu_snapshot", map[string]any{"vmid": 100, "snapname": "bad name"}, "snapname")

	// Without wait, a failing task is returned as a task; its status tells.
	u := e.task("pve_delete_qemu_snapshot", map[string]any{"vmid": 100, "snapname": "gone"}, "pve1", "qmdelsnapshot")
	var st map[string]any
	e.okJSON("pve_get_task_status", map[string]any{"upid": u.Raw}, &st)
	if st["exitstatus"] != "snapshot 'gone' does not exist" {
		t.Errorf("task status %v", st)
	}
}

// TestQemuWriteToolsDeclared pins what the write tools promise clients.
func TestQemuWriteToolsDeclared(t *testing.T) {
	want := map[string]struct {
		kind Kind
		task bool
	}{
		"pve_create_qemu_vm": {Act, true}, "pve_delete_qemu_vm": {Destroy, true}, "pve_update_qemu_config": {Set, false},
		"pve_clone_qemu_vm": {Act, true}, "pve_create_qemu_snapshot": {Act, true}, "pve_delete_qemu_snapshot": {Destroy, true},
		"pve_rollback_qemu_snapshot": {Destroy, true},
	}
	// The count covers qemu.go's tools; issue-6 files add more to the category.
	own := map[string]bool{}
	for _, tool := range qemuTools() {
		own[tool.Name] = true
	}
	n := 0
	for _, tool := range All() {
		if tool.Category != QEMU || !own[tool.Name] {
			continue
		}
		n++
		w, ok := want[tool.Name]
		if !ok {
			continue
		}
		if tool.Tier != Full || tool.Kind != w.kind || tool.Task != w.task {
			t.Errorf("%s: tier %v kind %v task %v, want full %v %v", tool.Name, tool.Tier, tool.Kind, tool.Task, w.kind, w.task)
		}
		def, err := tool.MCP()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(def.InputSchema)
		var schema struct {
			Properties map[string]any `json:"properties"`
		}
		if err := json.Unmarshal(b, &schema); err != nil {
			t.Fatal(err)
		}
		if _, hasWait := schema.Properties["wait"]; hasWait != w.task {
			t.Errorf("%s: wait property %v, want %v: %s", tool.Name, hasWait, w.task, b)
		}
	}
	if n != 20 {
		t.Errorf("%d qemu tools, want 20", n)
	}
}
