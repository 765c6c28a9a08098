package pvesim

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// restore recreates a guest from a backup archive, as POST .../qemu with
// archive and POST .../lxc with restore=1 do: the archive's configuration
// comes back with its disks allocated anew (on storage when given, else
// where they were), options given with the call override it, and force
// replaces an existing guest of that ID on this node.
func (s *Sim) restore(c *Call, kind, volid string) (any, error) {
	vmid, node, force := c.Int("vmid"), c.Str("node"), c.Bool("force")
	w := typeWord(kind)
	emsg := fmt.Sprintf("unable to restore %s %d -", w, vmid)
	if !strings.Contains(volid, ":") {
		return nil, fail("%s unable to parse volume ID '%s'", emsg, volid)
	}
	v := s.volumeOn(volid, node)
	switch {
	case v == nil:
		return nil, fail("%s volume '%s' does not exist", emsg, volid)
	case v.Content != "backup":
		return nil, fail("%s '%s' is not a backup archive", emsg, volid)
	case v.Subtype != kind:
		return nil, fail("%s '%s' is a %s backup", emsg, volid, typeWord(v.Subtype))
	}
	old := s.guests[vmid]
	if old != nil {
		if !force || old.Node != node || old.Type != kind {
			if err := s.vmidUnused(vmid); err != nil {
				if kind == "qemu" {
					return nil, fail("%s %s", emsg, err.(*APIError).Message)
				}
				return nil, err
			}
		}
		if old.Config["protection"] == "1" {
			return nil, fail("%s protection mode enabled", emsg)
		}
		if old.Status == "running" {
			if kind == "lxc" {
				return nil, fail("can't overwrite running container")
			}
			return nil, fail("%s vm is running", emsg)
		}
	}
	if err := s.checkPool(c.Str("pool")); err != nil {
		return nil, err
	}
	target := c.Str("storage")
	if target != "" && s.storageByID(target) == nil {
		return nil, fail("storage '%s' does not exist", target)
	}

	g := &Guest{VMID: vmid, Type: kind, Node: node, Status: "stopped", Config: map[string]string{}, Lock: "create"}
	var newDisks []string
	for _, k := range sortedKeys(v.Config) {
		val := v.Config[k]
		switch {
		case indexedKey(k, "unused"):
			continue // the archive holds only attached disks
		case indexedKey(k, "net") && c.Bool("unique"):
			nv, err := s.allocate(g, k, dropMAC(val), "")
			if err != nil {
				return nil, err
			}
			val = nv
		case isDiskKey(k) && !strings.Contains(val, "media=cdrom") && !strings.HasPrefix(val, "none"):
			nv, err := s.restoreDisk(g, k, val, target)
			if err != nil {
				return nil, err
			}
			val = nv
			newDisks = append(newDisks, strings.Split(nv, ",")[0])
		}
		g.Config[k] = val
	}
	skip := []string{"node", "vmid", "archive", "ostemplate", "restore", "storage", "pool", "start", "unique", "force",
		"bwlimit", "live-restore", "ignore-unpack-errors", "ha-managed", "password", "ssh-public-keys"}
	for k, val := range optionValues(c, skip...) {
		nv, err := s.allocate(g, k, val, target)
		if err != nil {
			return nil, err
		}
		g.Config[k] = nv
	}
	if kind == "qemu" && c.Bool("unique") {
		g.Config["smbios1"] = fmt.Sprintf("uuid=%s", guestUUID(vmid+int(s.now().Unix()%1000)))
	}

	if old != nil {
		s.removeFromPools(vmid)
	}
	s.guests[vmid] = g
	if p := c.Str("pool"); p != "" {
		s.addToPool(p, vmid)
	}
	typ := map[string]string{"qemu": "qmrestore", "lxc": "vzrestore"}[kind]
	start := c.Bool("start")
	return s.startTask(node, typ, strconv.Itoa(vmid), c.User, func(t *Task) error {
		if kind == "qemu" {
			t.Log = append(t.Log, fmt.Sprintf("restore vma archive: %s", volid))
		} else {
			t.Log = append(t.Log, fmt.Sprintf("recovering backed-up configuration from '%s'", volid),
				fmt.Sprintf("restoring '%s' now..", volid))
		}
		for _, d := range newDisks {
			t.Log = append(t.Log, fmt.Sprintf("new volume ID is '%s'", d))
		}
		g.Lock = ""
		if start {
			s.setRunning(g)
		}
		return nil
	}), nil
}

var reDiskSize = lazyRegexp(`(?:^|,)size=(\d+(?:\.\d+)?)([KMGT]?)`)

// dropMAC removes a NIC's MAC address (a VM's "model=MAC", a container's
// hwaddr=MAC) so allocate generates a new one, as unique asks.
func dropMAC(nic string) string {
	var out []string
	for _, p := range strings.Split(nic, ",") {
		k, v, _ := strings.Cut(p, "=")
		switch {
		case k == "hwaddr":
			continue
		case reMAC().MatchString(v) && !strings.Contains(k, "addr"):
			p = k
		}
		out = append(out, p)
	}
	return strings.Join(out, ",")
}

// restoreDisk allocates a new volume for a disk the archive carries, of its
// size, on target or the storage it was on, keeping its other options.
func (s *Sim) restoreDisk(g *Guest, key, val, target string) (string, error) {
	vol, rest, _ := strings.Cut(val, ",")
	vol = strings.TrimPrefix(strings.TrimPrefix(vol, "file="), "volume=")
	storage, _, _ := strings.Cut(vol, ":")
	if target != "" {
		storage = target
	}
	gib := 1.0
	if m := reDiskSize().FindStringSubmatch(val); m != nil {
		n, _ := strconv.ParseFloat(m[1], 64)
		gib = n * map[string]float64{"K": 1.0 / (1 << 20), "M": 1.0 / 1024, "G": 1, "T": 1024, "": 1.0 / (1 << 30)}[m[2]]
	}
	var keep []string
	for _, opt := range strings.Split(rest, ",") {
		if opt != "" && !strings.HasPrefix(opt, "size=") {
			keep = append(keep, opt)
		}
	}
	sort.Strings(keep)
	spec := storage + ":" + strconv.FormatFloat(max(gib, 0.001), 'f', -1, 64)
	if len(keep) > 0 {
		spec += "," + strings.Join(keep, ",")
	}
	return s.allocate(g, key, spec, "")
}
