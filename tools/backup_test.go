package tools

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

type jobEntry struct {
	ID           string         `json:"id"`
	Type         string         `json:"type"`
	Schedule     string         `json:"schedule"`
	VMID         string         `json:"vmid"`
	All          int            `json:"all"`
	Exclude      string         `json:"exclude"`
	Pool         string         `json:"pool"`
	Storage      string         `json:"storage"`
	Mode         string         `json:"mode"`
	Compress     string         `json:"compress"`
	Enabled      int            `json:"enabled"`
	NextRun      int64          `json:"next-run"`
	Prune        map[string]int `json:"prune-backups"`
	Notes        string         `json:"notes-template"`
	Notification string         `json:"notification-mode"`
	Comment      string         `json:"comment"`
	Node         string         `json:"node"`
	RepeatMissed int            `json:"repeat-missed"`
}

func TestBackupJobReadTools(t *testing.T) {
	e := fullEnv(t)
	var jobs []jobEntry
	e.okJSON("pve_list_backup_jobs", nil, &jobs)
	e.lastRequest("GET", "/cluster/backup")
	if len(jobs) != 2 {
		t.Fatalf("jobs: %+v", jobs)
	}
	nightly := jobs[0]
	if nightly.Type != "vzdump" || nightly.All != 1 || nightly.Storage != "nfs-backup" || nightly.Enabled != 1 || nightly.NextRun == 0 || nightly.Prune["keep-daily"] != 7 || nightly.Prune["keep-weekly"] != 4 {
		t.Errorf("nightly job: %+v", nightly)
	}
	if jobs[1].Enabled != 0 || jobs[1].NextRun != 0 {
		t.Errorf("a disabled job has no next run: %+v", jobs[1])
	}

	var job jobEntry
	e.okJSON("pve_get_backup_job", map[string]any{"id": jobs[1].ID}, &job)
	e.lastRequest("GET", "/cluster/backup/"+jobs[1].ID)
	if job.ID != jobs[1].ID || job.VMID != "101" || job.Mode != "stop" {
		t.Errorf("job: %+v", job)
	}
	if msg := e.fails("pve_get_backup_job", map[string]any{"id": "backup-nope"}); !strings.Contains(msg, "No such job 'backup-nope'") {
		t.Errorf("unknown job: %s", msg)
	}
}

func TestRunBackup(t *testing.T) {
	e := fullEnv(t)
	var before []volumeEntry
	e.okJSON("pve_list_storage_content", map[string]any{"node": "pve2", "storage": "nfs-backup", "vmid": 103}, &before)

	// No node: it is found from the vmid (103 is on pve2).
	var task UPID
	txt := e.okJSON("pve_run_backup", map[string]any{"vmid": []int{103}, "storage": "nfs-backup", "mode": "snapshot",
		"compress": "zstd", "extra": map[string]any{"notes-template": "{{guestname}} on {{node}}"}, "prune_backups": "keep-last=3", "protected": false}, &task)
	r := e.lastRequest("POST", "/nodes/pve2/vzdump")
	for k, want := range map[string]string{"vmid": "103", "storage": "nfs-backup", "mode": "snapshot", "compress": "zstd",
		"notes-template": "{{guestname}} on {{node}}", "prune-backups": "keep-last=3", "protected": "0"} {
		if got := r.Params.Get(k); got != want {
			t.Errorf("sent %s=%q, want %q", k, got, want)
		}
	}
	if r.Params.Has("node") {
		t.Errorf("node sent as a parameter too: %v", r.Params)
	}
	if task.Type != "vzdump" || task.ID != "103" || task.Node != "pve2" || !strings.Contains(txt, "pve_get_task_status") {
		t.Errorf("result: %s", txt)
	}
	if st := simTask(t, e, task.Raw); st.ExitStatus != "OK" || !containsLine(st.Log, "INFO: Finished Backup of VM 103") {
		t.Errorf("task: %s %v", st.ExitStatus, st.Log)
	}
	if g, _ := e.sim.Guest(103); g.Lock != "" {
		t.Errorf("guest still locked: %q", g.Lock)
	}

	// The new archive is listed, and retention keep-last=3 pruned the week down to 3.
	var after []volumeEntry
	e.okJSON("pve_list_storage_content", map[string]any{"node": "pve2", "storage": "nfs-backup", "vmid": 103}, &after)
	if len(before) != 7 || len(after) != 3 {
		t.Fatalf("backups of 103: %d before, %d after, want 7 and 3", len(before), len(after))
	}
	newest := after[len(after)-1]
	if !regexp.MustCompile(`^nfs-backup:backup/vzdump-qemu-103-\d{4}_\d{2}_\d{2}-\d{2}_\d{2}_\d{2}\.vma\.zst$`).MatchString(newest.VolID) ||
		newest.Notes != "build01 on pve2" || newest.Size == 0 {
		t.Errorf("new backup: %+v", newest)
	}

	// With wait, a successful backup returns the finished task.
	var done struct {
		OK         bool   `json:"ok"`
		Status     string `json:"status"`
		ExitStatus string `json:"exitstatus"`
	}
	e.okJSON("pve_run_backup", map[string]any{"vmid": []int{104}, "storage": "nfs-backup", "wait": 10}, &done)
	if !done.OK || done.Status != "stopped" || done.ExitStatus != "OK" {
		t.Errorf("waited backup: %+v", done)
	}

	// A container to local storage on its node, uncompressed, kept protected.
	e.ok("pve_run_backup", map[string]any{"node": "pve3", "vmid": []int{202}, "protected": true})
	var ct []volumeEntry
	e.okJSON("pve_list_storage_content", map[string]any{"node": "pve3", "storage": "local", "content": "backup"}, &ct)
	if len(ct) != 1 || !strings.HasPrefix(ct[0].VolID, "local:backup/vzdump-lxc-202-") || ct[0].Format != "tar" || ct[0].Protected != 1 {
		t.Errorf("container backup on local: %+v", ct)
	}

	// All guests of a node.
	var all UPID
	e.okJSON("pve_run_backup", map[string]any{"node": "pve1", "all": true, "exclude": []int{101}, "storage": "nfs-backup", "compress": "gzip"}, &all)
	r = e.lastRequest("POST", "/nodes/pve1/vzdump")
	if r.Params.Get("all") != "1" || r.Params.Get("exclude") != "101" || all.ID != "" {
		t.Errorf("all: %v %+v", r.Params, all)
	}
	if st := simTask(t, e, all.Raw); !containsLine(st.Log, "Finished Backup of VM 100") || !containsLine(st.Log, "Finished Backup of VM 200") || containsLine(st.Log, "VM 101") {
		t.Errorf("all on pve1: %v", st.Log)
	}
}

func TestRunBackupFailures(t *testing.T) {
	e := fullEnv(t)
	// A vmid the node does not know: Proxmox starts the job and it fails.
	var task UPID
	e.okJSON("pve_run_backup", map[string]any{"node": "pve1", "vmid": []int{100, 555}, "storage": "nfs-backup"}, &task)
	st := simTask(t, e, task.Raw)
	if st.ExitStatus != "job errors" || !containsLine(st.Log, "ERROR: Backup of VM 555 failed") || !containsLine(st.Log, "Finished Backup of VM 100") {
		t.Errorf("unknown vmid task: %s %v", st.ExitStatus, st.Log)
	}

	// With wait the agent gets the outcome: the failed guest in the log tail.
	msg := e.fails("pve_run_backup", map[string]any{"vmid": []int{555}, "node": "pve1", "storage": "nfs-backup", "wait": 10})
	if !strings.Contains(msg, "job errors") || !strings.Contains(msg, "Backup of VM 555 failed") {
		t.Errorf("waited failing backup: %s", msg)
	}

	// Node given, but the guest lives elsewhere: Proxmox answers OK and does nothing.
	txt := e.ok("pve_run_backup", map[string]any{"node": "pve1", "vmid": []int{102}})
	if !strings.HasPrefix(txt, `"OK"`) || !strings.Contains(txt, "Nothing was backed up") {
		t.Errorf("guest on another node: %s", txt)
	}

	for _, tc := range []struct {
		name string
		args map[string]any
		want string
	}{
		{"unknown vmid without node", map[string]any{"vmid": []int{555}}, "no VM or container with vmid 555"},
		{"guests on several nodes", map[string]any{"vmid": []int{100, 102}}, "several nodes (pve1: 100; pve2: 102)"},
		{"all without node", map[string]any{"all": true}, "node is required"},
		{"nothing selected", map[string]any{"node": "pve1"}, "vmid"},
		{"all and vmid", map[string]any{"node": "pve1", "all": true, "vmid": []int{100}}, "option conflicts with option 'vmid'"},
		{"storage without backups", map[string]any{"vmid": []int{100}, "storage": "local-lvm"}, "can't use storage 'local-lvm' for backups"},
		{"unknown storage", map[string]any{"vmid": []int{100}, "storage": "nope"}, "storage 'nope' does not exist"},
		{"bad retention", map[string]any{"vmid": []int{100}, "prune_backups": "keep-forever=1"}, "prune-backups"},
		{"bad mode", map[string]any{"vmid": []int{100}, "mode": "hot"}, "mode"},
		{"unknown pool", map[string]any{"node": "pve1", "pool": "nope"}, "pool 'nope' does not exist"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if msg := e.fails("pve_run_backup", tc.args); !strings.Contains(msg, tc.want) {
				t.Errorf("got %q, want it to mention %q", msg, tc.want)
			}
		})
	}
}

func TestCreateAndDeleteBackupJob(t *testing.T) {
	e := fullEnv(t)
	var job jobEntry
	e.okJSON("pve_create_backup_job", map[string]any{
		"schedule": "mon..fri 22:00", "vmid": []int{100, 101}, "storage": "nfs-backup", "mode": "snapshot", "compress": "zstd",
		"prune_backups": "keep-last=3,keep-weekly=2", "comment": "Weeknights", "enabled": true,
		"extra": map[string]any{"notification-mode": "notification-system", "repeat-missed": true},
	}, &job)
	r := e.lastRequest("POST", "/cluster/backup")
	for k, want := range map[string]string{"schedule": "mon..fri 22:00", "vmid": "100,101", "storage": "nfs-backup", "mode": "snapshot",
		"compress": "zstd", "prune-backups": "keep-last=3,keep-weekly=2", "notification-mode": "notification-system",
		"comment": "Weeknights", "enabled": "1", "repeat-missed": "1"} {
		if got := r.Params.Get(k); got != want {
			t.Errorf("sent %s=%q, want %q", k, got, want)
		}
	}
	for _, stale := range []string{"maxfiles", "mailto", "mailnotification"} {
		if r.Params.Has(stale) {
			t.Errorf("deprecated %s sent", stale)
		}
	}
	if !regexp.MustCompile(`^backup-[0-9a-f]{8}-[0-9a-f]{4}$`).MatchString(job.ID) || r.Params.Get("id") != job.ID {
		t.Errorf("generated id %q (sent %q)", job.ID, r.Params.Get("id"))
	}
	e.lastRequest("GET", "/cluster/backup/"+job.ID)
	if job.Schedule != "mon..fri 22:00" || job.VMID != "100,101" || job.NextRun == 0 || job.Enabled != 1 || job.RepeatMissed != 1 {
		t.Errorf("created job: %+v", job)
	}
	var jobs []jobEntry
	e.okJSON("pve_list_backup_jobs", nil, &jobs)
	if len(jobs) != 3 || jobs[2].ID != job.ID {
		t.Errorf("new job not listed: %+v", jobs)
	}

	var named jobEntry
	e.okJSON("pve_create_backup_job", map[string]any{"id": "lab-weekly", "schedule": "sat 02:30", "pool": "lab", "storage": "local", "node": "pve1", "enabled": false}, &named)
	if named.ID != "lab-weekly" || named.Pool != "lab" || named.Node != "pve1" || named.Enabled != 0 {
		t.Errorf("named job: %+v", named)
	}

	for _, tc := range []struct {
		name string
		args map[string]any
		want string
	}{
		{"existing id", map[string]any{"id": "lab-weekly", "schedule": "daily", "all": true}, "Job 'lab-weekly' already exists"},
		{"no guests", map[string]any{"schedule": "daily", "storage": "local"}, "vmid"},
		{"pool and vmid", map[string]any{"schedule": "daily", "pool": "lab", "vmid": []int{100}}, "option conflicts with option 'vmid'"},
		{"no schedule", map[string]any{"all": true}, "schedule"},
		{"bad schedule", map[string]any{"schedule": "every full moon", "all": true}, "unable to parse calendar event"},
		{"bad id", map[string]any{"id": "1st", "schedule": "daily", "all": true}, "id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if msg := e.fails("pve_create_backup_job", tc.args); !strings.Contains(msg, tc.want) {
				t.Errorf("got %q, want it to mention %q", msg, tc.want)
			}
		})
	}

	e.ok("pve_delete_backup_job", map[string]any{"id": job.ID})
	e.lastRequest("DELETE", "/cluster/backup/"+job.ID)
	if msg := e.fails("pve_get_backup_job", map[string]any{"id": job.ID}); !strings.Contains(msg, "No such job") {
		t.Errorf("deleted job still readable: %s", msg)
	}
	if msg := e.fails("pve_delete_backup_job", map[string]any{"id": job.ID}); !strings.Contains(msg, "No such job") {
		t.Errorf("second delete: %s", msg)
	}
	// Deleting a job keeps its backups.
	var b []volumeEntry
	e.okJSON("pve_list_storage_content", map[string]any{"node": "pve1", "storage": "nfs-backup", "vmid": 100}, &b)
	if len(b) != 7 {
		t.Errorf("backups of 100 after deleting a job: %d", len(b))
	}
}

func TestBackupToolTiers(t *testing.T) {
	want := map[string]Tier{"pve_list_backup_jobs": ReadOnly, "pve_get_backup_job": ReadOnly, "pve_run_backup": ReadExecute,
		"pve_create_backup_job": Full, "pve_delete_backup_job": Full,
		"pve_restore_qemu_vm": Full, "pve_restore_lxc_container": Full} // restore.go
	n := 0
	for _, tool := range All() {
		if tool.Category != Backup {
			continue
		}
		n++
		if tier, ok := want[tool.Name]; !ok || tool.Tier != tier {
			t.Errorf("%s: tier %v, want %v", tool.Name, tool.Tier, want[tool.Name])
		}
	}
	if n != len(want) {
		t.Errorf("%d backup tools, want %d", n, len(want))
	}
	// read-execute sees the run tool but not the job writers.
	e := newTestEnv(t, Selection{Tier: ReadExecute, Categories: []Category{Backup}})
	e.ok("pve_run_backup", map[string]any{"vmid": []int{100}})
	res, err := e.session.CallTool(context.Background(), &mcp.CallToolParams{Name: "pve_delete_backup_job", Arguments: map[string]any{"id": "backup-5f1e6c2e-3d4a"}})
	if err == nil && !res.IsError {
		t.Error("pve_delete_backup_job is callable at tier read-execute")
	}
}

func containsLine(lines []string, sub string) bool {
	for _, l := range lines {
		if strings.Contains(l, sub) {
			return true
		}
	}
	return false
}
