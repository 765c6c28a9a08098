package tools

import (
	"strings"
	"testing"

	"github.com/pve-mcp/pve-mcp/pve/pvesim"
)

type storageEntry struct {
	Storage, Type, Content, Nodes, Path, Server, Export, Digest string
	Shared, Disable                                             int
	Prune                                                       string `json:"prune-backups"`
}

type volumeEntry struct {
	VolID     string `json:"volid"`
	Content   string `json:"content"`
	Format    string `json:"format"`
	Size      int64  `json:"size"`
	CTime     int64  `json:"ctime"`
	VMID      int    `json:"vmid"`
	Notes     string `json:"notes"`
	Protected int    `json:"protected"`
}

func TestStorageReadTools(t *testing.T) {
	e := fullEnv(t)

	var all []storageEntry
	e.okJSON("pve_list_storage", nil, &all)
	if len(all) != 3 || all[0].Storage != "local" || all[2].Type != "nfs" || all[2].Server != "10.0.0.50" {
		t.Fatalf("pve_list_storage: %+v", all)
	}
	var nfs []storageEntry
	e.okJSON("pve_list_storage", map[string]any{"type": "nfs"}, &nfs)
	if r := e.lastRequest("GET", "/storage"); r.Params.Get("type") != "nfs" {
		t.Errorf("type filter not sent: %v", r.Params)
	}
	if len(nfs) != 1 || nfs[0].Storage != "nfs-backup" {
		t.Errorf("type filter: %+v", nfs)
	}

	var cfg storageEntry
	e.okJSON("pve_get_storage_config", map[string]any{"storage": "local-lvm"}, &cfg)
	e.lastRequest("GET", "/storage/local-lvm")
	if cfg.Type != "lvmthin" || cfg.Content != "images,rootdir" || cfg.Digest == "" {
		t.Errorf("config: %+v", cfg)
	}
	if msg := e.fails("pve_get_storage_config", map[string]any{"storage": "nope"}); !strings.Contains(msg, "storage 'nope' does not exist") {
		t.Errorf("unknown storage: %s", msg)
	}

	var onNode []struct {
		Storage        string
		Total, Used    int64
		Avail          int64
		Active, Shared int
		Enabled        int
	}
	e.okJSON("pve_list_node_storage", map[string]any{"node": "pve2", "content": "backup", "enabled": true}, &onNode)
	r := e.lastRequest("GET", "/nodes/pve2/storage")
	if r.Params.Get("content") != "backup" || r.Params.Get("enabled") != "1" {
		t.Errorf("node storage params: %v", r.Params)
	}
	if len(onNode) != 2 || onNode[0].Storage != "local" || onNode[1].Storage != "nfs-backup" {
		t.Fatalf("node storage with backup content: %+v", onNode)
	}
	if n := onNode[1]; n.Total != 8000<<30 || n.Used+n.Avail != n.Total || n.Active != 1 || n.Shared != 1 {
		t.Errorf("nfs-backup usage: %+v", n)
	}

	var st struct {
		Total, Used, Avail int64
		Type, Content      string
		Active             int
	}
	e.okJSON("pve_get_storage_status", map[string]any{"node": "pve1", "storage": "local-lvm"}, &st)
	e.lastRequest("GET", "/nodes/pve1/storage/local-lvm/status")
	if st.Type != "lvmthin" || st.Total != 1700<<30 || st.Used <= 0 || st.Avail != st.Total-st.Used || st.Active != 1 {
		t.Errorf("status: %+v", st)
	}
	if msg := e.fails("pve_get_storage_status", map[string]any{"node": "pve1", "storage": "nope"}); !strings.Contains(msg, "No such storage") {
		t.Errorf("unknown storage status: %s", msg)
	}
	if msg := e.fails("pve_get_storage_status", map[string]any{"node": "pve9", "storage": "local"}); !strings.Contains(msg, "pve9") {
		t.Errorf("unknown node: %s", msg)
	}
}

func TestListStorageContent(t *testing.T) {
	e := fullEnv(t)

	var vols []volumeEntry
	e.okJSON("pve_list_storage_content", map[string]any{"node": "pve1", "storage": "local-lvm"}, &vols)
	e.lastRequest("GET", "/nodes/pve1/storage/local-lvm/content")
	// Disks of the guests on pve1 (100, 101 VMs; 200, 203 containers), derived from their configs.
	got := map[string]volumeEntry{}
	for _, v := range vols {
		got[v.VolID] = v
	}
	if len(vols) != 4 || got["local-lvm:vm-100-disk-0"].Size != 32<<30 || got["local-lvm:vm-200-disk-0"].Content != "rootdir" {
		t.Fatalf("pve1 disks: %+v", vols)
	}
	if _, ok := got["local-lvm:vm-102-disk-0"]; ok {
		t.Error("a local storage lists a disk of a guest on another node")
	}

	var backups []volumeEntry
	e.okJSON("pve_list_storage_content", map[string]any{"node": "pve2", "storage": "nfs-backup", "content": "backup", "vmid": 101}, &backups)
	r := e.lastRequest("GET", "/nodes/pve2/storage/nfs-backup/content")
	if r.Params.Get("content") != "backup" || r.Params.Get("vmid") != "101" {
		t.Errorf("filters not sent: %v", r.Params)
	}
	if len(backups) != 7 {
		t.Fatalf("a week of nightly backups of 101 expected, got %d: %+v", len(backups), backups)
	}
	for _, b := range backups {
		if b.VMID != 101 || b.Content != "backup" || !strings.HasPrefix(b.VolID, "nfs-backup:backup/vzdump-qemu-101-") ||
			b.Format != "vma.zst" || b.CTime == 0 || b.Size == 0 || b.Notes != "db01" {
			t.Errorf("backup entry: %+v", b)
		}
	}

	var isos []volumeEntry
	e.okJSON("pve_list_storage_content", map[string]any{"node": "pve3", "storage": "local", "content": "iso"}, &isos)
	if len(isos) != 3 || isos[0].Format != "iso" || !strings.HasPrefix(isos[0].VolID, "local:iso/") {
		t.Errorf("isos: %+v", isos)
	}

	for _, tc := range []struct {
		name string
		args map[string]any
		want string
	}{
		{"unknown storage", map[string]any{"node": "pve1", "storage": "nope"}, "storage 'nope' does not exist"},
		{"bad content type", map[string]any{"node": "pve1", "storage": "local", "content": "movies"}, "content"},
		{"vmid out of range", map[string]any{"node": "pve1", "storage": "local", "vmid": 5}, "vmid"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if msg := e.fails("pve_list_storage_content", tc.args); !strings.Contains(msg, tc.want) {
				t.Errorf("got %q, want it to mention %q", msg, tc.want)
			}
		})
	}
}

// TestListStorageContentTruncated shows a long listing cut at an item
// boundary with a note telling the agent how to narrow it.
func TestListStorageContentTruncated(t *testing.T) {
	e := fullEnv(t)
	e.env.MaxResultBytes = 2048
	txt := e.ok("pve_list_storage_content", map[string]any{"node": "pve1", "storage": "nfs-backup"})
	data, note, _ := strings.Cut(txt, "\n")
	if !strings.HasPrefix(note, "TRUNCATED: showing the first ") || !strings.Contains(note, "of 64 items") {
		t.Fatalf("note: %q", note)
	}
	if len(data) > 2048 || !strings.HasSuffix(data, "}]") {
		t.Errorf("data is not a complete, cut list (%d bytes): ...%s", len(data), data[max(0, len(data)-40):])
	}
}

func TestCreateUpdateDeleteStorage(t *testing.T) {
	e := fullEnv(t)

	var created struct{ Storage, Type string }
	e.okJSON("pve_create_storage", map[string]any{
		"storage": "nas", "type": "nfs", "server": "10.0.0.60", "export": "/volume1/pve",
		"content": []string{"iso", "backup"}, "nodes": []string{"pve1", "pve2"},
		"prune_backups": "keep-last=3,keep-weekly=2", "extra": map[string]any{"options": "vers=4.2"},
	}, &created)
	r := e.lastRequest("POST", "/storage")
	for k, want := range map[string]string{"storage": "nas", "type": "nfs", "server": "10.0.0.60", "export": "/volume1/pve",
		"content": "iso,backup", "nodes": "pve1,pve2", "prune-backups": "keep-last=3,keep-weekly=2", "options": "vers=4.2"} {
		if got := r.Params.Get(k); got != want {
			t.Errorf("sent %s=%q, want %q", k, got, want)
		}
	}
	if created.Storage != "nas" || created.Type != "nfs" {
		t.Errorf("create result: %+v", created)
	}

	var cfg storageEntry
	e.okJSON("pve_get_storage_config", map[string]any{"storage": "nas"}, &cfg)
	if cfg.Content != "iso,backup" || cfg.Nodes != "pve1,pve2" || cfg.Path != "/mnt/pve/nas" || cfg.Prune != "keep-last=3,keep-weekly=2" {
		t.Errorf("created config: %+v", cfg)
	}
	var onPve3 []struct{ Storage string }
	e.okJSON("pve_list_node_storage", map[string]any{"node": "pve3"}, &onPve3)
	for _, s := range onPve3 {
		if s.Storage == "nas" {
			t.Error("storage restricted to pve1,pve2 is listed on pve3")
		}
	}

	for _, tc := range []struct {
		name string
		args map[string]any
		want string
	}{
		{"existing id", map[string]any{"storage": "local", "type": "dir", "path": "/srv"}, "storage ID 'local' already defined"},
		{"missing required option", map[string]any{"storage": "vg2", "type": "lvmthin", "vgname": "vg2"}, "missing value for required option 'thinpool'"},
		{"content the type cannot hold", map[string]any{"storage": "thin2", "type": "lvmthin", "vgname": "pve", "thinpool": "t2", "content": []string{"iso"}}, "does not support content type 'iso'"},
		{"unknown type", map[string]any{"storage": "x1", "type": "floppy"}, "type"},
		{"bad id", map[string]any{"storage": "9lives", "type": "dir", "path": "/srv"}, "storage"},
		{"duplicate property", map[string]any{"storage": "x2", "type": "dir", "path": "/srv", "extra": map[string]any{"path": "/other"}}, "given twice"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if msg := e.fails("pve_create_storage", tc.args); !strings.Contains(msg, tc.want) {
				t.Errorf("got %q, want it to mention %q", msg, tc.want)
			}
		})
	}

	e.ok("pve_update_storage", map[string]any{"storage": "nas", "content": []string{"backup"}, "disable": true,
		"delete": []string{"nodes"}, "digest": cfg.Digest})
	r = e.lastRequest("PUT", "/storage/nas")
	if r.Params.Get("content") != "backup" || r.Params.Get("disable") != "1" || r.Params.Get("delete") != "nodes" || r.Params.Get("digest") != cfg.Digest {
		t.Errorf("update params: %v", r.Params)
	}
	var after storageEntry
	e.okJSON("pve_get_storage_config", map[string]any{"storage": "nas"}, &after)
	if after.Content != "backup" || after.Disable != 1 || after.Nodes != "" {
		t.Errorf("after update: %+v", after)
	}
	if msg := e.fails("pve_list_storage_content", map[string]any{"node": "pve1", "storage": "nas"}); !strings.Contains(msg, "storage 'nas' is disabled") {
		t.Errorf("content of a disabled storage: %s", msg)
	}
	for _, tc := range []struct {
		name string
		args map[string]any
		want string
	}{
		{"stale digest", map[string]any{"storage": "nas", "disable": false, "digest": cfg.Digest}, "detected modified configuration"},
		{"fixed option", map[string]any{"storage": "nas", "delete": []string{"export"}}, "unable to delete required option 'export'"},
		{"set and delete", map[string]any{"storage": "nas", "prune_backups": "keep-last=1", "delete": []string{"prune-backups"}}, "cannot set and delete"},
		{"unknown storage", map[string]any{"storage": "nope", "disable": true}, "storage 'nope' does not exist"},
		{"option not updatable", map[string]any{"storage": "nas", "extra": map[string]any{"export": "/x"}}, "export"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if msg := e.fails("pve_update_storage", tc.args); !strings.Contains(msg, tc.want) {
				t.Errorf("got %q, want it to mention %q", msg, tc.want)
			}
		})
	}

	e.ok("pve_delete_storage", map[string]any{"storage": "nas"})
	e.lastRequest("DELETE", "/storage/nas")
	if msg := e.fails("pve_get_storage_config", map[string]any{"storage": "nas"}); !strings.Contains(msg, "does not exist") {
		t.Errorf("deleted storage still readable: %s", msg)
	}
	if msg := e.fails("pve_delete_storage", map[string]any{"storage": "nas"}); !strings.Contains(msg, "storage 'nas' does not exist") {
		t.Errorf("second delete: %s", msg)
	}
}

// Proxmox refuses to remove a storage only when another storage is based
// on it; guest disks do not stop it (the tool description warns of that).
func TestDeleteStorageUsedAsBase(t *testing.T) {
	e := fullEnv(t)
	e.ok("pve_create_storage", map[string]any{"storage": "san", "type": "iscsi", "extra": map[string]any{"portal": "10.0.0.70", "target": "iqn.2024-01.example:san"}})
	e.ok("pve_create_storage", map[string]any{"storage": "san-lvm", "type": "lvm", "vgname": "sanvg", "shared": true,
		"extra": map[string]any{"base": "san:0.0.0.scsi-36001405abcdef"}})
	if msg := e.fails("pve_delete_storage", map[string]any{"storage": "san"}); !strings.Contains(msg, "storage is used as base of another storage") {
		t.Errorf("delete base storage: %s", msg)
	}
	e.ok("pve_delete_storage", map[string]any{"storage": "san-lvm"})
	e.ok("pve_delete_storage", map[string]any{"storage": "san"})
}

func TestPullOCIImage(t *testing.T) {
	e := fullEnv(t)
	var task UPID
	txt := e.okJSON("pve_pull_oci_image", map[string]any{"node": "pve1", "storage": "local", "reference": "docker.io/library/nginx:1.27-alpine"}, &task)
	r := e.lastRequest("POST", "/nodes/pve1/storage/local/oci-registry-pull")
	if r.Params.Get("reference") != "docker.io/library/nginx:1.27-alpine" || r.Params.Has("filename") {
		t.Errorf("pull params: %v", r.Params)
	}
	if task.Node != "pve1" || !strings.HasPrefix(task.Raw, "UPID:pve1:") || !strings.Contains(txt, "pve_get_task_status") {
		t.Errorf("pull result: %s", txt)
	}
	if st := simTask(t, e, task.Raw); st.ExitStatus != "OK" {
		t.Errorf("task: %+v", st)
	}
	var tpls []volumeEntry
	e.okJSON("pve_list_storage_content", map[string]any{"node": "pve1", "storage": "local", "content": "vztmpl"}, &tpls)
	found := false
	for _, v := range tpls {
		found = found || (v.VolID == "local:vztmpl/nginx_1.27-alpine.tar" && v.Format == "tar" && v.Size > 0)
	}
	if !found {
		t.Errorf("pulled template not listed: %+v", tpls)
	}

	e.ok("pve_pull_oci_image", map[string]any{"node": "pve2", "storage": "local", "reference": "ghcr.io/acme/api:v2", "filename": "acme api"})
	if r := e.lastRequest("POST", "/nodes/pve2/storage/local/oci-registry-pull"); r.Params.Get("filename") != "acme api" {
		t.Errorf("filename not sent: %v", r.Params)
	}
	var pve2 []volumeEntry
	e.okJSON("pve_list_storage_content", map[string]any{"node": "pve2", "storage": "local", "content": "vztmpl"}, &pve2)
	if !strings.Contains(pve2[len(pve2)-1].VolID+pve2[0].VolID, "local:vztmpl/acme_api.tar") {
		t.Errorf("normalized file name: %+v", pve2)
	}

	for _, tc := range []struct {
		name string
		args map[string]any
		want string
	}{
		{"existing file", map[string]any{"node": "pve1", "storage": "local", "reference": "docker.io/library/nginx:1.27-alpine"}, "refusing to override existing file"},
		{"storage without templates", map[string]any{"node": "pve1", "storage": "local-lvm", "reference": "docker.io/library/nginx:latest"}, "not configured for content-type 'vztmpl'"},
		{"reference without tag", map[string]any{"node": "pve1", "storage": "local", "reference": "nginx"}, "reference"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if msg := e.fails("pve_pull_oci_image", tc.args); !strings.Contains(msg, tc.want) {
				t.Errorf("got %q, want it to mention %q", msg, tc.want)
			}
		})
	}
}

func TestStorageToolAnnotations(t *testing.T) {
	want := map[string]struct {
		tier        Tier
		readOnly    bool
		destructive bool
		openWorld   bool
	}{
		"pve_list_storage":         {ReadOnly, true, false, false},
		"pve_get_storage_config":   {ReadOnly, true, false, false},
		"pve_list_node_storage":    {ReadOnly, true, false, false},
		"pve_get_storage_status":   {ReadOnly, true, false, false},
		"pve_list_storage_content": {ReadOnly, true, false, false},
		"pve_pull_oci_image":       {ReadExecute, false, false, true},
		"pve_create_storage":       {Full, false, false, false},
		"pve_update_storage":       {Full, false, false, false},
		"pve_delete_storage":       {Full, false, true, false},
		// templates.go (issue 6)
		"pve_download_url_to_storage":  {Full, false, false, true},
		"pve_list_appliance_templates": {ReadOnly, true, false, false},
		// restore.go
		"pve_delete_storage_volume": {Full, false, true, false},
	}
	n := 0
	for _, tool := range All() {
		if tool.Category != Storage {
			continue
		}
		n++
		w, ok := want[tool.Name]
		if !ok {
			t.Errorf("unexpected storage tool %s", tool.Name)
			continue
		}
		def, err := tool.MCP()
		if err != nil {
			t.Fatal(err)
		}
		a := def.Annotations
		if tool.Tier != w.tier || a.ReadOnlyHint != w.readOnly || (a.DestructiveHint != nil && *a.DestructiveHint) != w.destructive || *a.OpenWorldHint != w.openWorld {
			t.Errorf("%s: tier %v annotations %+v, want %+v", tool.Name, tool.Tier, a, w)
		}
	}
	if n != len(want) {
		t.Errorf("%d storage tools, want %d", n, len(want))
	}
}

// simTask returns the simulator's record of a task named in a tool result.
// Results redact the token id, which is part of a token's UPIDs, so it is
// put back to find the task.
func simTask(t *testing.T, e *testEnv, upid string) pvesim.Task {
	t.Helper()
	st, ok := e.sim.TaskByUPID(strings.ReplaceAll(upid, "[REDACTED]", testTokenID))
	if !ok {
		t.Fatalf("no task %s in the simulator", upid)
	}
	return st
}
