package pvesim

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Guest operations the qemu and lxc routes share: migrate, config views and
// updates, volume allocation, NICs, clone, destroy and snapshots.

// migrate moves a guest after the common checks Proxmox makes; an
// HA-managed guest's migration is a request to the CRM (haMigrate).
func (s *Sim) migrate(c *Call, g *Guest, typ string, refuse bool, refuseMsg string) (any, error) {
	target := c.Str("target")
	tn := s.node(target)
	if tn == nil {
		return nil, badParam("target", fmt.Sprintf("no such cluster node '%s'", target))
	}
	if target == g.Node {
		return nil, badParam("target", fmt.Sprintf("target is local node."))
	}
	if !tn.Online {
		return nil, fail("target node '%s' is not online", target)
	}
	if refuse {
		return nil, fail("%s", refuseMsg)
	}
	// qemu-server checks the lock before it hands an HA guest to the CRM;
	// pve-container leaves that to the migration (the CRM's, for HA).
	managed := s.haManaged(g)
	if !managed || g.Type == "qemu" {
		if err := g.checkLock(false); err != nil {
			return nil, err
		}
	}
	if managed {
		return s.haMigrate(g, target, c.User), nil
	}
	src := g.Node
	first := []string{fmt.Sprintf("starting migration of %s %d to node '%s' (%s)", map[string]string{"qemu": "VM", "lxc": "CT"}[g.Type], g.VMID, target, tn.IP)}
	if local := s.localVolumes(g); g.Type == "qemu" && g.Status == "running" && len(local) > 0 && !c.Bool("with-local-disks") {
		// qemu-server's scan of the volumes, in the migration task: a
		// running VM's disks on a storage the target lacks are copied only
		// when asked to.
		return s.startTaskPrepared(src, typ, strconv.Itoa(g.VMID), c.User, func(t *Task) error {
			t.Log = append(t.Log, first...)
			for _, v := range local {
				t.Log = append(t.Log, fmt.Sprintf("ERROR: can't migrate local disk '%s': can't live migrate attached local disks without with-local-disks option", v))
			}
			t.Log = append(t.Log, "ERROR: Problem found while scanning volumes - can't migrate VM - check log",
				"ERROR: migration aborted (duration 00:00:00): Problem found while scanning volumes - can't migrate VM - check log")
			return errors.New("migration aborted")
		}, nil), nil
	}
	g.Lock = "migrate"
	var during []string
	took := int64(2)
	if g.Type == "qemu" && g.Status == "running" {
		first = append(first, liveMigrateStart(g.VMID, target)...)
		during = liveMigrateLog(g.VMID, g.memBytes())
		took += transferSecs(g.memBytes())
	}
	return s.startLoggedTask(src, typ, strconv.Itoa(g.VMID), c.User, first, during, func(t *Task) error {
		g.Lock = ""
		t.Log = append(t.Log, fmt.Sprintf("migration finished successfully (duration %s)", hms(took)))
		g.Node = target
		return nil
	}), nil
}

// localVolumes are the volumes of g's disks on storages that are not
// shared (the target node does not have them), in config key order.
func (s *Sim) localVolumes(g *Guest) []string {
	var out []string
	for _, k := range sortedKeys(g.Config) {
		v := g.Config[k]
		if !isDiskKey(k) || strings.Contains(v, "media=cdrom") || strings.HasPrefix(v, "none") {
			continue
		}
		vol, _, _ := strings.Cut(v, ",")
		storage, _, ok := strings.Cut(vol, ":")
		if st := s.storageByID(storage); ok && (st == nil || !st.isShared()) {
			out = append(out, vol)
		}
	}
	return out
}

// running is guest() plus Proxmox's synchronous "not running" refusal.
func (s *Sim) running(c *Call, typ string) (*Guest, error) {
	g, err := s.guest(c, typ)
	if err != nil {
		return nil, err
	}
	if g.Status != "running" {
		if typ == "lxc" {
			return nil, fail("CT %d not running", g.VMID)
		}
		return nil, fail("VM %d not running", g.VMID)
	}
	return g, nil
}

// guestConfig answers GET .../config, honouring snapshot and current.
func (s *Sim) guestConfig(g *Guest, c *Call) (any, error) {
	cfg := g.Config
	if name := c.Str("snapshot"); name != "" {
		snap := findSnapshot(g, name)
		if snap == nil {
			return nil, fail("snapshot '%s' does not exist", name)
		}
		cfg = snap.Config
	} else if !c.Bool("current") && len(g.Pending) > 0 {
		cfg = cloneMap(cfg)
		for k, v := range g.Pending {
			cfg[k] = v
		}
	}
	out := map[string]any{"digest": digest(cfg)}
	for k, v := range cfg {
		out[k] = configValue(g.Type, k, v)
	}
	if g.Lock != "" && !c.Has("snapshot") {
		out["lock"] = g.Lock // written in the config file while an operation holds it
	}
	return out, nil
}

// configValue is a config setting as GET .../config shows it: integer and
// boolean options as numbers, the rest (property strings included: a VM's
// memory and agent are "[current=]<integer>" and "[enabled=]<1|0>,...")
// as strings, and the cloud-init password masked (Proxmox never reads it
// back).
func configValue(kind, k, v string) any {
	if k == "cipassword" {
		return "**********"
	}
	if n, err := strconv.Atoi(v); err == nil && isNumericKey(kind, k) {
		return n
	}
	if f, err := strconv.ParseFloat(v, 64); err == nil && k == "cpulimit" {
		return f
	}
	return v
}

// isNumericKey reports whether a config key is an integer or boolean in
// the kind's config schema.
func isNumericKey(kind, k string) bool {
	switch k {
	case "cores", "sockets", "onboot", "template", "balloon", "vcpus", "cpuunits", "protection":
		return true
	case "memory", "swap", "unprivileged", "tty", "console":
		return kind == "lxc"
	}
	return false
}

func snapshotList(g *Guest) []map[string]any {
	out := []map[string]any{}
	last := ""
	for _, sn := range g.Snapshots {
		e := map[string]any{"name": sn.Name, "description": sn.Description, "snaptime": sn.Time}
		if sn.Parent != "" {
			e["parent"] = sn.Parent
		}
		if g.Type == "qemu" {
			e["vmstate"] = map[bool]int{true: 1, false: 0}[sn.VMState]
		}
		out = append(out, e)
		last = sn.Name
	}
	cur := map[string]any{"name": "current", "description": "You are here!", "running": map[bool]int{true: 1, false: 0}[g.Status == "running"]}
	if last != "" {
		cur["parent"] = last
	}
	return append(out, cur)
}

// rrd returns plausible, deterministic time series for a guest.
func (s *Sim) rrd(g *Guest, timeframe string) []map[string]any {
	step := map[string]int64{"hour": 60, "day": 1800, "week": 10800, "month": 43200, "year": 604800}[timeframe]
	end := s.now().Unix() / step * step
	out := []map[string]any{}
	cpu, mem := g.usage()
	for i := int64(69); i >= 0; i-- {
		f := float64((i*7+int64(g.VMID))%10) / 20
		p := map[string]any{"time": end - i*step, "maxcpu": g.cpus(), "maxmem": g.memBytes(), "maxdisk": g.diskBytes()}
		if g.Status == "running" {
			p["cpu"] = cpu * (0.75 + f)
			p["mem"] = float64(mem) * (0.9 + f/5)
			p["netin"], p["netout"] = 1200.5+f*800, 900.25+f*300
			p["diskread"], p["diskwrite"] = 4096*(1+f), 8192*(1+f)
		}
		out = append(out, p)
	}
	return out
}

// allocate turns a new disk ("local-lvm:32") into a volume of the guest
// ("local-lvm:vm-105-disk-1,size=32G") and gives a new NIC a MAC address.
// Other values pass unchanged. defStorage serves bare sizes ("8").
func (s *Sim) allocate(g *Guest, key, value, defStorage string) (string, error) {
	switch {
	case g.Type == "qemu" && indexedKey(key, "net"):
		return qemuNIC(value, g.VMID, key), nil
	case g.Type == "lxc" && indexedKey(key, "net"):
		return lxcNIC(key, value, g.VMID)
	case !isDiskKey(key) || strings.HasPrefix(value, "none"):
		return value, nil
	case strings.Contains(value, "media=cdrom"):
		// An ISO must be there: Proxmox checks the volume it is given.
		if vol := volumeOf(value); strings.Contains(vol, ":iso/") && s.volumeOn(vol, g.Node) == nil {
			return "", fail("volume '%s' does not exist", vol)
		}
		return value, nil
	}
	first, rest, _ := strings.Cut(value, ",")
	prefix := ""
	for _, p := range []string{"file=", "volume="} {
		if v, ok := strings.CutPrefix(first, p); ok {
			first, prefix = v, p
		}
	}
	if defStorage != "" && reSize().MatchString(first) {
		first = defStorage + ":" + first
	}
	m := reAllocate().FindStringSubmatch(first)
	if m == nil {
		return value, nil // an existing volume or a path
	}
	sid := m[1]
	st := s.storageByID(sid)
	if st == nil {
		return "", fail("storage '%s' does not exist", sid)
	}
	content := "images"
	if g.Type == "lxc" {
		content = "rootdir"
	}
	if !slices.Contains(st.Content, content) {
		if g.Type == "lxc" {
			return "", badParam("storage", fmt.Sprintf("storage '%s' does not support container directories", sid))
		}
		return "", fail("storage '%s' does not support content-type '%s'", sid, content)
	}
	if !st.onNode(g.Node) || st.Disable {
		return "", fail("storage '%s' is not available on node '%s'", sid, g.Node)
	}
	size := strings.TrimSuffix(m[2], ".0")
	out := fmt.Sprintf("%s%s:vm-%d-disk-%d,size=%sG", prefix, sid, g.VMID, nextDiskIndex(g), size)
	if rest != "" {
		out += "," + rest
	}
	return out, nil
}

var reSize = lazyRegexp(`^\d+(\.\d+)?$`)

var reAllocate = lazyRegexp(`^([a-zA-Z][a-zA-Z0-9_.-]*):(\d+(\.\d+)?)$`)

// checkDestroy makes the synchronous checks before a guest is destroyed:
// an HA resource (even an ignored one) must be purged along with it.
func (s *Sim) checkDestroy(g *Guest, skiplock, force, purge bool) error {
	w := typeWord(g.Type)
	if g.Config["protection"] == "1" {
		return fail("can't remove %s %d - protection mode enabled", w, g.VMID)
	}
	if s.haResourceOf(g) != nil && !purge {
		return fail("unable to remove %s %d - used in HA resources and purge parameter not set.", w, g.VMID)
	}
	if err := g.checkLock(skiplock); err != nil {
		return err
	}
	if g.Status == "running" && !force {
		if g.Type == "lxc" {
			return fail("unable to destroy CT %d - container is running", g.VMID)
		}
		return fail("VM %d is running - destroy failed", g.VMID)
	}
	return nil
}

// destroy removes a guest, its volumes, its pool membership and, with
// purge, its HA resource.
func (s *Sim) destroy(g *Guest, t *Task, purge bool) {
	if r := s.haResourceOf(g); r != nil && purge {
		delete(s.ha.resources, r.SID)
	}
	keys := sortedKeys(g.Config)
	for _, k := range keys {
		v := g.Config[k]
		if (isDiskKey(k) || indexedKey(k, "unused")) && !strings.Contains(v, "media=cdrom") && !strings.HasPrefix(v, "none") {
			t.Log = append(t.Log, fmt.Sprintf("Removing image: %s", strings.Split(v, ",")[0]))
		}
	}
	if s.guests[g.VMID] == g {
		delete(s.guests, g.VMID)
	}
	s.removeFromPools(g.VMID)
	t.Log = append(t.Log, fmt.Sprintf("purging %s %d from related configurations..", typeWord(g.Type), g.VMID))
}

// clone copies a guest (or one of its snapshots) to newid.
func (s *Sim) clone(c *Call, src *Guest) (any, error) {
	newid := c.Int("newid")
	w := typeWord(src.Type)
	if newid == src.VMID {
		return nil, badParam("newid", "unable to clone to same VMID")
	}
	if g := s.guests[newid]; g != nil {
		if src.Type == "lxc" {
			return nil, s.vmidUnused(newid)
		}
		return nil, fail("unable to create VM %d: config file already exists", newid)
	}
	if err := s.checkPool(c.Str("pool")); err != nil {
		return nil, err
	}
	cfg := src.Config
	if name := c.Str("snapname"); name != "" {
		snap := findSnapshot(src, name)
		if snap == nil {
			return nil, fail("snapshot '%s' does not exist", name)
		}
		cfg = snap.Config
	}
	full := !src.Template
	if c.Has("full") && src.Template {
		full = c.Bool("full")
	}
	if c.Has("full") && !c.Bool("full") && !src.Template {
		return nil, fail("linked clone feature not supported for a %s that is not a template", map[bool]string{true: "CT", false: "VM"}[src.Type == "lxc"])
	}
	storage := c.Str("storage")
	if storage != "" && !full {
		return nil, fail("parameter 'storage' not allowed for linked clones")
	}
	if src.Type == "lxc" && full && src.Status == "running" && c.Str("snapname") == "" {
		return nil, fail("Cannot do full clones on a running container without snapshots")
	}
	if err := src.checkLock(false); err != nil {
		return nil, err
	}
	target := src.Node
	if t := c.Str("target"); t != "" && t != src.Node {
		tn := s.node(t)
		if tn == nil {
			return nil, badParam("target", fmt.Sprintf("no such cluster node '%s'", t))
		}
		if !tn.Online {
			return nil, fail("target node '%s' is not online", t)
		}
		for k, v := range cfg {
			if !isDiskKey(k) || strings.Contains(v, "media=cdrom") {
				continue
			}
			if st := s.storageByID(strings.Split(v, ":")[0]); st == nil || !st.Shared {
				if storage == "" || s.storageByID(storage) == nil || !s.storageByID(storage).Shared {
					return nil, fail("Can't clone to other node if %s uses local storage", w)
				}
			}
		}
		target = t
	}
	if storage != "" {
		st := s.storageByID(storage)
		if st == nil {
			return nil, fail("storage '%s' does not exist", storage)
		}
		content := map[string]string{"qemu": "images", "lxc": "rootdir"}[src.Type]
		if !slices.Contains(st.Content, content) {
			return nil, fail("storage '%s' does not support content-type '%s'", storage, content)
		}
	}
	ng := &Guest{VMID: newid, Type: src.Type, Node: target, Status: "stopped", Config: map[string]string{}, Lock: "create"}
	n := 0
	keys := sortedKeys(cfg)
	var copyLog []string // what the worker logs as it copies each disk
	for _, k := range keys {
		v := cfg[k]
		switch {
		case k == "template" || indexedKey(k, "unused") || k == "lock" || k == "parent" || k == "vmstate":
			continue
		case isDiskKey(k) && !strings.Contains(v, "media=cdrom") && !strings.HasPrefix(v, "none"):
			first, rest, _ := strings.Cut(v, ",")
			copyLog = append(copyLog, cloneDiskLog(src, k, first, sizeOf(v), full, c.Str("snapname") == "")...)
			sid, vol, _ := strings.Cut(first, ":")
			newVol := fmt.Sprintf("vm-%d-disk-%d", newid, n)
			n++
			if !full {
				newVol = vol + "/" + newVol // linked: based on the template's base volume
			} else if storage != "" {
				sid = storage
			}
			v = sid + ":" + newVol
			if rest != "" {
				v += "," + rest
			}
		case indexedKey(k, "net"):
			idx, _ := strconv.Atoi(strings.TrimPrefix(k, "net"))
			v = replaceMAC(v, guestMAC(newid, idx+100*b2i(src.Type == "lxc")))
		case k == "smbios1":
			v = "uuid=" + guestUUID(newid)
		case k == "vmgenid":
			v = guestUUID(newid + 7)
		}
		ng.Config[k] = v
	}
	nameKey := map[string]string{"qemu": "name", "lxc": "hostname"}[src.Type]
	if c.Has(nameKey) {
		ng.Config[nameKey] = c.Str(nameKey)
	} else if src.Type == "qemu" {
		ng.Config["name"] = "Copy-of-VM-" + src.name()
	}
	if c.Has("description") {
		ng.Config["description"] = c.Str("description")
	}
	s.guests[newid] = ng
	if p := c.Str("pool"); p != "" {
		s.addToPool(p, newid)
	}
	// The source's lock while the copy runs: qemu-server's "clone" (not on
	// a template), pve-container's "disk" (its lock enum has no "clone").
	srcLock := ""
	switch {
	case src.Type == "lxc":
		srcLock = "disk"
	case !src.Template:
		srcLock = "clone"
	}
	if srcLock != "" {
		src.Lock = srcLock
	}
	typ := map[string]string{"qemu": "qmclone", "lxc": "vzclone"}[src.Type]
	var first []string
	if len(copyLog) > 0 {
		first, copyLog = copyLog[:1], copyLog[1:]
	}
	return s.startLoggedTask(src.Node, typ, strconv.Itoa(src.VMID), c.User, first, copyLog, func(*Task) error {
		if srcLock != "" && src.Lock == srcLock {
			src.Lock = ""
		}
		ng.Lock = ""
		return nil
	}), nil
}

// cloneDiskLog is what a clone logs for one disk (key scsi0 or rootfs,
// volume vol, size bytes): a linked clone only names it; a full VM clone
// copies it, mirrored if the VM runs and the clone is not from a snapshot.
func cloneDiskLog(src *Guest, key, vol string, size int64, full, current bool) []string {
	switch {
	case !full:
		return []string{fmt.Sprintf("create linked clone of drive %s (%s)", key, vol)}
	case src.Type == "lxc":
		return []string{fmt.Sprintf("create full clone of mountpoint %s (%s)", key, vol)}
	}
	return driveCopyLog(key, vol, size, current && src.Status == "running", true)
}

var reMAC = lazyRegexp(`[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}`)

func replaceMAC(v, addr string) string {
	return reMAC().ReplaceAllString(v, addr)
}

// checkSnapName validates a snapshot name as Proxmox does, synchronously.
func checkSnapName(name string) error {
	if len(name) > 40 {
		return badParam("snapname", "value may only be 40 characters long")
	}
	if !reSnapName().MatchString(name) {
		return badParam("snapname", fmt.Sprintf("invalid format - invalid configuration ID '%s'", name))
	}
	if name == "current" || strings.EqualFold(name, "pending") {
		return fail("unable to use snapshot name '%s' (reserved name)", name)
	}
	return nil
}

// reSnapName() is Proxmox's pve-configid format, which snapshot names use.
var reSnapName = lazyRegexp(`(?i)^[a-z][a-z0-9_-]+$`)

// snapshotCreate, snapshotDelete and snapshotRollback run as Proxmox's
// AbstractConfig does: the worker's first step checks the guest (lock,
// snapshot name, template) and sets the snapshot, snapshot-delete or
// rollback lock, which the guest shows until the task ends.
func (s *Sim) snapshotCreate(c *Call, g *Guest, vmstate bool) (any, error) {
	name := c.Str("snapname")
	if err := checkSnapName(name); err != nil {
		return nil, err
	}
	typ := map[string]string{"qemu": "qmsnapshot", "lxc": "vzsnapshot"}[g.Type]
	return s.lockedTask(g, "snapshot", typ, c.User, false, func(*Task) error {
		if findSnapshot(g, name) != nil {
			return fail("snapshot name '%s' already used", name)
		}
		if g.Template {
			return fail("you can't take a snapshot if it's a template")
		}
		return nil
	}, func(t *Task) error {
		parent := ""
		if n := len(g.Snapshots); n > 0 {
			parent = g.Snapshots[n-1].Name
		}
		snap := &Snapshot{Name: name, Parent: parent, Description: c.Str("description"), Time: s.now().Unix(),
			VMState: vmstate && g.Status == "running", Config: cloneMap(g.Config)}
		g.Snapshots = append(g.Snapshots, snap)
		if snap.VMState {
			t.Log = append(t.Log, "saving VM state and RAM using storage 'local-lvm'")
		}
		t.Log = append(t.Log, fmt.Sprintf("snapshot '%s' created", name))
		return nil
	}), nil
}

func (s *Sim) snapshotDelete(c *Call, g *Guest) (any, error) {
	name := c.Str("snapname")
	typ := map[string]string{"qemu": "qmdelsnapshot", "lxc": "vzdelsnapshot"}[g.Type]
	lock := "snapshot-delete"
	if c.Bool("force") && g.Lock != "" {
		lock = g.Lock // force removes the snapshot under another operation's lock, leaving it
	}
	return s.lockedTask(g, lock, typ, c.User, c.Bool("force"), func(*Task) error {
		if findSnapshot(g, name) == nil {
			return fail("snapshot '%s' does not exist", name)
		}
		return nil
	}, func(t *Task) error {
		snap := findSnapshot(g, name)
		if snap == nil {
			return fail("snapshot '%s' does not exist", name) // deleted meanwhile, with force
		}
		kept := g.Snapshots[:0]
		for _, sn := range g.Snapshots {
			if sn == snap {
				continue
			}
			if sn.Parent == name {
				sn.Parent = snap.Parent // children move up to the deleted snapshot's parent
			}
			kept = append(kept, sn)
		}
		g.Snapshots = kept
		return nil
	}), nil
}

func (s *Sim) snapshotRollback(c *Call, g *Guest) (any, error) {
	name := c.Str("snapname")
	typ := map[string]string{"qemu": "qmrollback", "lxc": "vzrollback"}[g.Type]
	return s.lockedTask(g, "rollback", typ, c.User, false, func(t *Task) error {
		if findSnapshot(g, name) == nil {
			return fail("snapshot '%s' does not exist", name)
		}
		if g.Status == "running" {
			// Rolling back replaces the disks: a running guest is stopped first.
			t.Log = append(t.Log, fmt.Sprintf("stopping %s %d", typeWord(g.Type), g.VMID))
			s.setStopped(g)
		}
		return nil
	}, func(t *Task) error {
		snap := findSnapshot(g, name)
		if snap == nil {
			return fail("snapshot '%s' does not exist", name) // deleted with force meanwhile
		}
		g.Config = cloneMap(snap.Config)
		g.Pending = nil
		t.Log = append(t.Log, fmt.Sprintf("rollback to snapshot '%s'", name))
		switch {
		case snap.VMState:
			// The saved RAM state is resumed: the VM runs as it did then.
			g.Status, g.Paused, g.Started = "running", false, s.now()
		case c.Bool("start"):
			s.setRunning(g)
		default:
			s.setStopped(g)
		}
		return nil
	}), nil
}

// updateConfig applies PUT .../config: digest check, deletions, new values.
// On a running guest, changes hot reports false for wait in Pending.
func (s *Sim) updateConfig(c *Call, g *Guest, hot func(string) bool) error {
	if err := g.checkLock(c.Bool("skiplock")); err != nil {
		return err
	}
	if d := c.Str("digest"); d != "" && !slices.Contains(configDigests(g), d) {
		return fail("detected modified configuration - file changed by other user? Try again.")
	}
	var deletes []string
	if c.Has("delete") {
		for _, k := range strings.Split(c.Str("delete"), ",") {
			if k = strings.TrimSpace(k); k != "" {
				deletes = append(deletes, k)
			}
		}
	}
	var reverts []string
	if c.Has("revert") {
		reverts = strings.Split(c.Str("revert"), ",")
	}
	opts := optionValues(c, "node", "vmid", "delete", "revert", "digest", "skiplock", "force")
	for _, k := range deletes {
		if _, set := opts[k]; set {
			return badParam("delete", fmt.Sprintf("cannot set and delete '%s' at the same time", k))
		}
		if lookupParam(s.routeParams(c), k) == nil {
			return badParam("delete", fmt.Sprintf("invalid configuration ID '%s'", k))
		}
	}
	if len(opts) == 0 && len(deletes) == 0 && len(reverts) == 0 {
		return fail("no options specified")
	}
	if g.Type == "lxc" {
		if err := checkDNSName(c, "hostname"); err != nil {
			return err
		}
	} else if err := checkDNSName(c, "name"); err != nil {
		return err
	}
	keys := sortedKeys(opts)
	values := map[string]string{}
	for _, k := range keys {
		v, err := s.allocate(g, k, opts[k], "")
		if err != nil {
			return err
		}
		values[k] = v
	}
	running := g.Status == "running"
	for _, k := range reverts {
		delete(g.Pending, strings.TrimSpace(k))
	}
	for _, k := range deletes {
		if running && !hot(k) {
			g.pend(k, "")
			continue
		}
		if isDiskKey(k) && !strings.Contains(g.Config[k], "media=cdrom") && g.Config[k] != "" {
			// Proxmox keeps a detached disk as unusedN instead of losing it.
			g.Config[fmt.Sprintf("unused%d", nextUnused(g))] = strings.Split(g.Config[k], ",")[0]
		}
		delete(g.Config, k)
		delete(g.Pending, k)
	}
	for _, k := range keys {
		if running && !hot(k) {
			g.pend(k, values[k])
			continue
		}
		g.Config[k] = values[k]
		delete(g.Pending, k)
	}
	return nil
}

// checkDNSName enforces the dns-name format of name and hostname.
func checkDNSName(c *Call, param string) error {
	if v := c.Str(param); c.Has(param) && !reDNSName().MatchString(v) {
		return badParam(param, "invalid format - value does not look like a valid DNS name")
	}
	return nil
}

var reDNSName = lazyRegexp(`^([a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?\.)*[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?$`)

// optionValues returns the call's parameters minus path and control ones.
func optionValues(c *Call, skip ...string) map[string]string {
	out := map[string]string{}
	for k, v := range c.Values {
		if len(v) == 0 || slices.Contains(skip, k) {
			continue
		}
		out[k] = v[0]
	}
	if m, ok := out["memory"]; ok {
		out["memory"] = strings.TrimPrefix(m, "current=")
	}
	return out
}

// qemuNIC writes a VM NIC as Proxmox stores it: "model=MAC,..." with a MAC
// generated when none was given.
func qemuNIC(value string, vmid int, key string) string {
	parts := strings.Split(value, ",")
	model, addr := "", ""
	var rest []string
	for i, p := range parts {
		k, v, hasEq := strings.Cut(p, "=")
		switch {
		case i == 0 && !hasEq:
			model = k
		case k == "model":
			model = v
		case k == "macaddr":
			addr = v
		case slices.Contains(nicModels, k):
			model, addr = k, v
		default:
			rest = append(rest, p)
		}
	}
	if model == "" {
		return value
	}
	if addr == "" {
		idx, _ := strconv.Atoi(strings.TrimPrefix(key, "net"))
		addr = guestMAC(vmid, idx)
	}
	return strings.Join(append([]string{model + "=" + addr}, rest...), ",")
}

var nicModels = []string{"e1000", "e1000-82540em", "e1000-82544gc", "e1000-82545em", "e1000e", "i82551", "i82557b", "i82559er", "ne2k_isa", "ne2k_pci", "pcnet", "rtl8139", "virtio", "vmxnet3"}

// lxcNIC checks a container NIC and completes it as Proxmox does (hwaddr, type).
func lxcNIC(key, value string, vmid int) (string, error) {
	props := map[string]bool{}
	for _, p := range strings.Split(value, ",") {
		k, _, ok := strings.Cut(p, "=")
		if !ok {
			return "", badParam(key, fmt.Sprintf("invalid format - missing key in comma-separated list property: '%s'", p))
		}
		props[k] = true
	}
	if !props["name"] {
		return "", badParam(key, "invalid format - format error: name: property is missing and it is not optional")
	}
	if !props["hwaddr"] {
		idx, _ := strconv.Atoi(strings.TrimPrefix(key, "net"))
		value += ",hwaddr=" + guestMAC(vmid, idx+100)
	}
	if !props["type"] {
		value += ",type=veth"
	}
	return value, nil
}
