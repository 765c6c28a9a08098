package pvesim

import (
	"encoding/json"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// A task's log grows while it runs, as on Proxmox: a read mid-task answers
// the lines written so far (the transfer percentages rising), a later read
// more, the status stays running, and TASK OK comes only at the end. Every
// answer is checked against the schema (newClSimTasks).
func TestTaskLogGrowsWhileRunning(t *testing.T) {
	t.Parallel() // waits on simulated tasks
	const d = 1200 * time.Millisecond
	for _, tc := range []struct {
		name, path string
		params     url.Values
		percent    *regexp.Regexp // the progress lines and their percentage
	}{
		{"clone of a stopped VM (qemu-img)", "/nodes/pve2/qemu/102/clone", url.Values{"newid": {"150"}},
			regexp.MustCompile(`^transferred \S+ \S+ of 120\.0 GiB \((\d+\.\d\d)%\)$`)},
		{"clone of a running VM (drive-mirror)", "/nodes/pve2/qemu/103/clone", url.Values{"newid": {"151"}},
			regexp.MustCompile(`^drive-scsi0: transferred \S+ \S+ of 100\.0 GiB \((\d+\.\d\d)%\) in [\dwdhms ]+(, ready)?$`)},
		{"live migration", "/nodes/pve2/qemu/103/migrate", url.Values{"target": {"pve3"}, "online": {"1"}, "with-local-disks": {"1"}},
			regexp.MustCompile(`^migration active, transferred (\S+ \S+) of 8\.0 GiB VM-state, \S+ \S+$`)},
		{"backup", "/nodes/pve2/vzdump", url.Values{"vmid": {"102"}, "storage": {"nfs-backup"}},
			regexp.MustCompile(`^INFO: +(\d+)% \(\S+ \S+ of 120\.0 GiB\) in [\dwdhms ]+, read: \S+ \S+, write: \S+ \S+$`)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := newClSimTasks(t, d)
			var upid string
			c.ok("POST", tc.path, tc.params, &upid)
			node := strings.Split(upid, ":")[1]
			read := func(params url.Values) []taskLogLine {
				var lines []taskLogLine
				c.ok("GET", "/nodes/"+node+"/tasks/"+upid+"/log", params, &lines)
				return lines
			}
			status := func() string {
				var st struct{ Status string }
				c.ok("GET", "/nodes/"+node+"/tasks/"+upid+"/status", nil, &st)
				return st.Status
			}
			time.Sleep(d / 3)
			early := read(nil)
			if status() != "running" {
				t.Fatalf("task stopped after %v of %v", d/3, d)
			}
			time.Sleep(d / 3)
			later := read(nil)
			if status() != "running" {
				t.Fatalf("task stopped after %v of %v", 2*d/3, d)
			}
			for _, l := range append(early, later...) {
				if strings.HasPrefix(l.T, "TASK ") {
					t.Fatalf("%q while the task runs", l.T)
				}
			}
			if len(early) == 0 || len(later) <= len(early) {
				t.Fatalf("log did not grow: %d lines, then %d", len(early), len(later))
			}
			for i, l := range later {
				if l.N != i+1 || (i < len(early) && l.T != early[i].T) {
					t.Fatalf("line %d is %+v; the early read had %+v", i+1, l, early)
				}
			}
			// Paging reads the lines written so far from start, numbered from 1.
			if page := read(url.Values{"start": {"1"}, "limit": {"2"}}); len(page) != 2 || page[0] != later[1] || page[1] != later[2] {
				t.Errorf("start=1 limit=2: %+v, want lines 2 and 3 of %+v", page, later)
			}
			if past := read(url.Values{"start": {"500"}}); len(past) != 0 {
				t.Errorf("start past the end: %+v", past)
			}
			for deadline := time.Now().Add(5 * d); status() == "running"; time.Sleep(50 * time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatal("task still running")
				}
			}
			final := read(url.Values{"limit": {"1000"}})
			if got := final[len(final)-1].T; got != "TASK OK" {
				t.Fatalf("last line %q, log %+v", got, final)
			}
			var midTask, seen []float64
			for i, l := range final {
				m := tc.percent.FindStringSubmatch(l.T)
				if m == nil {
					continue
				}
				v := progressValue(m[1])
				if len(seen) > 0 && v <= seen[len(seen)-1] {
					t.Errorf("progress fell or stalled at %q (after %v)", l.T, seen)
				}
				seen = append(seen, v)
				if i < len(later) {
					midTask = append(midTask, v)
				}
			}
			if len(seen) < 5 || len(midTask) == 0 || len(midTask) == len(seen) {
				t.Errorf("%d progress lines, %d of them mid-task, in %+v", len(seen), len(midTask), final)
			}
		})
	}
}

type taskLogLine struct {
	N int    `json:"n"`
	T string `json:"t"`
}

// progressValue reads "42", "42.50" or "1.2 GiB" as a number that grows
// with the transfer.
func progressValue(s string) float64 {
	num, unit, _ := strings.Cut(s, " ")
	v, _ := strconv.ParseFloat(num, 64)
	for i, u := range []string{"B", "KiB", "MiB", "GiB", "TiB"} {
		if unit == u {
			v *= float64(int64(1) << (10 * i))
		}
	}
	return v
}

// The byte and duration renderings are PVE::Format's.
func TestRenderBytesAndDuration(t *testing.T) {
	for _, tc := range []struct {
		n    int64
		want string
	}{{0, "0.0 B"}, {1023, "1023.0 B"}, {1024, "1.0 KiB"}, {3 << 29, "1.5 GiB"}, {120 << 30, "120.0 GiB"}} {
		if got := renderBytes(tc.n, 1); got != tc.want {
			t.Errorf("renderBytes(%d) = %q, want %q", tc.n, got, tc.want)
		}
	}
	for secs, want := range map[int64]string{0: "0s", 42: "42s", 65: "1m 5s", 3600: "1h", 90061: "1d 1h 1m 1s"} {
		if got := renderDuration(secs); got != want {
			t.Errorf("renderDuration(%d) = %q, want %q", secs, got, want)
		}
	}
	if b, _ := json.Marshal(vzdumpLog(0)); !strings.Contains(string(b), "0 B/s") {
		t.Errorf("an empty backup: %s", b)
	}
}

// A running VM's local disks are copied only when asked: without
// with-local-disks qemu-server's volume scan aborts the migration task.
func TestLiveMigrationNeedsWithLocalDisks(t *testing.T) {
	c := newClSim(t)
	var upid string
	c.ok("POST", "/nodes/pve2/qemu/103/migrate", url.Values{"target": {"pve3"}, "online": {"1"}}, &upid)
	var st struct {
		Status     string `json:"status"`
		ExitStatus string `json:"exitstatus"`
	}
	c.ok("GET", "/nodes/pve2/tasks/"+url.PathEscape(upid)+"/status", nil, &st)
	if st.Status != "stopped" || st.ExitStatus != "migration aborted" {
		t.Fatalf("task = %+v, want stopped with migration aborted", st)
	}
	var log []struct {
		T string `json:"t"`
	}
	c.ok("GET", "/nodes/pve2/tasks/"+url.PathEscape(upid)+"/log", nil, &log)
	var lines []string
	for _, l := range log {
		lines = append(lines, l.T)
	}
	if !strings.Contains(strings.Join(lines, "\n"), "can't migrate local disk 'local-lvm:vm-103-disk-0': can't live migrate attached local disks without with-local-disks option") {
		t.Errorf("log = %v", lines)
	}
	var res []struct {
		VMID int    `json:"vmid"`
		Node string `json:"node"`
		Lock string `json:"lock"`
	}
	c.ok("GET", "/cluster/resources", url.Values{"type": {"vm"}}, &res)
	for _, r := range res {
		if r.VMID == 103 && (r.Node != "pve2" || r.Lock != "") {
			t.Errorf("VM 103 after the refused migration: %+v", r)
		}
	}
	c.ok("POST", "/nodes/pve2/qemu/103/migrate", url.Values{"target": {"pve3"}, "online": {"1"}, "with-local-disks": {"1"}}, &upid)
	c.ok("GET", "/nodes/pve2/tasks/"+url.PathEscape(upid)+"/status", nil, &st)
	if st.ExitStatus != "OK" {
		t.Errorf("with with-local-disks: %+v", st)
	}
}
