package tools

import (
	"strings"
	"testing"
	"time"

	"github.com/pve-mcp/pve-mcp/pve/pvesim"
)

func toolByName(name string) *Tool {
	for _, t := range All() {
		if t.Name == name {
			return t
		}
	}
	panic("no tool " + name)
}

// wantGuest checks the real call left the plan's (single) guest as planned.
func wantGuest(t *testing.T, e *testEnv, p Plan) {
	t.Helper()
	if len(p.Guests) != 1 {
		t.Fatalf("plan has %d guests", len(p.Guests))
	}
	gp := p.Guests[0]
	g, ok := e.sim.Guest(gp.VMID)
	got := e.simState(gp.VMID)
	switch {
	case gp.After == "template":
		if !ok || !g.Template {
			t.Errorf("%d: not a template after the call", gp.VMID)
		}
	case got != gp.After:
		t.Errorf("%d is %s after the call, the plan said %s", gp.VMID, got, gp.After)
	case ok && gp.Node != "" && g.Node != gp.Node:
		t.Errorf("%d is on %s after the call, the plan said %s", gp.VMID, g.Node, gp.Node)
	}
}

// TestDryRunMakeGuests: create, clone, restore, template and snapshot
// plans, each followed by the real call.
func TestDryRunMakeGuests(t *testing.T) {
	e := fullEnv(t)
	iso := "local:iso/debian-12.7.0-amd64-netinst.iso"
	tmpl := "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst"
	backup102 := e.backupOf("pve2", "nfs-backup", 102)
	backup200 := e.backupOf("pve1", "nfs-backup", 200)
	runPlanCases(t, e, []planCase{
		{name: "create VM", tool: "pve_create_qemu_vm",
			args: map[string]any{"node": "pve1", "vmid": 150, "name": "t1", "scsi0": "local-lvm:32", "ide2": iso + ",media=cdrom", "start": true},
			want: []string{`"now":"absent","after":"running"`, "storage local-lvm on pve1: 32G needed"}, after: wantGuest},
		{name: "create VM, vmid taken", tool: "pve_create_qemu_vm", args: map[string]any{"node": "pve1", "vmid": 100},
			fail: `vmid 100 already exists: qemu "web01" on node pve1`},
		{name: "create VM, unknown storage", tool: "pve_create_qemu_vm", args: map[string]any{"node": "pve1", "vmid": 151, "scsi0": "nope:8"},
			fail: "storage 'nope' does not exist on node pve1"},
		{name: "create VM, unknown pool", tool: "pve_create_qemu_vm", args: map[string]any{"node": "pve1", "vmid": 151, "pool": "nope"},
			fail: "pool 'nope' does not exist"},
		{name: "create VM, missing ISO", tool: "pve_create_qemu_vm", args: map[string]any{"node": "pve1", "vmid": 151, "ide2": "local:iso/nope.iso,media=cdrom"},
			fail: "volume 'local:iso/nope.iso' does not exist on node pve1"},
		{name: "create CT", tool: "pve_create_lxc_container",
			args: map[string]any{"node": "pve1", "vmid": 250, "ostemplate": tmpl, "rootfs": "local-lvm:8", "password": "secret123"},
			want: []string{"storage local-lvm on pve1: 8G needed", "password=%28hidden%29"}, after: wantGuest},
		{name: "create CT, missing template", tool: "pve_create_lxc_container", args: map[string]any{"node": "pve1", "vmid": 252, "ostemplate": "local:vztmpl/nope.tar.zst", "rootfs": "local-lvm:8"},
			fail: "volume 'local:vztmpl/nope.tar.zst' does not exist on node pve1", after: func(t *testing.T, e *testEnv, p Plan) {
				if _, ok := e.sim.Guest(252); ok {
					t.Error("252 exists after the failed create")
				}
			}},
		{name: "create CT on the default storage", tool: "pve_create_lxc_container", args: map[string]any{"node": "pve1", "vmid": 251, "ostemplate": tmpl},
			fail: "storage 'local' does not support content-type 'rootdir'"},

		{name: "linked clone of a template", tool: "pve_clone_qemu_vm", args: map[string]any{"vmid": 9000, "newid": 9100, "name": "c1"},
			want:  []string{"linked clone", `"vmid":9100,"name":"c1","type":"qemu","node":"pve3","now":"absent","after":"stopped"`},
			after: wantGuest},
		{name: "clone onto a taken vmid", tool: "pve_clone_qemu_vm", args: map[string]any{"vmid": 102, "newid": 101}, fail: "vmid 101 already exists"},
		{name: "clone to another node from local storage", tool: "pve_clone_qemu_vm", args: map[string]any{"vmid": 100, "newid": 152, "target": "pve2"},
			fail: "Can't clone to other node if VM uses local storage (scsi0 on local-lvm)"},
		{name: "full clone of a running CT", tool: "pve_clone_lxc_container", args: map[string]any{"vmid": 200, "newid": 260},
			fail: "Cannot do full clones on a running container without snapshots"},
		{name: "full clone of a CT", tool: "pve_clone_lxc_container", args: map[string]any{"vmid": 203, "newid": 260, "hostname": "sb2"},
			want: []string{"storage local-lvm on pve1: 8G needed"}, after: wantGuest},

		{name: "restore as a new VM", tool: "pve_restore_qemu_vm", args: map[string]any{"node": "pve2", "vmid": 160, "archive": backup102, "storage": "local-lvm"},
			want: []string{"storage local-lvm on pve2: 120G needed", "archive " + backup102 + ": ", "of guest 102", "VM 102, the backup's original, still exists"}, after: wantGuest},
		{name: "restore a missing archive", tool: "pve_restore_qemu_vm", args: map[string]any{"node": "pve2", "vmid": 162, "archive": "nfs-backup:backup/vzdump-qemu-102-2020_01_01-00_00_00.vma.zst"},
			fail: "volume 'nfs-backup:backup/vzdump-qemu-102-2020_01_01-00_00_00.vma.zst' does not exist on node pve2"},
		{name: "restore onto a taken vmid", tool: "pve_restore_qemu_vm", args: map[string]any{"node": "pve2", "vmid": 102, "archive": backup102},
			fail: "vmid 102 already exists"},
		{name: "restore over a stopped VM", tool: "pve_restore_qemu_vm", args: map[string]any{"node": "pve2", "vmid": 102, "archive": backup102, "force": true},
			want: []string{"volume scsi0=local-lvm:vm-102-disk-0 (120G)", `"now":"stopped","after":"stopped"`}, after: wantGuest},
		{name: "restore a CT backup as a VM", tool: "pve_restore_qemu_vm", args: map[string]any{"node": "pve1", "vmid": 161, "archive": backup200},
			fail: "is a CT backup"},
		{name: "restore over a running CT", tool: "pve_restore_lxc_container", args: map[string]any{"node": "pve1", "vmid": 200, "archive": backup200, "force": true},
			fail: "CT 200 is running"},
		{name: "restore a CT", tool: "pve_restore_lxc_container", args: map[string]any{"node": "pve1", "vmid": 261, "archive": backup200, "start": true},
			want: []string{"storage local-lvm on pve1: 4G needed", `"after":"running"`}, after: wantGuest},

		{name: "template of a running VM", tool: "pve_convert_qemu_to_template", args: map[string]any{"vmid": 100}, fail: "if VM is running"},
		{name: "template of a template", tool: "pve_convert_qemu_to_template", args: map[string]any{"vmid": 9000}, fail: "template to a template"},
		{name: "VM to template", tool: "pve_convert_qemu_to_template", args: map[string]any{"vmid": 102},
			want: []string{"scsi0=local-lvm:vm-102-disk-0 (120G) becomes a read-only base image", "irreversible"}, after: wantGuest},
		{name: "CT to template", tool: "pve_convert_lxc_to_template", args: map[string]any{"vmid": 203}, want: []string{`"after":"template"`}, after: wantGuest},

		{name: "snapshot name taken", tool: "pve_create_qemu_snapshot", args: map[string]any{"vmid": 101, "snapname": "pre-upgrade"},
			fail: "snapshot name 'pre-upgrade' already used"},
		{name: "snapshot of a template", tool: "pve_create_qemu_snapshot", args: map[string]any{"vmid": 9000, "snapname": "s1"}, fail: "template"},
		{name: "snapshot with RAM", tool: "pve_create_qemu_snapshot", args: map[string]any{"vmid": 101, "snapname": "s1", "vmstate": true},
			want: []string{"follows pre-upgrade", "RAM is saved"}, after: func(t *testing.T, e *testEnv, p Plan) {
				if g, _ := e.sim.Guest(101); len(g.Snapshots) != 2 || g.Snapshots[1].Name != "s1" || !g.Snapshots[1].VMState {
					t.Errorf("101's snapshots after the call: %+v", g.Snapshots)
				}
			}},
		{name: "CT snapshot", tool: "pve_create_lxc_snapshot", args: map[string]any{"vmid": 201, "snapname": "s1"},
			after: func(t *testing.T, e *testEnv, p Plan) {
				if g, _ := e.sim.Guest(201); len(g.Snapshots) != 1 {
					t.Errorf("201's snapshots after the call: %+v", g.Snapshots)
				}
			}},
	})
}

// TestCheckStorageSpace: a thick storage refuses a volume larger than its
// free space; a thin one takes it and the plan warns.
func TestCheckStorageSpace(t *testing.T) {
	c := clusterView{
		{clusterEntry: clusterEntry{Type: "storage", Node: "n", Storage: "thick", Status: "available"}, Content: "images", PluginType: "lvm", MaxDisk: 10 << 30, Disk: 8 << 30},
		{clusterEntry: clusterEntry{Type: "storage", Node: "n", Storage: "thin", Status: "available"}, Content: "images", PluginType: "lvmthin", MaxDisk: 10 << 30, Disk: 8 << 30},
	}
	p := &Plan{}
	c.checkStorage(p, "n", "thick", "images", 4<<30)
	if len(p.WouldFail) != 1 || p.WouldFail[0] != "storage 'thick' on n has 2G free, 4G needed" {
		t.Errorf("thick: %v", p.WouldFail)
	}
	p = &Plan{}
	c.checkStorage(p, "n", "thin", "images", 4<<30)
	if len(p.WouldFail) != 0 || len(p.Notes) != 1 || !strings.Contains(p.Notes[0], "only 2G free") {
		t.Errorf("thin: %+v", p)
	}
}

// TestDryRunDisks: grow, move, reassign and detach plans, each followed
// by the real call.
func TestDryRunDisks(t *testing.T) {
	e := fullEnv(t)
	e.addImageStorage()
	cfg := func(vmid int, key string) string {
		g, _ := e.sim.Guest(vmid)
		return g.Config[key]
	}
	wantCfg := func(vmid int, key, prefix string) func(*testing.T, *testEnv, Plan) {
		return func(t *testing.T, e *testEnv, p Plan) {
			if v := cfg(vmid, key); !strings.HasPrefix(v, prefix) || prefix == "" && v != "" {
				t.Errorf("%d %s after the call: %q, want %q...", vmid, key, v, prefix)
			}
		}
	}
	runPlanCases(t, e, []planCase{
		{name: "grow", tool: "pve_resize_qemu_disk", args: map[string]any{"vmid": 100, "disk": "scsi0", "size": "+8G"},
			want:  []string{`{"key":"scsi0","now":"32G","to":"40G"}`, "storage local-lvm on pve1: 8G needed", "partition"},
			after: wantCfg(100, "scsi0", "local-lvm:vm-100-disk-0,size=40G")},
		{name: "shrink", tool: "pve_resize_qemu_disk", args: map[string]any{"vmid": 100, "disk": "scsi0", "size": "10G"}, fail: "shrinking disks is not supported (scsi0 is 40G)"},
		{name: "grow a CD-ROM", tool: "pve_resize_qemu_disk", args: map[string]any{"vmid": 100, "disk": "ide2", "size": "+1G"}, fail: "ide2 is a CD-ROM drive"},
		{name: "grow a missing disk", tool: "pve_resize_qemu_disk", args: map[string]any{"vmid": 100, "disk": "scsi7", "size": "+1G"}, fail: "disk 'scsi7' does not exist"},
		{name: "grow a CT", tool: "pve_resize_lxc_disk", args: map[string]any{"vmid": 200, "disk": "rootfs", "size": "6G"},
			want: []string{`{"key":"rootfs","now":"4G","to":"6G"}`}, after: wantCfg(200, "rootfs", "local-lvm:vm-200-disk-0,size=6G")},

		{name: "move to another storage", tool: "pve_move_qemu_disk", args: map[string]any{"vmid": 100, "disk": "scsi0", "storage": "fast"},
			want: []string{`"to":"a copy on fast"`, "storage fast on pve1: 40G needed", "stays, as an unusedN disk", "mirrored live"},
			after: func(t *testing.T, e *testEnv, p Plan) {
				if !strings.HasPrefix(cfg(100, "scsi0"), "fast:") || cfg(100, "unused0") != "local-lvm:vm-100-disk-0" {
					t.Errorf("after the move: scsi0 %q, unused0 %q", cfg(100, "scsi0"), cfg(100, "unused0"))
				}
			}},
		{name: "move and delete a snapshotted disk", tool: "pve_move_qemu_disk", args: map[string]any{"vmid": 101, "disk": "scsi0", "storage": "fast", "delete": true},
			fail: "you can't move a disk with snapshots and delete the source"},
		{name: "move to the same storage", tool: "pve_move_qemu_disk", args: map[string]any{"vmid": 102, "disk": "scsi0", "storage": "local-lvm"},
			fail: "same storage with same format"},
		{name: "move a running CT's volume", tool: "pve_move_lxc_volume", args: map[string]any{"vmid": 200, "volume": "rootfs", "storage": "fast"},
			fail: "cannot move volumes of a running container"},
		{name: "move a CT volume", tool: "pve_move_lxc_volume", args: map[string]any{"vmid": 203, "volume": "rootfs", "storage": "fast", "delete": true},
			want: []string{"volume local-lvm:vm-203-disk-0 (the source, once copied)"}, after: wantCfg(203, "rootfs", "fast:")},
		{name: "hand a disk to a VM on another node", tool: "pve_move_qemu_disk", args: map[string]any{"vmid": 102, "disk": "scsi0", "target_vmid": 100},
			fail: "no VM 100 on node pve2"},
		{name: "hand a disk to a VM", tool: "pve_move_qemu_disk", args: map[string]any{"vmid": 102, "disk": "scsi0", "target_vmid": 103, "target_disk": "scsi1"},
			want: []string{`{"key":"scsi0","now":"local-lvm:vm-102-disk-0","removed":true}`, `"key":"103:scsi1"`},
			after: func(t *testing.T, e *testEnv, p Plan) {
				if cfg(102, "scsi0") != "" || !strings.HasPrefix(cfg(103, "scsi1"), "local-lvm:vm-103-disk-") {
					t.Errorf("after the reassign: 102 scsi0 %q, 103 scsi1 %q", cfg(102, "scsi0"), cfg(103, "scsi1"))
				}
			}},
		{name: "hand a disk to a taken key", tool: "pve_move_qemu_disk", args: map[string]any{"vmid": 103, "disk": "scsi1", "target_vmid": 102, "target_disk": "ide2"},
			fail: "Target disk key 'ide2' is already in use"},

		{name: "destroy an unused disk", tool: "pve_unlink_qemu_disk", args: map[string]any{"vmid": 100, "idlist": []string{"unused0", "scsi5"}},
			want: []string{"volume local-lvm:vm-100-disk-0 (unused0)", "scsi5 is not set"}, after: wantCfg(100, "unused0", "")},
		{name: "detach a disk", tool: "pve_unlink_qemu_disk", args: map[string]any{"vmid": 102, "idlist": []string{"ide2"}},
			want: []string{`{"key":"ide2","now":"none,media=cdrom","removed":true}`}, after: wantCfg(102, "ide2", "")},
		{name: "detach a disk, kept", tool: "pve_unlink_qemu_disk", args: map[string]any{"vmid": 104, "idlist": []string{"scsi0"}},
			want:  []string{"scsi0's volume local-lvm:vm-104-disk-0 is kept as an unusedN disk", "hot-unplug"},
			after: wantCfg(104, "unused0", "local-lvm:vm-104-disk-0")},
		{name: "detach from a container", tool: "pve_unlink_qemu_disk", args: map[string]any{"vmid": 203, "idlist": []string{"scsi0"}},
			fail: "vmid 203 is a lxc"},
	})
}

// TestDryRunCloudinit: the settings that change, what the drive would
// hold after a regenerate, and a VM without a drive.
func TestDryRunCloudinit(t *testing.T) {
	e := fullEnv(t)
	ciUser := func(want string) func(*testing.T, *testEnv, Plan) {
		return func(t *testing.T, e *testEnv, p Plan) {
			if it := e.ciView(104)["ciuser"]; it.Value != want || it.Pending != "" {
				t.Errorf("104's drive after the call: ciuser %+v, want %s", it, want)
			}
		}
	}
	runPlanCases(t, e, []planCase{
		{name: "set", tool: "pve_set_qemu_cloudinit", args: map[string]any{"vmid": 104, "ciuser": "ops", "cipassword": "hunter22"},
			want: []string{`{"key":"ciuser","now":"ubuntu","to":"ops"}`, `"key":"cipassword","to":"(hidden)"`, "pve_regenerate_qemu_cloudinit"},
			after: func(t *testing.T, e *testEnv, p Plan) {
				if g, _ := e.sim.Guest(104); g.Config["ciuser"] != "ops" {
					t.Errorf("ciuser after the call: %q", g.Config["ciuser"])
				}
			}},
		{name: "regenerate", tool: "pve_regenerate_qemu_cloudinit", args: map[string]any{"vmid": 104},
			want: []string{`{"key":"ciuser","now":"ubuntu","to":"ops"}`, "usually at boot"}, after: ciUser("ops")},
		{name: "regenerate again", tool: "pve_regenerate_qemu_cloudinit", args: map[string]any{"vmid": 104},
			want: []string{"nothing changes"}, after: ciUser("ops")},
		{name: "set without a drive", tool: "pve_set_qemu_cloudinit", args: map[string]any{"vmid": 100, "ciuser": "ops"},
			want: []string{"no cloud-init drive"}},
		{name: "regenerate without a drive", tool: "pve_regenerate_qemu_cloudinit", args: map[string]any{"vmid": 100},
			want: []string{"returns without doing anything"}},
		{name: "set on a container", tool: "pve_set_qemu_cloudinit", args: map[string]any{"vmid": 200, "ciuser": "x"}, fail: "vmid 200 is a lxc"},
	})
	// A bad input is refused as the real call refuses it, before any read.
	e.sim.ResetRequests()
	if txt := e.fails("pve_set_qemu_cloudinit", map[string]any{"vmid": 104, "extra": map[string]any{"memory": 1}, "dry_run": true}); !strings.Contains(txt, "not a cloud-init setting") {
		t.Errorf("bad extra: %s", txt)
	}
	if n := len(e.sim.Requests()); n != 0 {
		t.Errorf("the refused dry run sent %d requests", n)
	}
}

// TestDryRunJobs: backup runs, downloads, OCI pulls and node services.
func TestDryRunJobs(t *testing.T) {
	e := fullEnv(t)
	backups := func(vmid int) int {
		var vols []map[string]any
		e.okJSON("pve_list_storage_content", map[string]any{"node": "pve1", "storage": "nfs-backup", "content": "backup", "vmid": vmid}, &vols)
		return len(vols)
	}
	before, newest := backups(100), e.backupOf("pve1", "nfs-backup", 100)
	hasFile := func(node, storage, volid string) func(*testing.T, *testEnv, Plan) {
		return func(t *testing.T, e *testEnv, p Plan) {
			if !strings.Contains(e.ok("pve_list_storage_content", map[string]any{"node": node, "storage": storage}), volid) {
				t.Errorf("%s is not on %s after the call", volid, storage)
			}
		}
	}
	service := func(name, want string) func(*testing.T, *testEnv, Plan) {
		return func(t *testing.T, e *testEnv, p Plan) {
			var list []map[string]any
			e.okJSON("pve_list_node_services", map[string]any{"node": "pve1"}, &list)
			for _, s := range list {
				if s["service"] == name && s["state"] != want {
					t.Errorf("%s is %v after the call, the plan said %s", name, s["state"], want)
				}
			}
		}
	}
	runPlanCases(t, e, []planCase{
		{name: "back up a VM", tool: "pve_run_backup", args: map[string]any{"vmid": []int{100}, "storage": "nfs-backup"},
			want: []string{`"vmid":100,"name":"web01","type":"qemu","node":"pve1","now":"running","after":"running"`, "POST /nodes/pve1/vzdump",
				"then prunes these guests' backups on nfs-backup to keep-daily=7,keep-weekly=4"},
			after: func(t *testing.T, e *testEnv, p Plan) {
				// A new backup, and the oldest pruned as the plan said.
				if n, last := backups(100), e.backupOf("pve1", "nfs-backup", 100); n != before || last == newest {
					t.Errorf("100 has %d backups after the run (%d before), the newest %s (%s before)", n, before, last, newest)
				}
			}},
		{name: "back up guests of two nodes", tool: "pve_run_backup", args: map[string]any{"vmid": []int{100, 102}},
			fail: "the guests are on several nodes (pve1: 100; pve2: 102)"},
		{name: "back up another node's guest", tool: "pve_run_backup", args: map[string]any{"node": "pve1", "vmid": []int{102}, "storage": "nfs-backup"},
			want: []string{"102 skipped: it is on node pve2", "nothing would be backed up"}},
		{name: "back up a pool, stop mode", tool: "pve_run_backup", args: map[string]any{"node": "pve1", "pool": "production", "mode": "stop", "storage": "nfs-backup"},
			want: []string{`"vmid":100`, `"vmid":101`, `"vmid":200`, "stop mode stops it"}},
		{name: "back up to a disk storage", tool: "pve_run_backup", args: map[string]any{"node": "pve1", "all": true, "storage": "local-lvm"},
			fail: "storage 'local-lvm' does not support content-type 'backup'"},

		{name: "download", tool: "pve_download_url_to_storage",
			args: map[string]any{"node": "pve1", "storage": "local", "url": "https://example.com/x.iso", "filename": "x.iso", "content": "iso"},
			want: []string{"would store local:iso/x.iso", "G free", "unverified"}, after: hasFile("pve1", "local", "local:iso/x.iso")},
		{name: "download over a file", tool: "pve_download_url_to_storage",
			args: map[string]any{"node": "pve1", "storage": "local", "url": "https://example.com/x.iso", "filename": "x.iso", "content": "iso"},
			fail: "refusing to override existing file 'x.iso'"},
		{name: "download to a disk storage", tool: "pve_download_url_to_storage",
			args: map[string]any{"node": "pve1", "storage": "local-lvm", "url": "https://example.com/y.iso", "filename": "y.iso", "content": "iso"},
			fail: "storage 'local-lvm' does not support content-type 'iso'"},
		{name: "download with a wrong extension", tool: "pve_download_url_to_storage",
			args: map[string]any{"node": "pve1", "storage": "local", "url": "https://example.com/y.txt", "filename": "y.txt", "content": "iso"},
			fail: "wrong file extension"},
		{name: "pull an image", tool: "pve_pull_oci_image", args: map[string]any{"node": "pve1", "storage": "local", "reference": "docker.io/library/nginx:1.27"},
			want: []string{"would store local:vztmpl/nginx_1.27.tar"}, after: hasFile("pve1", "local", "local:vztmpl/nginx_1.27.tar")},
		{name: "pull it again", tool: "pve_pull_oci_image", args: map[string]any{"node": "pve1", "storage": "local", "reference": "docker.io/library/nginx:1.27"},
			fail: "refusing to override existing file 'nginx_1.27.tar'"},

		{name: "restart the API proxy", tool: "pve_manage_node_service", args: map[string]any{"node": "pve1", "service": "pveproxy", "command": "restart"},
			want: []string{`{"key":"pveproxy","now":"running","to":"running (restarted)"}`, "interrupts the node's API"}, after: service("pveproxy", "running")},
		{name: "stop postfix", tool: "pve_manage_node_service", args: map[string]any{"node": "pve1", "service": "postfix", "command": "stop"},
			want: []string{`{"key":"postfix","now":"running","to":"dead"}`}, after: service("postfix", "dead")},
		{name: "stop it again", tool: "pve_manage_node_service", args: map[string]any{"node": "pve1", "service": "postfix", "command": "stop"},
			want: []string{"already dead"}, after: service("postfix", "dead")},
	})
}

// TestDryRunStopTask: a running task is interrupted, an ended one is left.
func TestDryRunStopTask(t *testing.T) {
	e := newTestEnvWith(t, Selection{Tier: Full}, pvesim.Options{TaskDuration: time.Hour})
	var task UPID
	e.okJSON("pve_start_qemu_vm", map[string]any{"vmid": 102}, &task)
	runPlanCases(t, e, []planCase{
		{name: "abort", tool: "pve_stop_task", args: map[string]any{"upid": task.Raw},
			want: []string{`"now":"running","to":"stopped: interrupted by signal"`, "task qmstart 102 by " + testTokenID, "DELETE /nodes/pve2/tasks/"},
			after: func(t *testing.T, e *testEnv, p Plan) {
				var st map[string]any
				if e.okJSON("pve_get_task_status", map[string]any{"upid": task.Raw}, &st); st["exitstatus"] != "interrupted by signal" {
					t.Errorf("task after the call: %v", st)
				}
			}},
		{name: "abort an ended task", tool: "pve_stop_task", args: map[string]any{"upid": task.Raw}, want: []string{"already ended (interrupted by signal)"}},
	})
}

// TestDryRunAgent: what would run or be written, and whether the policy,
// the VM and its agent allow it.
func TestDryRunAgent(t *testing.T) {
	e := fullEnv(t)
	e.env.GuestExec = agentPolicy(t, "uptime", "file-write /tmp/[a-z]+")
	runPlanCases(t, e, []planCase{
		{name: "run", tool: "pve_exec_qemu_agent_command", args: map[string]any{"vmid": 100, "command": []string{"uptime"}},
			want: []string{"POST /nodes/pve1/qemu/100/agent/exec command=uptime", `runs \"uptime\"`}},
		{name: "run what the policy refuses", tool: "pve_exec_qemu_agent_command", args: map[string]any{"vmid": 100, "command": []string{"rm", "-rf", "/"}},
			fail: `command "rm -rf /" matches no PVE_GUEST_EXEC_ALLOW pattern`},
		{name: "run where the agent is down", tool: "pve_exec_qemu_agent_command", args: map[string]any{"vmid": 103, "command": []string{"uptime"}},
			fail: "QEMU guest agent is not running"},
		{name: "run in a stopped VM", tool: "pve_exec_qemu_agent_command", args: map[string]any{"vmid": 102, "command": []string{"uptime"}},
			fail: "VM 102 is not running"},
		{name: "write", tool: "pve_write_qemu_agent_file", args: map[string]any{"vmid": 100, "file": "/tmp/motd", "content": "hello"},
			want: []string{`{"key":"/tmp/motd","to":"5 bytes of text`, "content=%285+bytes%29"},
			after: func(t *testing.T, e *testEnv, p Plan) {
				if txt := e.ok("pve_read_qemu_agent_file", map[string]any{"vmid": 100, "file": "/tmp/motd"}); !strings.Contains(txt, `"content":"hello"`) {
					t.Errorf("the file after the call: %s", txt)
				}
			}},
		{name: "write what the policy refuses", tool: "pve_write_qemu_agent_file", args: map[string]any{"vmid": 100, "file": "/etc/passwd", "content": "x"},
			fail: `path "/etc/passwd" matches no PVE_GUEST_WRITE_ALLOW pattern`},
	})
	e.env.GuestExec = GuestExecPolicy{}
	runPlanCases(t, e, []planCase{
		{name: "run with exec off", tool: "pve_exec_qemu_agent_command", args: map[string]any{"vmid": 100, "command": []string{"uptime"}},
			fail: "guest command execution is disabled on this server"},
	})
}
