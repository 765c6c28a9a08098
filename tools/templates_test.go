package tools

import (
	"strings"
	"testing"
)

func TestConvertToTemplate(t *testing.T) {
	e := fullEnv(t)
	e.task("pve_convert_qemu_to_template", map[string]any{"vmid": 102}, "pve2", "qmtemplate")
	wantParams(t, e.lastRequest("POST", "/nodes/pve2/qemu/102/template").Params, map[string]string{})
	g, _ := e.sim.Guest(102)
	if !g.Template || g.Config["template"] != "1" || g.Config["scsi0"] != "local-lvm:base-102-disk-0,size=120G,iothread=1" || g.Lock != "" {
		t.Errorf("VM 102 after convert: template %v lock %q %v", g.Template, g.Lock, g.Config)
	}
	if r := e.resources()[102]; r["template"] != float64(1) {
		t.Errorf("resources do not show 102 as a template: %v", r)
	}
	e.wantFail("pve_convert_qemu_to_template", map[string]any{"vmid": 100}, "you can't convert a VM to template if VM is running")
	e.wantFail("pve_convert_qemu_to_template", map[string]any{"vmid": 9000}, "you can't convert a template to a template")
	e.wantFail("pve_convert_qemu_to_template", map[string]any{"vmid": 9000, "disk": "net0"}, "disk")

	// The container endpoint answers null though it runs a vztemplate worker.
	if got := e.ok("pve_convert_lxc_to_template", map[string]any{"vmid": 203}); got != "OK" {
		t.Errorf("lxc convert: %s", got)
	}
	wantParams(t, e.lastRequest("POST", "/nodes/pve1/lxc/203/template").Params, map[string]string{})
	ct, _ := e.sim.Guest(203)
	if !ct.Template || ct.Config["rootfs"] != "local-lvm:base-203-disk-0,size=8G" {
		t.Errorf("CT 203 after convert: %v", ct.Config)
	}
	e.wantFail("pve_convert_lxc_to_template", map[string]any{"vmid": 203}, "you can't convert a template to a template")
	e.wantFail("pve_convert_lxc_to_template", map[string]any{"vmid": 200}, "you can't convert a CT to template if the CT is running")
}

func TestDownloadURLToStorage(t *testing.T) {
	e := fullEnv(t)
	const sum = "3b0e8e4f1c6a0c59c1c83f0d6dbb2b3f9c2d7e2e4b1a5c7d9e0f1a2b3c4d5e6f"
	var done TaskResult
	e.okJSON("pve_download_url_to_storage", map[string]any{
		"node": "pve1", "storage": "local", "url": "https://cdimage.debian.org/debian-cd/current/amd64/iso-cd/debian-13.1.0-amd64-netinst.iso",
		"filename": "debian-13.1.0-amd64-netinst.iso", "content": "iso", "checksum": sum, "checksum_algorithm": "sha256",
		"verify_certificates": true, "wait": 5,
	}, &done)
	wantParams(t, e.lastRequest("POST", "/nodes/pve1/storage/local/download-url").Params, map[string]string{
		"url": "https://cdimage.debian.org/debian-cd/current/amd64/iso-cd/debian-13.1.0-amd64-netinst.iso", "filename": "debian-13.1.0-amd64-netinst.iso",
		"content": "iso", "checksum": sum, "checksum-algorithm": "sha256", "verify-certificates": "1",
	})
	if !done.OK || done.Type != "download" || done.Node != "pve1" {
		t.Errorf("download task: %+v", done)
	}
	has := func(node, storage, content, volid string) bool {
		var vols []volumeEntry
		e.okJSON("pve_list_storage_content", map[string]any{"node": node, "storage": storage, "content": content}, &vols)
		for _, v := range vols {
			if v.VolID == volid {
				return v.Size > 0
			}
		}
		return false
	}
	if !has("pve1", "local", "iso", "local:iso/debian-13.1.0-amd64-netinst.iso") || has("pve2", "local", "iso", "local:iso/debian-13.1.0-amd64-netinst.iso") {
		t.Error("the ISO should be on pve1's local storage only")
	}
	// A container template onto a shared storage is seen from every node.
	e.ok("pve_create_storage", map[string]any{"storage": "nas", "type": "nfs", "server": "10.0.0.60", "export": "/tpl", "content": []string{"vztmpl"}})
	e.task("pve_download_url_to_storage", map[string]any{"node": "pve2", "storage": "nas", "url": "http://download.proxmox.com/images/system/alpine-3.21-default_20241217_amd64.tar.xz",
		"filename": "alpine-3.21-default_20241217_amd64.tar.xz", "content": "vztmpl"}, "pve2", "download")
	if !has("pve3", "nas", "vztmpl", "nas:vztmpl/alpine-3.21-default_20241217_amd64.tar.xz") {
		t.Error("template on the shared storage not listed from pve3")
	}

	// Failed downloads are failed tasks, and nothing is stored.
	for _, tc := range []struct {
		args map[string]any
		want string
	}{
		{map[string]any{"url": "https://example.com/a.iso", "filename": "a.iso", "checksum": strings.Repeat("0", 64), "checksum_algorithm": "sha256"}, "checksum mismatch: got '"},
		{map[string]any{"url": "https://mirror.invalid/b.iso", "filename": "b.iso"}, "download failed"},
	} {
		tc.args["node"], tc.args["storage"], tc.args["content"], tc.args["wait"] = "pve1", "local", "iso", 5
		if msg := e.fails("pve_download_url_to_storage", tc.args); !strings.Contains(msg, "task download on pve1 failed") || !strings.Contains(msg, tc.want) {
			t.Errorf("%v: %s", tc.args, msg)
		}
		if has("pve1", "local", "iso", "local:iso/"+tc.args["filename"].(string)) {
			t.Errorf("%s stored despite the failure", tc.args["filename"])
		}
	}
	// Refusals before any task.
	base := func(over map[string]any) map[string]any {
		args := map[string]any{"node": "pve1", "storage": "local", "url": "https://example.com/x.iso", "filename": "x.iso", "content": "iso"}
		for k, v := range over {
			args[k] = v
		}
		return args
	}
	for _, tc := range []struct {
		over map[string]any
		want string
	}{
		{map[string]any{"filename": "x.exe"}, "wrong file extension"},
		{map[string]any{"storage": "local-lvm"}, "storage 'local-lvm' is not configured for content-type 'iso'"},
		{map[string]any{"filename": "debian-13.1.0-amd64-netinst.iso"}, "refusing to override existing file 'debian-13.1.0-amd64-netinst.iso'"},
		{map[string]any{"checksum": sum}, "checksum"},
		{map[string]any{"url": "ftp://example.com/x.iso"}, "url"},
		{map[string]any{"content": "backup"}, "content"},
	} {
		e.wantFail("pve_download_url_to_storage", base(tc.over), tc.want)
	}
}

func TestListApplianceTemplates(t *testing.T) {
	e := fullEnv(t)
	var list []map[string]any
	e.okJSON("pve_list_appliance_templates", map[string]any{"node": "pve1"}, &list)
	wantParams(t, e.lastRequest("GET", "/nodes/pve1/aplinfo").Params, map[string]string{})
	if len(list) < 10 {
		t.Fatalf("%d appliances", len(list))
	}
	for _, a := range list {
		if len(a) != 6 || a["template"] == nil || a["headline"] == nil || a["location"] != nil {
			t.Errorf("trimmed entry: %v", a)
		}
	}
	e.okJSON("pve_list_appliance_templates", map[string]any{"node": "pve1", "search": "NextCloud", "verbose": true}, &list)
	if len(list) != 1 || list[0]["package"] != "debian-12-turnkey-nextcloud" || !strings.HasSuffix(list[0]["location"].(string), list[0]["template"].(string)) || list[0]["sha512sum"] == nil {
		t.Errorf("search nextcloud, verbose: %v", list)
	}
	// search and verbose are the tool's own: Proxmox never sees them.
	wantParams(t, e.lastRequest("GET", "/nodes/pve1/aplinfo").Params, map[string]string{})
	e.wantFail("pve_list_appliance_templates", map[string]any{"node": "pve9"}, "hostname lookup 'pve9' failed")
}
