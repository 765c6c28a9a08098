package pvesim

import (
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"
)

// Retention marks backups the way Proxmox does: newest first, one per
// period, periods already covered by a shorter rule are not counted again,
// and protected backups always stay.
func TestPruneBackupsPolicy(t *testing.T) {
	s := newStorageSim(t, 0)
	st := s.storageByID("nfs-backup")
	g := s.guests[100]
	s.storage.volumes = nil
	for d := 0; d < 20; d++ {
		v := backupVolume("nfs-backup", "", g, time.Date(2025, 6, 2-d, 1, 0, 0, 0, time.UTC), "zst", "")
		v.Protected = d == 13 // 20 May
		s.addVolume(v)
	}
	other := backupVolume("nfs-backup", "", s.guests[101], time.Date(2025, 5, 1, 1, 0, 0, 0, time.UTC), "zst", "")
	s.addVolume(other)

	removed := s.pruneBackups(st, "", g, "keep-daily=3,keep-weekly=2")
	var kept []string
	for _, v := range s.storage.volumes {
		if v.VMID == 100 {
			kept = append(kept, time.Unix(v.CTime, 0).UTC().Format("01-02"))
		}
	}
	sort.Strings(kept)
	// Daily: 2 Jun, 1 Jun, 31 May (weeks 23 and 22); weekly adds the
	// newest of weeks 21 (25 May) and 20 (18 May); 20 May is protected.
	if want := "05-18 05-20 05-25 05-31 06-01 06-02"; strings.Join(kept, " ") != want {
		t.Errorf("kept %v, want %s", kept, want)
	}
	if len(removed) != 14 {
		t.Errorf("removed %d, want 14", len(removed))
	}
	if s.volumeOn(other.VolID, "pve1") == nil {
		t.Error("another guest's backup was pruned")
	}
	if s.pruneBackups(st, "", g, "keep-all=1") != nil {
		t.Error("keep-all pruned")
	}
}

func TestParsePrune(t *testing.T) {
	for in, ok := range map[string]bool{"keep-last=3,keep-weekly=2": true, "keep-all=1": true, "keep-all=1,keep-last=1": false,
		"keep-forever=1": false, "keep-last=x": false, "keep-last": false} {
		if _, err := parsePrune(in); (err == nil) != ok {
			t.Errorf("parsePrune(%q) err=%v, want ok=%v", in, err, ok)
		}
	}
}

func TestNextRun(t *testing.T) {
	at := func(d, h, m int) time.Time { return time.Date(2025, 6, d, h, m, 0, 0, time.UTC) }
	for sched, want := range map[string]time.Time{
		"01:00": at(3, 1, 0), "22:00": at(2, 22, 0), "sat 02:30": at(7, 2, 30), "mon..fri 22:00": at(2, 22, 0),
		"sat,sun 09:00": at(7, 9, 0), "fri..mon 08:00": at(6, 8, 0), "sun 03:00": at(8, 3, 0), "daily": at(3, 0, 0), "hourly": at(2, 11, 0),
	} {
		got, ok := nextRun(sched, stNow)
		if !ok || !got.Equal(want) {
			t.Errorf("nextRun(%q) = %v %v, want %v", sched, got, ok, want)
		}
	}
	if _, ok := nextRun("*/15", stNow); ok {
		t.Error("a schedule it cannot compute got a next run")
	}
}

// A running backup locks its guest: a second backup of it fails in its
// task, and the lock is gone when the first finishes.
func TestVzdumpLocksGuestWhileRunning(t *testing.T) {
	s := newStorageSim(t, 80*time.Millisecond)
	ts := httptest.NewServer(s)
	defer ts.Close()
	form := url.Values{"vmid": {"100"}, "storage": {"nfs-backup"}, "compress": {"zstd"}}
	st, first := stPost(t, ts.URL, "/nodes/pve1/vzdump", form)
	if st != 200 || !strings.HasPrefix(first, "UPID:pve1:") {
		t.Fatalf("first: %d %s", st, first)
	}
	if g, _ := s.Guest(100); g.Lock != "backup" {
		t.Errorf("lock while running: %q", g.Lock)
	}
	_, second := stPost(t, ts.URL, "/nodes/pve1/vzdump", form)
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		a, _ := s.TaskByUPID(first)
		b, _ := s.TaskByUPID(second)
		if !a.Running && !b.Running {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	a, _ := s.TaskByUPID(first)
	b, _ := s.TaskByUPID(second)
	if a.ExitStatus != "OK" || b.ExitStatus != "job errors" || !strings.Contains(strings.Join(b.Log, "\n"), "VM is locked (backup)") {
		t.Errorf("first %q, second %q %v", a.ExitStatus, b.ExitStatus, b.Log)
	}
	if g, _ := s.Guest(100); g.Lock != "" {
		t.Errorf("lock after the backup: %q", g.Lock)
	}
}
