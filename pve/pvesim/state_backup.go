package pvesim

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// State model of backups: vzdump jobs, backup volumes and pruning.

// BackupJob is one scheduled vzdump job of /cluster/backup (jobs.cfg).
type BackupJob struct {
	ID    string
	Props map[string]string // vzdump options as sent: schedule, storage, vmid, all, mode, enabled ...
}

type backupState struct {
	jobs []*BackupJob
	seq  int
}

func (s *Sim) seedBackup() {
	s.backup.jobs = []*BackupJob{
		{ID: "backup-5f1e6c2e-3d4a", Props: map[string]string{
			"schedule": "01:00", "all": "1", "exclude": "9000", "storage": "nfs-backup", "mode": "snapshot", "compress": "zstd",
			"enabled": "1", "notes-template": "{{guestname}}", "notification-mode": "notification-system",
			"prune-backups": "keep-daily=7,keep-weekly=4", "comment": "Nightly backup of all guests"}},
		{ID: "backup-a81c0b95-77e2", Props: map[string]string{
			"schedule": "sun 03:00", "vmid": "101", "storage": "local", "mode": "stop", "compress": "zstd", "node": "pve1",
			"enabled": "0", "prune-backups": "keep-last=2", "comment": "Weekly cold backup of the database"}},
	}
}

func (s *Sim) job(id string) *BackupJob {
	for _, j := range s.backup.jobs {
		if j.ID == id {
			return j
		}
	}
	return nil
}

// backupCovers reports whether some backup job (jobs.cfg) includes the
// guest, as vzdump selects guests: a job limited to a node only covers
// guests there; then its pool, or all guests but the excluded, or its list.
func (s *Sim) backupCovers(g *Guest) bool {
	for _, j := range s.backup.jobs {
		p := j.Props
		if n := p["node"]; n != "" && n != g.Node {
			continue
		}
		id := strconv.Itoa(g.VMID)
		switch {
		case p["pool"] != "":
			if s.poolOf(g.VMID) == p["pool"] {
				return true
			}
		case p["all"] == "1":
			if !slices.Contains(splitList(p["exclude"]), id) {
				return true
			}
		case slices.Contains(splitList(p["vmid"]), id):
			return true
		}
	}
	return false
}

// nextRun computes the next start of the common calendar events: [days]
// HH:MM, and the named ones (daily, weekly, hourly ...). Others get none.
func nextRun(schedule string, now time.Time) (time.Time, bool) {
	now = now.UTC()
	switch schedule {
	case "daily":
		schedule = "00:00"
	case "weekly":
		schedule = "mon 00:00"
	case "hourly":
		return now.Truncate(time.Hour).Add(time.Hour), true
	}
	m := reHHMM().FindStringSubmatch(schedule)
	if m == nil {
		return time.Time{}, false
	}
	h, _ := strconv.Atoi(m[1])
	min, _ := strconv.Atoi(m[2])
	days := strings.TrimSpace(strings.TrimSuffix(schedule, m[0]))
	allowed := map[time.Weekday]bool{}
	names := []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}
	idx := func(d string) int {
		for i, n := range names {
			if n == d {
				return i
			}
		}
		return -1
	}
	for _, part := range strings.Split(days, ",") {
		if part == "" {
			continue
		}
		from, to, isRange := strings.Cut(part, "..")
		a, b := idx(from), idx(from)
		if isRange {
			b = idx(to)
		}
		if a < 0 || b < 0 {
			return time.Time{}, false
		}
		for i := a; ; i = (i + 1) % 7 {
			allowed[time.Weekday(i)] = true
			if i == b {
				break
			}
		}
	}
	day := time.Date(now.Year(), now.Month(), now.Day(), h, min, 0, 0, time.UTC)
	for i := 0; i < 8; i++ {
		t := day.AddDate(0, 0, i)
		if t.After(now) && (len(allowed) == 0 || allowed[t.Weekday()]) {
			return t, true
		}
	}
	return time.Time{}, false
}

// parsePrune reads a prune-backups property string such as
// "keep-last=3,keep-weekly=2" (keep-all=1 keeps everything).
func parsePrune(v string) (map[string]int, error) {
	out := map[string]int{}
	for _, part := range strings.Split(v, ",") {
		if part == "" {
			continue
		}
		k, val, ok := strings.Cut(part, "=")
		n, err := strconv.Atoi(val)
		if !ok || err != nil || n < 0 {
			return nil, fmt.Errorf("invalid format - '%s' is not key=<number>", part)
		}
		if k != "keep-all" && !slices.Contains(pruneKeys, k) {
			return nil, fmt.Errorf("invalid format - unknown retention option '%s'", k)
		}
		out[k] = n
	}
	if out["keep-all"] == 1 && len(out) > 1 {
		return nil, fmt.Errorf("invalid format - keep-all cannot be set together with other options")
	}
	return out, nil
}

var pruneKeys = []string{"keep-last", "keep-hourly", "keep-daily", "keep-weekly", "keep-monthly", "keep-yearly"}

// newBackup names a new archive; two backups within one second get
// distinct names, as they would a second apart on a real node.
func (s *Sim) newBackup(st *Storage, node string, g *Guest, compress, notes string, at time.Time) *Volume {
	volNode := st.holder(node)
	for {
		var v *Volume
		if st.Type == "pbs" {
			kind := map[string]string{"qemu": "vm", "lxc": "ct"}[g.Type]
			v = &Volume{Storage: st.ID, Node: volNode, Content: "backup", Format: "pbs-" + kind, VMID: g.VMID, Subtype: g.Type, Notes: notes,
				VolID: fmt.Sprintf("%s:backup/%s/%d/%s", st.ID, kind, g.VMID, at.UTC().Format("2006-01-02T15:04:05Z")),
				Size:  g.diskBytes()/5 + int64(g.VMID)*1048576, CTime: at.Unix(), Config: cloneMap(g.Config)}
		} else {
			v = backupVolume(st.ID, volNode, g, at, compress, notes)
		}
		if s.volumeOn(v.VolID, node) == nil {
			return v
		}
		at = at.Add(time.Second)
	}
}

// pruneBackups applies a retention policy to a guest's backups on a
// storage, the way Proxmox marks them (newest first, one per period), and
// returns the removed volids. Protected backups are never removed.
func (s *Sim) pruneBackups(st *Storage, node string, g *Guest, policy string) []string {
	keep, err := parsePrune(policy)
	if err != nil || keep["keep-all"] == 1 || len(keep) == 0 {
		return nil
	}
	var list []*Volume
	for _, v := range s.storage.volumes {
		if v.Storage == st.ID && v.Node == node && v.Content == "backup" && v.VMID == g.VMID && v.Subtype == g.Type {
			list = append(list, v)
		}
	}
	sort.Slice(list, func(i, j int) bool { return list[i].CTime > list[j].CTime })
	mark := map[*Volume]string{}
	for _, v := range list {
		if v.Protected {
			mark[v] = "protected"
		}
	}
	period := map[string]func(time.Time) string{
		"keep-hourly":  func(t time.Time) string { return t.Format("2006/01/02/15") },
		"keep-daily":   func(t time.Time) string { return t.Format("2006/01/02") },
		"keep-weekly":  func(t time.Time) string { y, w := t.ISOWeek(); return fmt.Sprintf("%d/%d", y, w) },
		"keep-monthly": func(t time.Time) string { return t.Format("2006/01") },
		"keep-yearly":  func(t time.Time) string { return t.Format("2006") },
	}
	for _, k := range pruneKeys {
		max := keep[k]
		if max == 0 {
			continue
		}
		id := func(v *Volume) string {
			if k == "keep-last" {
				return v.VolID
			}
			return period[k](time.Unix(v.CTime, 0).UTC())
		}
		already, fresh := map[string]bool{}, map[string]bool{}
		for _, v := range list {
			if mark[v] == "keep" {
				already[id(v)] = true
			}
		}
		for _, v := range list {
			if mark[v] != "" || already[id(v)] {
				continue
			}
			if fresh[id(v)] {
				mark[v] = "remove"
				continue
			}
			if len(fresh) >= max {
				break
			}
			fresh[id(v)] = true
			mark[v] = "keep"
		}
	}
	var removed []string
	for _, v := range list {
		if mark[v] == "keep" || mark[v] == "protected" {
			continue
		}
		removed = append(removed, v.VolID)
		s.storage.volumes = slices.DeleteFunc(s.storage.volumes, func(x *Volume) bool { return x == v })
	}
	return removed
}
