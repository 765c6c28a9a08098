package pvesim

import (
	"fmt"
	"hash/fnv"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

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

// Backup jobs are read and written by these; options with their own
// meaning for the job (not vzdump) are kept with the vzdump ones.
const vzdumpParams = "all?:boolean bwlimit?:integer(0-) compress?:enum(0|1|gzip|lzo|zstd) dumpdir?:string exclude?:string " +
	"exclude-path?:array fleecing?:string ionice?:integer(0-8) lockwait?:integer(0-) mailnotification?:enum(always|failure) " +
	"mailto?:string maxfiles?:integer(1-) mode?:enum(snapshot|suspend|stop) notes-template?:string " +
	"notification-mode?:enum(auto|legacy-sendmail|notification-system) pbs-change-detection-mode?:enum(legacy|data|metadata) " +
	"performance?:string pigz?:integer pool?:string protected?:boolean prune-backups?:string quiet?:boolean remove?:boolean " +
	"script?:string stdexcludes?:boolean stop?:boolean stopwait?:integer(0-) storage?:string tmpdir?:string vmid?:string zstd?:integer"

var (
	reJobID    = regexp.MustCompile(`(?i)^[a-z][a-z0-9_-]+$`)
	reSchedule = regexp.MustCompile(`^(?:(?:mon|tue|wed|thu|fri|sat|sun)(?:\.\.(?:mon|tue|wed|thu|fri|sat|sun))?(?:,(?:mon|tue|wed|thu|fri|sat|sun)(?:\.\.(?:mon|tue|wed|thu|fri|sat|sun))?)* ?)?(?:[0-9*/,.~:\- ]+)?$|^(?:minutely|hourly|daily|weekly|monthly|yearly|annually|quarterly|semiannually)$`)
	reHHMM     = regexp.MustCompile(`(\d{1,2}):(\d{2})$`)
)

func (s *Sim) routesBackup() {
	s.handle("GET", "/cluster/backup", "", func(c *Call) (any, error) {
		out := []map[string]any{}
		for _, j := range s.backup.jobs {
			out = append(out, s.jobEntry(j))
		}
		return out, nil
	})
	s.handle("GET", "/cluster/backup/{id}", "id:string", func(c *Call) (any, error) {
		j := s.job(c.Str("id"))
		if j == nil {
			return nil, badParam("id", fmt.Sprintf("No such job '%s'", c.Str("id")))
		}
		return s.jobEntry(j), nil
	})
	s.handle("POST", "/cluster/backup", vzdumpParams+" comment?:string dow?:string enabled?:boolean id?:string node?:string repeat-missed?:boolean schedule?:string starttime?:string", s.createBackupJob)
	s.handle("DELETE", "/cluster/backup/{id}", "id:string", func(c *Call) (any, error) {
		j := s.job(c.Str("id"))
		if j == nil {
			return nil, badParam("id", fmt.Sprintf("No such job '%s'", c.Str("id")))
		}
		s.backup.jobs = removeFunc(s.backup.jobs, func(x *BackupJob) bool { return x == j })
		return nil, nil
	})
	s.handle("POST", "/nodes/{node}/vzdump", "node:string job-id?:string stdout?:boolean "+vzdumpParams, s.vzdump)
	s.handle("GET", "/cluster/backup-info/not-backed-up", "", func(c *Call) (any, error) {
		out := []map[string]any{}
		for _, g := range s.sortedGuests() {
			if g.Template || s.backupCovers(g) {
				continue
			}
			out = append(out, map[string]any{"vmid": g.VMID, "name": g.name(), "type": g.Type})
		}
		return out, nil
	})
}

func (s *Sim) job(id string) *BackupJob {
	for _, j := range s.backup.jobs {
		if j.ID == id {
			return j
		}
	}
	return nil
}

// jobEntry is a job as GET /cluster/backup shows it: its options, the job
// type and, when enabled, the next run. The retention (prune-backups) is
// decoded into an object, as the returns schema declares it.
func (s *Sim) jobEntry(j *BackupJob) map[string]any {
	m := map[string]any{"id": j.ID, "type": "vzdump"}
	for k, v := range j.Props {
		switch k {
		case "all", "enabled", "protected", "remove", "repeat-missed", "quiet", "stdexcludes", "stop", "bwlimit", "ionice", "lockwait", "stopwait", "pigz", "zstd":
			n, _ := strconv.Atoi(v)
			m[k] = n
		case "prune-backups":
			if p, err := parsePrune(v); err == nil {
				m[k] = p
			}
		default:
			m[k] = v
		}
	}
	if j.Props["enabled"] != "0" {
		if next, ok := nextRun(j.Props["schedule"], s.now()); ok {
			m["next-run"] = next.Unix()
		}
	}
	return m
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
	m := reHHMM.FindStringSubmatch(schedule)
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

// verifyVzdump makes vzdump's own parameter checks: the guest selection
// options exclude each other, and one of them must be given.
func (s *Sim) verifyVzdump(c *Call) error {
	switch {
	case c.Bool("all") && c.Has("vmid"):
		return badParam("all", "option conflicts with option 'vmid'")
	case c.Has("exclude") && c.Has("vmid"):
		return badParam("exclude", "option conflicts with option 'vmid'")
	case c.Has("pool") && c.Has("vmid"):
		return badParam("pool", "option conflicts with option 'vmid'")
	case c.Has("prune-backups") && c.Has("maxfiles"):
		return badParam("prune-backups", "option conflicts with option 'maxfiles'")
	case !c.Bool("all") && !c.Has("exclude") && !c.Bool("stop") && !c.Has("pool") && !c.Has("vmid"):
		return badParam("vmid", "property is missing")
	}
	for _, key := range []string{"vmid", "exclude"} {
		if _, err := vmidList(c.Str(key)); err != nil {
			return badParam(key, err.Error())
		}
	}
	if c.Has("prune-backups") {
		if _, err := parsePrune(c.Str("prune-backups")); err != nil {
			return badParam("prune-backups", err.Error())
		}
	}
	if p := c.Str("pool"); p != "" && s.backupPool(p) == nil {
		return fail("pool '%s' does not exist", p)
	}
	return nil
}

// backupPool finds the pool a backup selects.
func (s *Sim) backupPool(id string) *Pool {
	for _, p := range s.pools.list {
		if p.ID == id {
			return p
		}
	}
	return nil
}

// vmidList parses a pve-vmid-list ("100,101 102").
func vmidList(v string) ([]int, error) {
	var out []int
	for _, p := range pveListItems(v) {
		n, err := strconv.Atoi(p)
		if err != nil || n < 100 || n > 999999999 {
			return nil, fmt.Errorf("value '%s' does not look like a valid VM ID", p)
		}
		out = append(out, n)
	}
	return out, nil
}

var pruneKeys = []string{"keep-last", "keep-hourly", "keep-daily", "keep-weekly", "keep-monthly", "keep-yearly"}

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
		if k != "keep-all" && !contains(pruneKeys, k) {
			return nil, fmt.Errorf("invalid format - unknown retention option '%s'", k)
		}
		out[k] = n
	}
	if out["keep-all"] == 1 && len(out) > 1 {
		return nil, fmt.Errorf("invalid format - keep-all cannot be set together with other options")
	}
	return out, nil
}

func (s *Sim) createBackupJob(c *Call) (any, error) {
	if err := s.verifyVzdump(c); err != nil {
		return nil, err
	}
	id := c.Str("id")
	if id == "" {
		s.backup.seq++
		h := fnv.New64a()
		fmt.Fprintf(h, "%d/%d", s.now().UnixNano(), s.backup.seq)
		sum := h.Sum64()
		id = fmt.Sprintf("backup-%08x-%04x", uint32(sum>>32), uint16(sum))
	} else if !reJobID.MatchString(id) {
		return nil, badParam("id", fmt.Sprintf("invalid format - invalid configuration ID '%s'", id))
	}
	if s.job(id) != nil {
		return nil, fail("Job '%s' already exists", id)
	}
	props := map[string]string{}
	for k := range c.Values {
		if k != "id" {
			props[k] = strings.Join(c.Values[k], "\x00")
		}
	}
	if st := props["starttime"]; st != "" && props["schedule"] == "" {
		props["schedule"] = strings.TrimSpace(props["dow"] + " " + st)
	}
	delete(props, "starttime")
	delete(props, "dow")
	if props["schedule"] == "" {
		return nil, badParam("schedule", "property is missing and it is not optional")
	}
	if !reSchedule.MatchString(props["schedule"]) {
		return nil, badParam("schedule", fmt.Sprintf("invalid format - unable to parse calendar event '%s'", props["schedule"]))
	}
	for _, k := range []string{"all", "enabled", "protected", "remove", "repeat-missed", "quiet", "stdexcludes", "stop"} {
		if v, ok := props[k]; ok {
			props[k] = strconv.Itoa(b2i(boolish[strings.ToLower(v)]))
		}
	}
	if props["exclude"] != "" && props["pool"] == "" {
		props["all"] = "1"
	}
	if _, ok := props["enabled"]; !ok {
		props["enabled"] = "1"
	}
	s.backup.jobs = append(s.backup.jobs, &BackupJob{ID: id, Props: props})
	return nil, nil
}

// vzdump backs up the selected guests that live on the call's node, as
// POST /nodes/{node}/vzdump does: guests elsewhere are skipped, unknown
// vmids are kept so the task visibly fails for them.
func (s *Sim) vzdump(c *Call) (any, error) {
	if err := s.verifyVzdump(c); err != nil {
		return nil, err
	}
	if c.Bool("stdout") {
		return nil, badParam("stdout", "option is only allowed on the command line interface.")
	}
	node := c.Str("node")
	stID := c.Str("storage")
	if stID == "" {
		stID = "local"
	}
	st := s.storageByID(stID)
	switch {
	case st == nil:
		return nil, fail("storage '%s' does not exist", stID)
	case !st.has("backup"):
		return nil, fail("can't use storage '%s' for backups - wrong content type", stID)
	case !st.onNode(node):
		return nil, fail("storage '%s' is not available on node '%s'", stID, node)
	case st.Disable:
		return nil, fail("storage '%s' is disabled", stID)
	}
	var local []int
	listed, _ := vmidList(c.Str("vmid"))
	excluded, _ := vmidList(c.Str("exclude"))
	switch {
	case len(listed) > 0:
		for _, id := range listed {
			if g := s.guests[id]; g == nil || g.Node == node {
				local = append(local, id)
			}
		}
	case c.Has("pool"):
		for _, id := range s.backupPool(c.Str("pool")).VMs {
			if g := s.guests[id]; g != nil && g.Node == node && !containsInt(excluded, id) {
				local = append(local, id)
			}
		}
	default: // all
		for _, g := range s.sortedGuests() {
			if g.Node == node && !containsInt(excluded, g.VMID) {
				local = append(local, g.VMID)
			}
		}
	}
	sort.Ints(local)
	if len(local) == 0 && !c.Bool("all") {
		return "OK", nil // Proxmox's silent answer when the guests run elsewhere
	}
	taskID := ""
	if len(listed) == 1 {
		taskID = strconv.Itoa(listed[0])
	}
	// Guests are locked for the backup from the start, as vzdump does.
	locked, busy := map[int]bool{}, map[int]string{}
	for _, id := range local {
		if g := s.guests[id]; g != nil && g.Lock == "" {
			g.Lock, locked[id] = "backup", true
		} else if g != nil {
			busy[id] = g.Lock
		}
	}
	compress := map[string]string{"": "", "0": "", "1": "lzo", "gzip": "gz", "lzo": "lzo", "zstd": "zst"}[c.Str("compress")]
	prune := st.Props["prune-backups"]
	if c.Has("prune-backups") {
		prune = c.Str("prune-backups")
	}
	remove := !c.Has("remove") || c.Bool("remove")
	params := cloneValues(c.Values)
	return s.startTask(node, "vzdump", taskID, c.User, func(t *Task) error {
		t.Log = append(t.Log, "INFO: starting new backup job: vzdump "+commandLine(params))
		failed := false
		for _, id := range local {
			g := s.guests[id]
			if g == nil {
				t.Log = append(t.Log, fmt.Sprintf("ERROR: Backup of VM %d failed - unable to find VM '%d'", id, id))
				failed = true
				continue
			}
			if !locked[id] {
				t.Log = append(t.Log, fmt.Sprintf("ERROR: Backup of VM %d failed - VM is locked (%s)", id, busy[id]))
				failed = true
				continue
			}
			g.Lock = ""
			if s.storageByID(st.ID) != st {
				t.Log = append(t.Log, fmt.Sprintf("ERROR: Backup of VM %d failed - storage '%s' does not exist", id, st.ID))
				failed = true
				continue
			}
			v := s.newBackup(st, node, g, compress, expandNotes(params, g, node))
			v.Protected = boolish[strings.ToLower(first(params["protected"]))]
			s.addVolume(v)
			t.Log = append(t.Log, fmt.Sprintf("INFO: Starting Backup of VM %d (%s)", id, g.Type),
				fmt.Sprintf("INFO: creating vzdump archive '%s'", v.VolID),
				fmt.Sprintf("INFO: archive file size: %.2fGB", float64(v.Size)/float64(gib)),
				fmt.Sprintf("INFO: Finished Backup of VM %d (00:00:%02d)", id, 3+id%50))
			if remove && prune != "" {
				for _, gone := range s.pruneBackups(st, v.Node, g, prune) {
					t.Log = append(t.Log, fmt.Sprintf("INFO: removing backup '%s'", gone))
				}
			}
		}
		if failed {
			return fmt.Errorf("job errors")
		}
		t.Log = append(t.Log, "INFO: Backup job finished successfully")
		return nil
	}), nil
}

// newBackup names a new archive; two backups within one second get
// distinct names, as they would a second apart on a real node.
func (s *Sim) newBackup(st *Storage, node string, g *Guest, compress, notes string) *Volume {
	volNode := st.holder(node)
	at := s.now()
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
		s.storage.volumes = removeFunc(s.storage.volumes, func(x *Volume) bool { return x == v })
	}
	return removed
}

func expandNotes(params map[string][]string, g *Guest, node string) string {
	tpl := first(params["notes-template"])
	return strings.NewReplacer("{{guestname}}", g.name(), "{{vmid}}", strconv.Itoa(g.VMID), "{{node}}", node, "{{cluster}}", "pve-cluster").Replace(tpl)
}

func commandLine(params map[string][]string) string {
	keys := make([]string, 0, len(params))
	for k := range params {
		if k != "node" && k != "vmid" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(strings.Join(pveListItems(first(params["vmid"])), " "))
	for _, k := range keys {
		fmt.Fprintf(&b, " --%s %s", k, strings.Join(params[k], ","))
	}
	return strings.TrimSpace(b.String())
}

func first(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}

func cloneValues(v map[string][]string) map[string][]string {
	out := make(map[string][]string, len(v))
	for k, x := range v {
		out[k] = append([]string(nil), x...)
	}
	return out
}

func containsInt(list []int, v int) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
