package pvesim

import (
	"fmt"
	"hash/fnv"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Backup jobs are read and written by these; options with their own
// meaning for the job (not vzdump) are kept with the vzdump ones.
const vzdumpParams = "all?:boolean bwlimit?:integer(0-) compress?:enum(0|1|gzip|lzo|zstd) dumpdir?:string exclude?:string " +
	"exclude-path?:array fleecing?:string ionice?:integer(0-8) lockwait?:integer(0-) mailnotification?:enum(always|failure) " +
	"mailto?:string maxfiles?:integer(1-) mode?:enum(snapshot|suspend|stop) notes-template?:string " +
	"notification-mode?:enum(auto|legacy-sendmail|notification-system) pbs-change-detection-mode?:enum(legacy|data|metadata) " +
	"performance?:string pigz?:integer pool?:string protected?:boolean prune-backups?:string quiet?:boolean remove?:boolean " +
	"script?:string stdexcludes?:boolean stop?:boolean stopwait?:integer(0-) storage?:string tmpdir?:string vmid?:string zstd?:integer"

var (
	reJobID    = lazyRegexp(`(?i)^[a-z][a-z0-9_-]+$`)
	reSchedule = lazyRegexp(`^(?:(?:mon|tue|wed|thu|fri|sat|sun)(?:\.\.(?:mon|tue|wed|thu|fri|sat|sun))?(?:,(?:mon|tue|wed|thu|fri|sat|sun)(?:\.\.(?:mon|tue|wed|thu|fri|sat|sun))?)* ?)?(?:[0-9*/,.~:\- ]+)?$|^(?:minutely|hourly|daily|weekly|monthly|yearly|annually|quarterly|semiannually)$`)
	reHHMM     = lazyRegexp(`(\d{1,2}):(\d{2})$`)
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
		s.backup.jobs = slices.DeleteFunc(s.backup.jobs, func(x *BackupJob) bool { return x == j })
		return nil, nil
	})
	s.handle("POST", "/nodes/{node}/vzdump", "node:string job-id?:string stdout?:boolean "+vzdumpParams, s.vzdump)
	// extractconfig answers the guest config an archive carries, as the
	// qemu-server.conf or pct.conf text it holds.
	s.handle("GET", "/nodes/{node}/vzdump/extractconfig", "node:string volume:string", func(c *Call) (any, error) {
		v := s.volumeOn(c.Str("volume"), c.Str("node"))
		if v == nil || v.Content != "backup" {
			return nil, fail("volume '%s' does not exist", c.Str("volume"))
		}
		var b strings.Builder
		for _, k := range sortedKeys(v.Config) {
			fmt.Fprintf(&b, "%s: %s\n", k, v.Config[k])
		}
		return b.String(), nil
	})
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
	for _, p := range splitList(v) {
		n, err := strconv.Atoi(p)
		if err != nil || n < 100 || n > 999999999 {
			return nil, fmt.Errorf("value '%s' does not look like a valid VM ID", p)
		}
		out = append(out, n)
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
	} else if !reJobID().MatchString(id) {
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
	if !reSchedule().MatchString(props["schedule"]) {
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
			if g := s.guests[id]; g != nil && g.Node == node && !slices.Contains(excluded, id) {
				local = append(local, id)
			}
		}
	default: // all
		for _, g := range s.sortedGuests() {
			if g.Node == node && !slices.Contains(excluded, g.VMID) {
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
		if g := s.guests[id]; g != nil {
			if err := g.checkLock(false); err != nil {
				busy[id] = err.(*APIError).Message
			} else {
				g.Lock, locked[id] = "backup", true
			}
		}
	}
	compress := map[string]string{"": "", "0": "", "1": "lzo", "gzip": "gz", "lzo": "lzo", "zstd": "zst"}[c.Str("compress")]
	prune := st.Props["prune-backups"]
	if c.Has("prune-backups") {
		prune = c.Str("prune-backups")
	}
	remove := !c.Has("remove") || c.Bool("remove")
	params := cloneValues(c.Values)
	// The archives are named for the time the job starts; the log of
	// each guest's backup is written as the job runs, its archive and
	// pruning at the end.
	start := s.now()
	var during []string
	for _, id := range local {
		g := s.guests[id]
		if g == nil || !locked[id] {
			if g != nil {
				during = append(during, fmt.Sprintf("ERROR: Backup of VM %d failed - %s", id, busy[id]))
			}
			continue // a missing guest is found missing at the end
		}
		v := s.newBackup(st, node, g, compress, "", start)
		during = append(during, fmt.Sprintf("INFO: Starting Backup of VM %d (%s)", id, g.Type),
			fmt.Sprintf("INFO: creating vzdump archive '%s'", v.VolID))
		if g.Type == "qemu" {
			during = append(during, vzdumpLog(g.diskBytes())...)
		}
		during = append(during, fmt.Sprintf("INFO: archive file size: %.2fGB", float64(v.Size)/float64(gib)),
			fmt.Sprintf("INFO: Finished Backup of VM %d (%s)", id, hms(int64(3+id%50)+transferSecs(g.diskBytes()))))
	}
	return s.startLoggedTask(node, "vzdump", taskID, c.User, []string{"INFO: starting new backup job: vzdump " + commandLine(params)}, during, func(t *Task) error {
		failed := false
		for _, id := range local {
			g := s.guests[id]
			if g == nil {
				t.Log = append(t.Log, fmt.Sprintf("ERROR: Backup of VM %d failed - unable to find VM '%d'", id, id))
				failed = true
				continue
			}
			if !locked[id] {
				failed = true // logged as the job ran
				continue
			}
			g.Lock = ""
			if s.storageByID(st.ID) != st {
				t.Log = append(t.Log, fmt.Sprintf("ERROR: Backup of VM %d failed - storage '%s' does not exist", id, st.ID))
				failed = true
				continue
			}
			v := s.newBackup(st, node, g, compress, expandNotes(params, g, node), start)
			v.Protected = boolish[strings.ToLower(first(params["protected"]))]
			s.addVolume(v)
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
	b.WriteString(strings.Join(splitList(first(params["vmid"])), " "))
	for _, k := range keys {
		fmt.Fprintf(&b, " --%s %s", k, strings.Join(params[k], ","))
	}
	return strings.TrimSpace(b.String())
}
