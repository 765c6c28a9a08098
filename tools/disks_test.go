package tools

import (
	"strings"
	"testing"
)

// addImageStorage creates a second storage for guest disks through the tool.
func (e *testEnv) addImageStorage() {
	e.t.Helper()
	e.ok("pve_create_storage", map[string]any{"storage": "fast", "type": "dir", "path": "/mnt/fast", "content": []string{"images", "rootdir"}})
}

func TestResizeQemuDisk(t *testing.T) {
	e := fullEnv(t)
	e.task("pve_resize_qemu_disk", map[string]any{"vmid": 100, "disk": "scsi0", "size": "+8G"}, "pve1", "resize")
	wantParams(t, e.lastRequest("PUT", "/nodes/pve1/qemu/100/resize").Params, map[string]string{"disk": "scsi0", "size": "+8G"})
	if g, _ := e.sim.Guest(100); g.Config["scsi0"] != "local-lvm:vm-100-disk-0,size=40G,iothread=1" {
		t.Errorf("scsi0 after +8G: %q", g.Config["scsi0"])
	}
	// An absolute size, waited for.
	var done TaskResult
	e.okJSON("pve_resize_qemu_disk", map[string]any{"vmid": 100, "disk": "scsi0", "size": "64.5G", "wait": 5}, &done)
	if !done.OK || done.Type != "resize" {
		t.Errorf("waited resize: %+v", done)
	}
	if g, _ := e.sim.Guest(100); g.Config["scsi0"] != "local-lvm:vm-100-disk-0,size=66048M,iothread=1" {
		t.Errorf("scsi0 after 64.5G: %q", g.Config["scsi0"])
	}

	// Since PVE 8 the checks run in the task: refusals are failed tasks.
	for _, tc := range []struct {
		args map[string]any
		want string
	}{
		{map[string]any{"vmid": 100, "disk": "scsi0", "size": "10G", "wait": 5}, "shrinking disks is not supported"},
		{map[string]any{"vmid": 100, "disk": "ide2", "size": "+1G", "wait": 5}, "you can't resize a cdrom"},
		{map[string]any{"vmid": 100, "disk": "scsi7", "size": "+1G", "wait": 5}, "disk 'scsi7' does not exist"},
	} {
		msg := e.fails("pve_resize_qemu_disk", tc.args)
		if !strings.Contains(msg, "task resize on pve1 failed") || !strings.Contains(msg, tc.want) {
			t.Errorf("%v: %s", tc.args, msg)
		}
	}
	if g, _ := e.sim.Guest(100); !strings.Contains(g.Config["scsi0"], "size=66048M") {
		t.Errorf("a refused resize changed the disk: %q", g.Config["scsi0"])
	}
	// The schema refuses malformed input before Proxmox sees it.
	e.wantFail("pve_resize_qemu_disk", map[string]any{"vmid": 100, "disk": "scsi0", "size": "-5G"}, "size")
	e.wantFail("pve_resize_qemu_disk", map[string]any{"vmid": 100, "disk": "net0", "size": "+1G"}, "disk")
}

func TestResizeLxcDisk(t *testing.T) {
	e := fullEnv(t)
	e.task("pve_resize_lxc_disk", map[string]any{"vmid": 200, "disk": "rootfs", "size": "+2G"}, "pve1", "resize")
	wantParams(t, e.lastRequest("PUT", "/nodes/pve1/lxc/200/resize").Params, map[string]string{"disk": "rootfs", "size": "+2G"})
	if g, _ := e.sim.Guest(200); g.Config["rootfs"] != "local-lvm:vm-200-disk-0,size=6G" {
		t.Errorf("rootfs: %q", g.Config["rootfs"])
	}
	// pve-container checks before forking: plain errors, no task.
	e.wantFail("pve_resize_lxc_disk", map[string]any{"vmid": 200, "disk": "rootfs", "size": "4G"}, "unable to shrink disk size")
	e.wantFail("pve_resize_lxc_disk", map[string]any{"vmid": 200, "disk": "rootfs", "size": "6G"}, "disk is already at specified size")
	e.wantFail("pve_resize_lxc_disk", map[string]any{"vmid": 200, "disk": "mp0", "size": "+1G"}, "disk 'mp0' does not exist")
	e.wantFail("pve_resize_lxc_disk", map[string]any{"vmid": 200, "disk": "scsi0", "size": "+1G"}, "disk")
}

func TestMoveQemuDisk(t *testing.T) {
	e := fullEnv(t)
	e.addImageStorage()

	// Copy to another storage; the source stays as unused0.
	e.task("pve_move_qemu_disk", map[string]any{"vmid": 102, "disk": "scsi0", "storage": "fast", "bwlimit": 51200}, "pve2", "qmmove")
	wantParams(t, e.lastRequest("POST", "/nodes/pve2/qemu/102/move_disk").Params, map[string]string{"disk": "scsi0", "storage": "fast", "bwlimit": "51200"})
	g, _ := e.sim.Guest(102)
	if g.Config["scsi0"] != "fast:vm-102-disk-0,size=120G,iothread=1" || g.Config["unused0"] != "local-lvm:vm-102-disk-0" || g.Lock != "" {
		t.Errorf("after move: scsi0 %q unused0 %q lock %q", g.Config["scsi0"], g.Config["unused0"], g.Lock)
	}
	// Live, converting, deleting the source.
	var done TaskResult
	e.okJSON("pve_move_qemu_disk", map[string]any{"vmid": 100, "disk": "scsi0", "storage": "fast", "format": "qcow2", "delete": true, "wait": 5}, &done)
	wantParams(t, e.lastRequest("POST", "/nodes/pve1/qemu/100/move_disk").Params, map[string]string{"disk": "scsi0", "storage": "fast", "format": "qcow2", "delete": "1"})
	g, _ = e.sim.Guest(100)
	if !done.OK || g.Config["scsi0"] != "fast:vm-100-disk-0.qcow2,size=32G,iothread=1" || g.Config["unused0"] != "" {
		t.Errorf("after move with delete: %+v %v", done, g.Config)
	}

	// Reassign: detach a disk of running VM 103, then give it to VM 102.
	e.ok("pve_unlink_qemu_disk", map[string]any{"vmid": 103, "idlist": []string{"scsi0"}})
	e.task("pve_move_qemu_disk", map[string]any{"vmid": 103, "disk": "unused0", "target_vmid": 102, "target_disk": "scsi1"}, "pve2", "qmmove")
	wantParams(t, e.lastRequest("POST", "/nodes/pve2/qemu/103/move_disk").Params, map[string]string{"disk": "unused0", "target-vmid": "102", "target-disk": "scsi1"})
	src, _ := e.sim.Guest(103)
	dst, _ := e.sim.Guest(102)
	if src.Config["unused0"] != "" || dst.Config["scsi1"] != "local-lvm:vm-102-disk-1" {
		t.Errorf("after reassign: 103 %v / 102 scsi1 %q", src.Config, dst.Config["scsi1"])
	}

	for _, tc := range []struct {
		args map[string]any
		want string
	}{
		{map[string]any{"vmid": 101, "disk": "scsi0", "storage": "fast", "delete": true}, "you can't move a disk with snapshots and delete the source"},
		{map[string]any{"vmid": 101, "disk": "scsi0", "storage": "local-lvm"}, "you can't move to the same storage with same format"},
		{map[string]any{"vmid": 101, "disk": "ide2", "storage": "fast"}, "you can't move a cdrom"},
		{map[string]any{"vmid": 101, "disk": "scsi0", "storage": "local"}, "storage 'local' does not support content-type 'images'"},
		{map[string]any{"vmid": 101, "disk": "scsi0", "storage": "nope"}, "storage 'nope' does not exist"},
		{map[string]any{"vmid": 101, "disk": "scsi0"}, "Provide either a 'storage'"},
		{map[string]any{"vmid": 101, "disk": "scsi0", "target_vmid": 100}, "Target disk key 'scsi0' is already in use for VM '100'"},
		{map[string]any{"vmid": 101, "disk": "scsi0", "target_vmid": 100, "target_disk": "scsi5"}, "Can't move disk used by a snapshot to another VM"},
		{map[string]any{"vmid": 100, "disk": "scsi0", "target_vmid": 101, "target_disk": "scsi5"}, "Cannot move disk to another VM while the source VM is running"},
		{map[string]any{"vmid": 102, "disk": "scsi0", "target_vmid": 103, "target_disk": "net0"}, "/properties/target_disk: pattern"}, // refused before Proxmox
		{map[string]any{"vmid": 102, "disk": "scsi0", "target_vmid": 104}, "Configuration file 'nodes/pve2/qemu-server/104.conf' does not exist"},
	} {
		e.wantFail("pve_move_qemu_disk", tc.args, tc.want)
	}
}

func TestMoveLxcVolume(t *testing.T) {
	e := fullEnv(t)
	e.addImageStorage()
	e.task("pve_move_lxc_volume", map[string]any{"vmid": 203, "volume": "rootfs", "storage": "fast", "delete": true}, "pve1", "move_volume")
	wantParams(t, e.lastRequest("POST", "/nodes/pve1/lxc/203/move_volume").Params, map[string]string{"volume": "rootfs", "storage": "fast", "delete": "1"})
	if g, _ := e.sim.Guest(203); g.Config["rootfs"] != "fast:vm-203-disk-0,size=8G" || g.Config["unused0"] != "" {
		t.Errorf("after move: %v", g.Config)
	}
	e.wantFail("pve_move_lxc_volume", map[string]any{"vmid": 200, "volume": "rootfs", "storage": "fast"}, "cannot move volumes of a running container")
	e.wantFail("pve_move_lxc_volume", map[string]any{"vmid": 203, "volume": "mp3", "storage": "local-lvm"}, "disk 'mp3' does not exist")
	e.wantFail("pve_move_lxc_volume", map[string]any{"vmid": 203, "volume": "scsi0", "storage": "fast"}, "volume")
}

func TestUnlinkQemuDisk(t *testing.T) {
	e := fullEnv(t)
	e.ok("pve_update_qemu_config", map[string]any{"vmid": 102, "extra": map[string]any{"scsi1": "local-lvm:10", "scsi2": "local-lvm:20"}})

	// Without force a disk is kept as unusedN.
	if got := e.ok("pve_unlink_qemu_disk", map[string]any{"vmid": 102, "idlist": []string{"scsi1"}}); got != "OK" {
		t.Errorf("unlink: %s", got)
	}
	wantParams(t, e.lastRequest("PUT", "/nodes/pve2/qemu/102/unlink").Params, map[string]string{"idlist": "scsi1"})
	g, _ := e.sim.Guest(102)
	if g.Config["scsi1"] != "" || g.Config["unused0"] != "local-lvm:vm-102-disk-1" {
		t.Fatalf("after unlink: %v", g.Config)
	}
	// Force destroys; an unusedN always goes with its volume.
	e.ok("pve_unlink_qemu_disk", map[string]any{"vmid": 102, "idlist": []string{"scsi2", "unused0"}, "force": true})
	wantParams(t, e.lastRequest("PUT", "/nodes/pve2/qemu/102/unlink").Params, map[string]string{"idlist": "scsi2,unused0", "force": "1"})
	g, _ = e.sim.Guest(102)
	for _, k := range []string{"scsi2", "unused0", "unused1"} {
		if v, ok := g.Config[k]; ok {
			t.Errorf("%s still in the config: %q", k, v)
		}
	}
	var vols []volumeEntry
	e.okJSON("pve_list_storage_content", map[string]any{"node": "pve2", "storage": "local-lvm"}, &vols)
	for _, v := range vols {
		if v.VolID == "local-lvm:vm-102-disk-1" || v.VolID == "local-lvm:vm-102-disk-2" {
			t.Errorf("destroyed volume still listed: %s", v.VolID)
		}
	}

	e.wantFail("pve_unlink_qemu_disk", map[string]any{"vmid": 102, "idlist": []string{"net0"}}, "idlist")
	e.wantFail("pve_unlink_qemu_disk", map[string]any{"vmid": 102}, "idlist")
	e.wantFail("pve_unlink_qemu_disk", map[string]any{"node": "pve1", "vmid": 102, "idlist": []string{"scsi0"}}, "102.conf' does not exist")
}

func TestDiskToolAnnotations(t *testing.T) {
	want := map[string]struct {
		cat         Category
		destructive bool
		task        bool
	}{
		"pve_resize_qemu_disk": {QEMU, false, true}, "pve_resize_lxc_disk": {LXC, false, true},
		"pve_move_qemu_disk": {QEMU, false, true}, "pve_move_lxc_volume": {LXC, false, true},
		"pve_unlink_qemu_disk": {QEMU, true, false},
	}
	n := 0
	for _, tool := range All() {
		w, ok := want[tool.Name]
		if !ok {
			continue
		}
		n++
		def, err := tool.MCP()
		if err != nil {
			t.Fatal(err)
		}
		if tool.Category != w.cat || tool.Tier != Full || *def.Annotations.DestructiveHint != w.destructive || tool.Task != w.task {
			t.Errorf("%s: category %s tier %s destructive %v task %v", tool.Name, tool.Category, tool.Tier, *def.Annotations.DestructiveHint, tool.Task)
		}
	}
	if n != len(want) || len(diskTools()) != len(want) {
		t.Errorf("%d of %d disk tools registered, diskTools declares %d", n, len(want), len(diskTools()))
	}
}
