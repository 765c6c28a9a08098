package pvesim

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// This file holds the writing side of VMs (create, config update, delete,
// clone, snapshots, disk resize, move, unlink and conversion to a template)
// and the guest helpers containers share with it: volume
// allocation, MAC addresses, vmid checks, snapshots and protection.

// qemuOptions are the VM config options the simulator accepts on create and
// update, declared as the API schema declares them.
const qemuOptions = "name?:string memory?:string cores?:integer(1-) sockets?:integer(1-) vcpus?:integer(1-) cpu?:string " +
	"cpulimit?:number(0-128) cpuunits?:integer(1-262144) balloon?:integer(0-) shares?:integer(0-50000) numa?:boolean " +
	"ostype?:enum(other|wxp|w2k|w2k3|w2k8|wvista|win7|win8|win10|win11|l24|l26|solaris) " +
	"scsihw?:enum(lsi|lsi53c810|virtio-scsi-pci|virtio-scsi-single|megasas|pvscsi) boot?:string bootdisk?:string " +
	"agent?:string onboot?:boolean startup?:string tags?:string description?:string protection?:boolean " +
	"bios?:enum(seabios|ovmf) machine?:string arch?:enum(x86_64|aarch64) kvm?:boolean acpi?:boolean tablet?:boolean " +
	"localtime?:boolean hotplug?:string vga?:string smbios1?:string vmgenid?:string hookscript?:string template?:boolean " +
	"ciuser?:string cipassword?:string citype?:enum(configdrive2|nocloud|opennebula) cicustom?:string ciupgrade?:boolean " +
	"sshkeys?:string nameserver?:string searchdomain?:string efidisk0?:string tpmstate0?:string rng0?:string " +
	"net[n]?:string scsi[n]?:string virtio[n]?:string sata[n]?:string ide[n]?:string ipconfig[n]?:string " +
	"unused[n]?:string serial[n]?:string usb[n]?:string hostpci[n]?:string numa[n]?:string"

func (s *Sim) routesQemuWrite() {
	s.handle("POST", "/nodes/{node}/qemu",
		guestIDs+" "+qemuOptions+" pool?:string storage?:string start?:boolean unique?:boolean force?:boolean archive?:string ha-managed?:boolean",
		func(c *Call) (any, error) {
			vmid := c.Int("vmid")
			if c.Has("archive") {
				return s.restore(c, "qemu", c.Str("archive"))
			}
			if err := s.vmidUnused(vmid); err != nil {
				return nil, fail("unable to create VM %d - %s", vmid, err.(*APIError).Message)
			}
			if err := s.checkPool(c.Str("pool")); err != nil {
				return nil, err
			}
			if err := checkDNSName(c, "name"); err != nil {
				return nil, err
			}
			node := c.Str("node")
			cfg := map[string]string{}
			g := &Guest{VMID: vmid, Type: "qemu", Node: node, Status: "stopped", Config: cfg, Lock: "create"}
			for k, v := range optionValues(c, "node", "vmid", "pool", "storage", "start", "unique", "force", "ha-managed") {
				nv, err := s.allocate(g, k, v, c.Str("storage"))
				if err != nil {
					return nil, err
				}
				cfg[k] = nv
			}
			if !c.Has("smbios1") {
				cfg["smbios1"] = fmt.Sprintf("uuid=%s", guestUUID(vmid))
			}
			if !c.Has("vmgenid") {
				cfg["vmgenid"] = guestUUID(vmid + 7)
			}
			cfg["meta"] = fmt.Sprintf("creation-qemu=9.2.0,ctime=%d", s.now().Unix())
			s.guests[vmid] = g
			if p := c.Str("pool"); p != "" {
				s.addToPool(p, vmid)
			}
			start := c.Bool("start")
			return s.startTask(node, "qmcreate", strconv.Itoa(vmid), c.User, func(t *Task) error {
				g.Lock = ""
				for k, v := range cfg {
					if isDiskKey(k) && !strings.Contains(v, "media=cdrom") {
						t.Log = append(t.Log, fmt.Sprintf("%s: successfully created disk '%s'", k, strings.Split(v, ",")[0]))
					}
				}
				if start {
					s.setRunning(g)
				}
				return nil
			}), nil
		})

	s.handle("PUT", "/nodes/{node}/qemu/{vmid}/config",
		guestIDs+" "+qemuOptions+" delete?:string revert?:string digest?:string skiplock?:boolean force?:boolean",
		func(c *Call) (any, error) {
			g, err := s.guest(c, "qemu")
			if err != nil {
				return nil, err
			}
			return nil, s.updateConfig(c, g, qemuHotplug)
		})

	s.handle("DELETE", "/nodes/{node}/qemu/{vmid}",
		guestIDs+" purge?:boolean destroy-unreferenced-disks?:boolean skiplock?:boolean",
		func(c *Call) (any, error) {
			g, err := s.guest(c, "qemu")
			if err != nil {
				return nil, err
			}
			if err := s.checkDestroy(g, c.Bool("skiplock"), false); err != nil {
				return nil, err
			}
			return s.startTask(g.Node, "qmdestroy", strconv.Itoa(g.VMID), c.User, func(t *Task) error {
				s.destroy(g, t)
				return nil
			}), nil
		})

	s.handle("POST", "/nodes/{node}/qemu/{vmid}/clone",
		guestIDs+" newid:integer(100-999999999) name?:string description?:string target?:string full?:boolean "+
			"storage?:string format?:enum(raw|qcow2|vmdk) pool?:string snapname?:string bwlimit?:integer(0-)",
		func(c *Call) (any, error) {
			g, err := s.guest(c, "qemu")
			if err != nil {
				return nil, err
			}
			if err := checkDNSName(c, "name"); err != nil {
				return nil, err
			}
			return s.clone(c, g)
		})

	s.handle("POST", "/nodes/{node}/qemu/{vmid}/snapshot",
		guestIDs+" snapname:string description?:string vmstate?:boolean",
		func(c *Call) (any, error) {
			g, err := s.guest(c, "qemu")
			if err != nil {
				return nil, err
			}
			return s.snapshotCreate(c, g, c.Bool("vmstate"))
		})
	s.handle("DELETE", "/nodes/{node}/qemu/{vmid}/snapshot/{snapname}",
		guestIDs+" snapname:string force?:boolean",
		func(c *Call) (any, error) {
			g, err := s.guest(c, "qemu")
			if err != nil {
				return nil, err
			}
			return s.snapshotDelete(c, g)
		})
	s.handle("POST", "/nodes/{node}/qemu/{vmid}/snapshot/{snapname}/rollback",
		guestIDs+" snapname:string start?:boolean",
		func(c *Call) (any, error) {
			g, err := s.guest(c, "qemu")
			if err != nil {
				return nil, err
			}
			return s.snapshotRollback(c, g)
		})
	// Disks.
	s.handle("PUT", "/nodes/{node}/qemu/{vmid}/resize", guestIDs+" disk:string size:string digest?:string skiplock?:boolean", func(c *Call) (any, error) {
		g, err := s.guest(c, "qemu")
		if err != nil {
			return nil, err
		}
		if err := extrasCheckEnum(c, "disk", reQemuDrive); err != nil {
			return nil, err
		}
		if !reResizeSize.MatchString(c.Str("size")) {
			return nil, badParam("size", "value does not match the regex pattern")
		}
		disk, sizeStr, dig, skiplock := c.Str("disk"), c.Str("size"), c.Str("digest"), c.Bool("skiplock")
		// Since PVE 8 the checks run inside the worker: a refused resize is a failed task.
		return s.startTask(g.Node, "resize", strconv.Itoa(g.VMID), c.User, func(t *Task) error {
			if dig != "" && !inList(configDigests(g), dig) {
				return fail("checksum missmatch (file change by other user?)")
			}
			if g.Lock != "" && !skiplock {
				return fail("VM is locked (%s)", g.Lock)
			}
			v, ok := g.Config[disk]
			if !ok {
				return fail("disk '%s' does not exist", disk)
			}
			if strings.Contains(v, "media=cdrom") {
				return fail("you can't resize a cdrom")
			}
			size, newSize := sizeOf(v), extrasNewSize(sizeOf(v), sizeStr)
			if newSize < size {
				return fail("shrinking disks is not supported")
			}
			if newSize == size {
				return nil
			}
			g.Config[disk] = extrasSetProp(v, "size", extrasFormatSize(newSize))
			t.Log = append(t.Log, fmt.Sprintf("resized %s (%s) from %s to %s", disk, extrasVolume(v), extrasFormatSize(size), extrasFormatSize(newSize)))
			return nil
		}), nil
	})
	s.handle("POST", "/nodes/{node}/qemu/{vmid}/move_disk",
		guestIDs+" disk:string storage?:string format?:enum(raw|qcow2|vmdk) delete?:boolean digest?:string bwlimit?:integer(0-) "+
			"target-vmid?:integer(100-999999999) target-disk?:string target-digest?:string",
		func(c *Call) (any, error) {
			g, err := s.guest(c, "qemu")
			if err != nil {
				return nil, err
			}
			if err := extrasCheckEnum(c, "disk", reQemuDriveOrUnused); err != nil {
				return nil, err
			}
			if err := extrasCheckEnum(c, "target-disk", reQemuDriveOrUnused); err != nil {
				return nil, err
			}
			return s.extrasMove(c, g, "disk", "target-disk")
		})
	s.handle("PUT", "/nodes/{node}/qemu/{vmid}/unlink", guestIDs+" idlist:string force?:boolean", func(c *Call) (any, error) {
		g, err := s.guest(c, "qemu")
		if err != nil {
			return nil, err
		}
		return nil, s.extrasUnlink(c, g)
	})

	// Templates and images.
	s.handle("POST", "/nodes/{node}/qemu/{vmid}/template", guestIDs+" disk?:string", func(c *Call) (any, error) {
		g, err := s.guest(c, "qemu")
		if err != nil {
			return nil, err
		}
		if err := extrasCheckEnum(c, "disk", reQemuDrive); err != nil {
			return nil, err
		}
		disk := c.Str("disk")
		if g.Template && disk == "" {
			return nil, fail("you can't convert a template to a template")
		}
		if g.Status == "running" {
			return nil, fail("you can't convert a VM to template if VM is running")
		}
		if g.Lock != "" {
			return nil, fail("VM is locked (%s)", g.Lock)
		}
		if disk != "" && g.Config[disk] == "" {
			return nil, fail("disk '%s' does not exist", disk)
		}
		g.Lock = "create"
		return s.startTask(g.Node, "qmtemplate", strconv.Itoa(g.VMID), c.User, func(t *Task) error {
			g.Lock = ""
			s.extrasMakeTemplate(g, disk, t)
			return nil
		}), nil
	})
}

// qemuHotplug reports whether a change to key takes effect at once on a
// running VM (Proxmox's "fast plug" options, plus NICs and disks, which are
// hot-pluggable by default); other changes wait in pending until reboot.
func qemuHotplug(key string) bool {
	switch key {
	case "name", "description", "onboot", "startup", "tags", "protection", "hookscript", "cpulimit", "cpuunits", "shares", "balloon":
		return true
	case "ciuser", "cipassword", "citype", "ciupgrade", "cicustom", "sshkeys", "nameserver", "searchdomain":
		return true // written at once; the guest sees them when the cloud-init drive is regenerated
	}
	for _, p := range []string{"net", "scsi", "virtio", "sata", "unused", "ipconfig"} {
		if indexedKey(key, p) {
			return true
		}
	}
	return false
}

func indexedKey(key, prefix string) bool {
	rest, ok := strings.CutPrefix(key, prefix)
	if !ok || rest == "" {
		return false
	}
	_, err := strconv.Atoi(rest)
	return err == nil
}

// typeWord is how Proxmox names a guest type in messages.
func typeWord(typ string) string {
	if typ == "lxc" {
		return "CT"
	}
	return "VM"
}

// vmidUnused fails as PVE::Cluster::check_vmid_unused does.
func (s *Sim) vmidUnused(vmid int) error {
	if g := s.guests[vmid]; g != nil {
		return fail("%s %d already exists on node '%s'", typeWord(g.Type), vmid, g.Node)
	}
	return nil
}

func (s *Sim) checkPool(pool string) error {
	if pool == "" {
		return nil
	}
	for _, p := range s.pools.list {
		if p.ID == pool {
			return nil
		}
	}
	return fail("pool '%s' does not exist", pool)
}

func (s *Sim) addToPool(pool string, vmid int) {
	for _, p := range s.pools.list {
		if p.ID == pool {
			p.VMs = append(p.VMs, vmid)
		}
	}
}

// removeFromPools drops a destroyed guest from every pool (remove_vm_access).
func (s *Sim) removeFromPools(vmid int) {
	for _, p := range s.pools.list {
		kept := p.VMs[:0]
		for _, v := range p.VMs {
			if v != vmid {
				kept = append(kept, v)
			}
		}
		p.VMs = kept
	}
}

var reDNSName = regexp.MustCompile(`^([a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?\.)*[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?$`)

// checkDNSName enforces the dns-name format of name and hostname.
func checkDNSName(c *Call, param string) error {
	if v := c.Str(param); c.Has(param) && !reDNSName.MatchString(v) {
		return badParam(param, "invalid format - value does not look like a valid DNS name")
	}
	return nil
}

// reSnapName is Proxmox's pve-configid format, which snapshot names use.
var reSnapName = regexp.MustCompile(`(?i)^[a-z][a-z0-9_-]+$`)

// optionValues returns the call's parameters minus path and control ones.
func optionValues(c *Call, skip ...string) map[string]string {
	out := map[string]string{}
	for k, v := range c.Values {
		if len(v) == 0 || inList(skip, k) {
			continue
		}
		out[k] = v[0]
	}
	if m, ok := out["memory"]; ok {
		out["memory"] = strings.TrimPrefix(m, "current=")
	}
	return out
}

func inList(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func guestUUID(seed int) string {
	return fmt.Sprintf("%08x-%04x-4%03x-8%03x-%012x", seed*2654435761%0xffffffff, seed%0xffff, seed%0xfff, (seed*7)%0xfff, seed*977)
}

// mac is a deterministic locally administered address in Proxmox's OUI.
func guestMAC(vmid, idx int) string {
	return fmt.Sprintf("BC:24:11:%02X:%02X:%02X", (vmid>>8)&0xff, vmid&0xff, (idx*37+vmid/65536)&0xff)
}

var reSize = regexp.MustCompile(`^\d+(\.\d+)?$`)

var reAllocate = regexp.MustCompile(`^([a-zA-Z][a-zA-Z0-9_.-]*):(\d+(\.\d+)?)$`)

// allocate turns a new disk ("local-lvm:32") into a volume of the guest
// ("local-lvm:vm-105-disk-1,size=32G") and gives a new NIC a MAC address.
// Other values pass unchanged. defStorage serves bare sizes ("8").
func (s *Sim) allocate(g *Guest, key, value, defStorage string) (string, error) {
	switch {
	case g.Type == "qemu" && indexedKey(key, "net"):
		return qemuNIC(value, g.VMID, key), nil
	case g.Type == "lxc" && indexedKey(key, "net"):
		return lxcNIC(key, value, g.VMID)
	case !isDiskKey(key) || strings.Contains(value, "media=cdrom") || strings.HasPrefix(value, "none"):
		return value, nil
	}
	first, rest, _ := strings.Cut(value, ",")
	prefix := ""
	for _, p := range []string{"file=", "volume="} {
		if v, ok := strings.CutPrefix(first, p); ok {
			first, prefix = v, p
		}
	}
	if defStorage != "" && reSize.MatchString(first) {
		first = defStorage + ":" + first
	}
	m := reAllocate.FindStringSubmatch(first)
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
	if !inList(st.Content, content) {
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

var reDiskIndex = regexp.MustCompile(`vm-\d+-disk-(\d+)`)

// nextDiskIndex is the first disk number not used by the guest's volumes.
func nextDiskIndex(g *Guest) int {
	next := 0
	for k, v := range g.Config {
		if !isDiskKey(k) && !indexedKey(k, "unused") {
			continue
		}
		if m := reDiskIndex.FindStringSubmatch(v); m != nil {
			if n, _ := strconv.Atoi(m[1]); n >= next {
				next = n + 1
			}
		}
	}
	return next
}

var nicModels = []string{"e1000", "e1000-82540em", "e1000-82544gc", "e1000-82545em", "e1000e", "i82551", "i82557b", "i82559er", "ne2k_isa", "ne2k_pci", "pcnet", "rtl8139", "virtio", "vmxnet3"}

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
		case inList(nicModels, k):
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

// configDigests are the digests a client may hold for the guest: of the
// config as stored and as shown with pending changes.
func configDigests(g *Guest) []string {
	merged := cloneMap(g.Config)
	for k, v := range g.Pending {
		merged[k] = v
	}
	return []string{digest(g.Config), digest(merged)}
}

// updateConfig applies PUT .../config: digest check, deletions, new values.
// On a running guest, changes hot reports false for wait in Pending.
func (s *Sim) updateConfig(c *Call, g *Guest, hot func(string) bool) error {
	if g.Lock != "" && !c.Bool("skiplock") {
		return fail("%s is locked (%s)", typeWord(g.Type), g.Lock)
	}
	if d := c.Str("digest"); d != "" && !inList(configDigests(g), d) {
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

func (g *Guest) pend(k, v string) {
	if g.Pending == nil {
		g.Pending = map[string]string{}
	}
	g.Pending[k] = v
}

func nextUnused(g *Guest) int {
	for i := 0; ; i++ {
		if _, used := g.Config[fmt.Sprintf("unused%d", i)]; !used {
			return i
		}
	}
}

// routeParams returns the declared parameters of the route serving c.
func (s *Sim) routeParams(c *Call) []param {
	for _, r := range s.routes {
		if r.method != c.Method {
			continue
		}
		if _, ok := matchPath(r.segs, strings.Split(strings.Trim(c.Path, "/"), "/")); ok {
			return r.params
		}
	}
	return nil
}

// checkDestroy makes the synchronous checks before a guest is destroyed.
func (s *Sim) checkDestroy(g *Guest, skiplock, force bool) error {
	w := typeWord(g.Type)
	if g.Config["protection"] == "1" {
		return fail("can't remove %s %d - protection mode enabled", w, g.VMID)
	}
	if g.Lock != "" && !skiplock {
		return fail("%s is locked (%s)", w, g.Lock)
	}
	if g.Status == "running" && !force {
		if g.Type == "lxc" {
			return fail("unable to destroy CT %d - container is running", g.VMID)
		}
		return fail("VM %d is running - destroy failed", g.VMID)
	}
	return nil
}

// destroy removes a guest, its volumes and its pool membership.
func (s *Sim) destroy(g *Guest, t *Task) {
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
	if src.Lock != "" {
		return nil, fail("%s is locked (%s)", w, src.Lock)
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
		if !inList(st.Content, content) {
			return nil, fail("storage '%s' does not support content-type '%s'", storage, content)
		}
	}
	ng := &Guest{VMID: newid, Type: src.Type, Node: target, Status: "stopped", Config: map[string]string{}, Lock: "create"}
	n := 0
	keys := sortedKeys(cfg)
	for _, k := range keys {
		v := cfg[k]
		switch {
		case k == "template" || indexedKey(k, "unused") || k == "lock" || k == "parent" || k == "vmstate":
			continue
		case isDiskKey(k) && !strings.Contains(v, "media=cdrom") && !strings.HasPrefix(v, "none"):
			first, rest, _ := strings.Cut(v, ",")
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
	if !src.Template {
		src.Lock = "clone"
	}
	typ := map[string]string{"qemu": "qmclone", "lxc": "vzclone"}[src.Type]
	return s.startTask(src.Node, typ, strconv.Itoa(src.VMID), c.User, func(t *Task) error {
		if src.Lock == "clone" {
			src.Lock = ""
		}
		ng.Lock = ""
		mode := "full"
		if !full {
			mode = "linked"
		}
		t.Log = append(t.Log, fmt.Sprintf("create %s clone of drive(s) for %s %d", mode, w, newid))
		return nil
	}), nil
}

var reMAC = regexp.MustCompile(`[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}`)

func replaceMAC(v, addr string) string {
	return reMAC.ReplaceAllString(v, addr)
}

// checkSnapName validates a snapshot name as Proxmox does, synchronously.
func checkSnapName(name string) error {
	if len(name) > 40 {
		return badParam("snapname", "value may only be 40 characters long")
	}
	if !reSnapName.MatchString(name) {
		return badParam("snapname", fmt.Sprintf("invalid format - invalid configuration ID '%s'", name))
	}
	if name == "current" || strings.EqualFold(name, "pending") {
		return fail("unable to use snapshot name '%s' (reserved name)", name)
	}
	return nil
}

func (s *Sim) snapshotCreate(c *Call, g *Guest, vmstate bool) (any, error) {
	name := c.Str("snapname")
	if err := checkSnapName(name); err != nil {
		return nil, err
	}
	typ := map[string]string{"qemu": "qmsnapshot", "lxc": "vzsnapshot"}[g.Type]
	return s.startTask(g.Node, typ, strconv.Itoa(g.VMID), c.User, func(t *Task) error {
		if g.Lock != "" {
			return fmt.Errorf("%s is locked (%s)", typeWord(g.Type), g.Lock)
		}
		if findSnapshot(g, name) != nil {
			return fmt.Errorf("snapshot name '%s' already used", name)
		}
		if g.Template {
			return fmt.Errorf("you can't take a snapshot if it's a template")
		}
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
	return s.startTask(g.Node, typ, strconv.Itoa(g.VMID), c.User, func(t *Task) error {
		snap := findSnapshot(g, name)
		if snap == nil {
			return fmt.Errorf("snapshot '%s' does not exist", name)
		}
		if g.Lock != "" && !c.Bool("force") {
			return fmt.Errorf("%s is locked (%s)", typeWord(g.Type), g.Lock)
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
	return s.startTask(g.Node, typ, strconv.Itoa(g.VMID), c.User, func(t *Task) error {
		snap := findSnapshot(g, name)
		if snap == nil {
			return fmt.Errorf("snapshot '%s' does not exist", name)
		}
		if g.Lock != "" {
			return fmt.Errorf("%s is locked (%s)", typeWord(g.Type), g.Lock)
		}
		if g.Status == "running" {
			// Rolling back replaces the disks: a running guest is stopped first.
			t.Log = append(t.Log, fmt.Sprintf("stopping %s %d", typeWord(g.Type), g.VMID))
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
