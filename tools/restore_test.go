package tools

import (
	"strings"
	"testing"
)

// backupOf returns the newest backup volid of a guest on a storage, as an
// agent finds it: through pve_list_storage_content.
func (e *testEnv) backupOf(node, storage string, vmid int) string {
	e.t.Helper()
	var vols []struct {
		VolID string `json:"volid"`
		CTime int64  `json:"ctime"`
	}
	e.okJSON("pve_list_storage_content", map[string]any{"node": node, "storage": storage, "content": "backup", "vmid": vmid}, &vols)
	best := ""
	var at int64
	for _, v := range vols {
		if v.CTime >= at {
			best, at = v.VolID, v.CTime
		}
	}
	if best == "" {
		e.t.Fatalf("no backup of %d on %s/%s", vmid, node, storage)
	}
	return best
}

func TestRestoreQemuVM(t *testing.T) {
	e := fullEnv(t)
	archive := e.backupOf("pve2", "nfs-backup", 102)

	// As a new ID beside the original, on another storage, with new MACs.
	txt := e.ok("pve_restore_qemu_vm", map[string]any{"node": "pve2", "vmid": 150, "archive": archive,
		"storage": "local-lvm", "unique": true, "wait": 30})
	sentExactly(t, e.lastRequest("POST", "/nodes/pve2/qemu").Params, map[string]string{"vmid": "150", "archive": archive,
		"storage": "local-lvm", "unique": "1"})
	if !strings.Contains(txt, "qmrestore") || !strings.Contains(txt, `"ok":true`) {
		t.Fatalf("restore did not finish: %s", txt)
	}
	g, ok := e.sim.Guest(150)
	orig, _ := e.sim.Guest(102)
	if !ok || g.Node != "pve2" || g.Type != "qemu" || g.Config["name"] != "win-ts" || g.Config["memory"] != "8192" {
		t.Fatalf("restored VM 150: %+v", g)
	}
	if !strings.HasPrefix(g.Config["scsi0"], "local-lvm:vm-150-disk-0,") || !strings.Contains(g.Config["scsi0"], "size=120G") ||
		!strings.Contains(g.Config["scsi0"], "iothread=1") {
		t.Errorf("restored disk: %s", g.Config["scsi0"])
	}
	if mac := strings.Split(strings.Split(g.Config["net0"], ",")[0], "=")[1]; strings.Contains(orig.Config["net0"], mac) ||
		!strings.Contains(g.Config["net0"], "bridge=vmbr0") {
		t.Errorf("unique restore kept the MAC or lost the bridge: %s vs %s", g.Config["net0"], orig.Config["net0"])
	}

	// Over the original: refused without force, then replaces it (stopped).
	e.wantFail("pve_restore_qemu_vm", map[string]any{"node": "pve2", "vmid": 102, "archive": archive},
		"unable to restore VM 102 - VM 102 already exists on node 'pve2'")
	e.ok("pve_update_qemu_config", map[string]any{"vmid": 102, "memory": 4096})
	e.ok("pve_restore_qemu_vm", map[string]any{"node": "pve2", "vmid": 102, "archive": archive, "force": true, "wait": 30})
	if g, _ := e.sim.Guest(102); g.Config["memory"] != "8192" || g.Config["net0"] != orig.Config["net0"] {
		t.Errorf("forced restore did not bring the backup's config back: %v", g.Config)
	}

	for _, c := range []struct {
		args map[string]any
		want string
	}{
		{map[string]any{"node": "pve1", "vmid": 100, "archive": e.backupOf("pve1", "nfs-backup", 100), "force": true}, "unable to restore VM 100 - vm is running"},
		{map[string]any{"node": "pve1", "vmid": 102, "archive": archive, "force": true}, "VM 102 already exists on node 'pve2'"},
		{map[string]any{"node": "pve1", "vmid": 160, "archive": e.backupOf("pve1", "nfs-backup", 200)}, "is a CT backup"},
		{map[string]any{"node": "pve1", "vmid": 160, "archive": "nfs-backup:backup/vzdump-qemu-999-2026_01_01-00_00_00.vma.zst"}, "does not exist"},
		{map[string]any{"node": "pve1", "vmid": 160, "archive": archive, "storage": "nope"}, "storage 'nope' does not exist"},
	} {
		e.wantFail("pve_restore_qemu_vm", c.args, c.want)
	}
	// Not a backup volid: refused before Proxmox.
	e.sim.ResetRequests()
	e.fails("pve_restore_qemu_vm", map[string]any{"node": "pve1", "vmid": 160, "archive": "local:iso/debian-12.7.0-amd64-netinst.iso"})
	e.fails("pve_restore_qemu_vm", map[string]any{"node": "pve1", "vmid": 99, "archive": archive})
	if n := len(e.sim.Requests()); n != 0 {
		t.Errorf("invalid restores reached Proxmox: %d requests", n)
	}
}

func TestRestoreLxcContainer(t *testing.T) {
	e := fullEnv(t)
	archive := e.backupOf("pve1", "nfs-backup", 203)
	u := e.task("pve_restore_lxc_container", map[string]any{"node": "pve1", "vmid": 250, "archive": archive, "pool": "lab", "start": true},
		"pve1", "vzrestore")
	sentExactly(t, e.lastRequest("POST", "/nodes/pve1/lxc").Params, map[string]string{"vmid": "250", "ostemplate": archive,
		"restore": "1", "pool": "lab", "start": "1"})
	e.ok("pve_wait_task", map[string]any{"upid": u.Raw, "timeout": 30})
	g, ok := e.sim.Guest(250)
	if !ok || g.Type != "lxc" || g.Config["hostname"] != "sandbox" || g.Status != "running" ||
		!strings.HasPrefix(g.Config["rootfs"], "local-lvm:vm-250-disk-0,") {
		t.Fatalf("restored CT 250: %+v", g)
	}
	e.wantFail("pve_restore_lxc_container", map[string]any{"node": "pve1", "vmid": 250, "archive": archive, "force": true},
		"can't overwrite running container")
	e.wantFail("pve_restore_lxc_container", map[string]any{"node": "pve1", "vmid": 203, "archive": archive},
		"CT 203 already exists on node 'pve1'")
	e.wantFail("pve_restore_lxc_container", map[string]any{"node": "pve1", "vmid": 251, "archive": e.backupOf("pve1", "nfs-backup", 100)},
		"is a VM backup")
}

func TestDeleteStorageVolume(t *testing.T) {
	e := fullEnv(t)
	iso := "local:iso/virtio-win-0.1.262.iso"
	txt := e.ok("pve_delete_storage_volume", map[string]any{"node": "pve2", "volume": iso, "wait": 30})
	sentExactly(t, e.lastRequest("DELETE", "/nodes/pve2/storage/local/content/local:iso%2Fvirtio-win-0.1.262.iso").Params, nil)
	if !strings.Contains(txt, "imgdel") || !strings.Contains(txt, `"ok":true`) {
		t.Fatalf("delete did not finish: %s", txt)
	}
	var left []map[string]any
	e.okJSON("pve_list_storage_content", map[string]any{"node": "pve2", "storage": "local", "content": "iso"}, &left)
	for _, v := range left {
		if v["volid"] == iso {
			t.Error("deleted ISO still listed on pve2")
		}
	}
	e.okJSON("pve_list_storage_content", map[string]any{"node": "pve1", "storage": "local", "content": "iso"}, &left)
	if len(left) != 3 {
		t.Errorf("pve1's local ISOs changed too: %v", left)
	}

	// The protected backup: the task fails, the tool says why, it stays.
	protected := e.backupOf("pve1", "local", 101)
	if msg := e.fails("pve_delete_storage_volume", map[string]any{"node": "pve1", "volume": protected, "wait": 30}); !strings.Contains(msg, "cannot remove protected volume") {
		t.Errorf("protected backup: %s", msg)
	}
	if e.backupOf("pve1", "local", 101) != protected {
		t.Error("protected backup gone")
	}
	e.wantFail("pve_delete_storage_volume", map[string]any{"node": "pve1", "volume": "local:iso/none.iso"}, "does not exist")

	// Guest disks and malformed volids never reach Proxmox.
	e.sim.ResetRequests()
	for _, v := range []string{"local-lvm:vm-100-disk-0", "local-lvm:base-9000-disk-0", "iso/x.iso", "local:iso/", "local:images/100/vm-100-disk-0.qcow2"} {
		e.fails("pve_delete_storage_volume", map[string]any{"node": "pve1", "volume": v})
	}
	if n := len(e.sim.Requests()); n != 0 {
		t.Errorf("refused volumes reached Proxmox: %d requests", n)
	}
}
