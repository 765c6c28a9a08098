package pvesim

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

// This file simulates the guest operations beyond the reference server's:
// cloud-init (dump, pending view, regenerate), disk resize, move and
// unlink, conversion to a template, downloads to a storage by URL and the
// appliance template index.

// extrasState is what this file keeps beside the guests: the cloud-init
// values last written to each VM's drive (Proxmox's [special:cloudinit]
// section), against which pending changes are shown.
type extrasState struct {
	ciDrive map[int]map[string]string
}

// seedExtras gives one running VM a cloud-init drive and settings, as a VM
// cloned from a cloud image has them.
func (s *Sim) seedExtras() {
	if g := s.guests[104]; g != nil {
		g.Config["ide0"] = "local-lvm:vm-104-cloudinit,media=cdrom,size=4M"
		g.Config["ciuser"] = "ubuntu"
		g.Config["sshkeys"] = url.PathEscape("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHk8s0mZ1q9Jv4Yb3m0xZ0Q0p7p1sQ0b6f1y2Wq3rT4u ops@lab.example")
		g.Config["ipconfig0"] = "ip=10.0.20.14/24,gw=10.0.20.1"
		g.Config["nameserver"] = "10.0.0.2"
		g.Config["searchdomain"] = "lab.example"
	}
}

func (s *Sim) routesExtras() {
	// The drives as the seed left them are up to date with the configs.
	st := &extrasState{ciDrive: map[int]map[string]string{}}
	for _, g := range s.guests {
		if g.Type == "qemu" && ciDriveKey(g) != "" {
			st.ciDrive[g.VMID] = ciValues(g.Config)
		}
	}

	// Cloud-init.
	s.handle("GET", "/nodes/{node}/qemu/{vmid}/cloudinit/dump", guestIDs+" type:enum(user|network|meta)", func(c *Call) (any, error) {
		g, err := s.guest(c, "qemu")
		if err != nil {
			return nil, err
		}
		switch c.Str("type") {
		case "user":
			return ciUserData(g), nil
		case "network":
			return ciNetworkConfig(g), nil
		}
		return ciMetaData(g), nil
	})
	s.handle("GET", "/nodes/{node}/qemu/{vmid}/cloudinit", guestIDs, func(c *Call) (any, error) {
		g, err := s.guest(c, "qemu")
		if err != nil {
			return nil, err
		}
		return ciPending(ciValues(g.Config), st.ciDrive[g.VMID]), nil
	})
	s.handle("PUT", "/nodes/{node}/qemu/{vmid}/cloudinit", guestIDs, func(c *Call) (any, error) {
		g, err := s.guest(c, "qemu")
		if err != nil {
			return nil, err
		}
		if g.Lock != "" {
			return nil, fail("VM is locked (%s)", g.Lock)
		}
		// Proxmox returns quietly when the VM has no cloud-init drive.
		if ciDriveKey(g) != "" {
			st.ciDrive[g.VMID] = ciValues(g.Config)
		}
		return nil, nil
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
	s.handle("PUT", "/nodes/{node}/lxc/{vmid}/resize", guestIDs+" disk:string size:string digest?:string", func(c *Call) (any, error) {
		g, err := s.guest(c, "lxc")
		if err != nil {
			return nil, err
		}
		if err := extrasCheckEnum(c, "disk", reLxcVolume); err != nil {
			return nil, err
		}
		if !reResizeSize.MatchString(c.Str("size")) {
			return nil, badParam("size", "value does not match the regex pattern")
		}
		// pve-container checks before it forks the worker.
		if g.Lock != "" {
			return nil, fail("CT is locked (%s)", g.Lock)
		}
		if d := c.Str("digest"); d != "" && !inList(configDigests(g), d) {
			return nil, fail("detected modified configuration - file changed by other user? Try again.")
		}
		disk := c.Str("disk")
		v, ok := g.Config[disk]
		if !ok {
			return nil, fail("disk '%s' does not exist", disk)
		}
		size, newSize := sizeOf(v), extrasNewSize(sizeOf(v), c.Str("size"))
		if newSize < size {
			return nil, fail("unable to shrink disk size")
		}
		if newSize == size {
			return nil, fail("disk is already at specified size")
		}
		return s.startTask(g.Node, "resize", strconv.Itoa(g.VMID), c.User, func(t *Task) error {
			g.Config[disk] = extrasSetProp(g.Config[disk], "size", extrasFormatSize(newSize))
			t.Log = append(t.Log, fmt.Sprintf("Resizing %s (%s) to %s", disk, extrasVolume(v), extrasFormatSize(newSize)))
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
	s.handle("POST", "/nodes/{node}/lxc/{vmid}/move_volume",
		guestIDs+" volume:string storage?:string delete?:boolean digest?:string bwlimit?:number(0-) "+
			"target-vmid?:integer(100-999999999) target-volume?:string target-digest?:string",
		func(c *Call) (any, error) {
			g, err := s.guest(c, "lxc")
			if err != nil {
				return nil, err
			}
			if err := extrasCheckEnum(c, "volume", reLxcVolumeOrUnused); err != nil {
				return nil, err
			}
			if err := extrasCheckEnum(c, "target-volume", reLxcVolumeOrUnused); err != nil {
				return nil, err
			}
			return s.extrasMove(c, g, "volume", "target-volume")
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
	s.handle("POST", "/nodes/{node}/lxc/{vmid}/template", guestIDs, func(c *Call) (any, error) {
		g, err := s.guest(c, "lxc")
		if err != nil {
			return nil, err
		}
		if g.Template {
			return nil, fail("you can't convert a template to a template")
		}
		if g.Status == "running" {
			return nil, fail("you can't convert a CT to template if the CT is running")
		}
		if g.Lock != "" {
			return nil, fail("CT is locked (%s)", g.Lock)
		}
		// pve-container forks a worker here but answers null, not its UPID.
		s.startTask(g.Node, "vztemplate", strconv.Itoa(g.VMID), c.User, func(t *Task) error {
			s.extrasMakeTemplate(g, "", t)
			return nil
		})
		return nil, nil
	})
	s.handle("POST", "/nodes/{node}/storage/{storage}/download-url",
		"node:string storage:string url:string filename:string content:enum(iso|vztmpl|import) checksum?:string "+
			"checksum-algorithm?:enum(md5|sha1|sha224|sha256|sha384|sha512) verify-certificates?:boolean compression?:string",
		s.extrasDownload)
	s.handle("GET", "/nodes/{node}/aplinfo", "node:string", func(c *Call) (any, error) {
		return extrasAppliances(), nil
	})
}

// ciKeys are the options Proxmox renders into the cloud-init drive
// (cloudinit_pending_properties): the cloud-init options, name and netN.
var reCIKey = regexp.MustCompile(`^(ciuser|cipassword|citype|ciupgrade|cicustom|sshkeys|nameserver|searchdomain|name|ipconfig\d+|net\d+)$`)

func ciValues(cfg map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range cfg {
		if reCIKey.MatchString(k) {
			out[k] = v
		}
	}
	return out
}

// ciDriveKey is the key of the VM's cloud-init drive ("" if it has none).
func ciDriveKey(g *Guest) string {
	for _, k := range sortedKeys(g.Config) {
		if isDiskKey(k) && strings.Contains(extrasVolume(g.Config[k]), "cloudinit") {
			return k
		}
	}
	return ""
}

// ciPending answers GET .../cloudinit as Proxmox does: each setting with the
// value on the drive and, when it changed since, the pending one; settings
// removed since are flagged delete. Passwords are masked.
func ciPending(cfg, drive map[string]string) []map[string]any {
	names := unionKeys(cfg, drive)
	mask := func(k, v string) string {
		if k == "cipassword" {
			return "**********"
		}
		return v
	}
	out := []map[string]any{}
	for _, k := range names {
		cur, inCfg := cfg[k]
		old, onDrive := drive[k]
		item := map[string]any{"key": k}
		switch {
		case inCfg && onDrive && cur == old:
			item["value"] = mask(k, cur)
		case inCfg && onDrive:
			item["value"], item["pending"] = mask(k, old), mask(k, cur)
		case inCfg:
			item["pending"] = mask(k, cur)
		default:
			item["value"], item["delete"] = mask(k, old), 1
		}
		out = append(out, item)
	}
	return out
}

func ciHostname(g *Guest) (host, fqdn string) {
	host = g.Config["name"]
	if host == "" {
		host = fmt.Sprintf("VM%d", g.VMID)
	}
	if h, domain, ok := strings.Cut(host, "."); ok {
		return h, h + "." + domain
	}
	if sd := g.Config["searchdomain"]; sd != "" {
		return host, host + "." + strings.Fields(sd)[0]
	}
	return host, ""
}

// ciUserData renders user-data as qemu-server's cloudinit_userdata does.
// The password never appears in clear: Proxmox stores a crypt hash of it.
func ciUserData(g *Guest) string {
	host, fqdn := ciHostname(g)
	var b strings.Builder
	b.WriteString("#cloud-config\nhostname: " + host + "\nmanage_etc_hosts: true\n")
	if fqdn != "" {
		b.WriteString("fqdn: " + fqdn + "\n")
	}
	user, hasUser := g.Config["ciuser"]
	if hasUser {
		b.WriteString("user: " + user + "\n")
		if user == "root" {
			b.WriteString("disable_root: False\n")
		}
	}
	if pw, ok := g.Config["cipassword"]; ok {
		b.WriteString("password: " + ciCrypt(pw, g.VMID) + "\n")
	}
	if enc, ok := g.Config["sshkeys"]; ok {
		keys, err := url.PathUnescape(enc)
		if err != nil {
			keys = enc
		}
		b.WriteString("ssh_authorized_keys:\n")
		for _, k := range strings.Split(keys, "\n") {
			if k = strings.TrimSpace(k); k != "" {
				b.WriteString("  - " + k + "\n")
			}
		}
	}
	b.WriteString("chpasswd:\n  expire: False\n")
	if !hasUser || user != "root" {
		b.WriteString("users:\n  - default\n")
	}
	if up, ok := g.Config["ciupgrade"]; !ok || boolish[up] {
		b.WriteString("package_upgrade: true\n")
	}
	return b.String()
}

// ciCrypt stands in for the SHA-256 crypt hash Proxmox stores (unless the
// value already is one).
func ciCrypt(pw string, vmid int) string {
	if strings.HasPrefix(pw, "$") {
		return pw
	}
	salt := fmt.Sprintf("%08x", vmid*2654435761%(1<<32))
	sum := sha256.Sum256([]byte(salt + pw))
	return "$5$" + salt + "$" + strings.TrimRight(base64.StdEncoding.EncodeToString(sum[:]), "=")
}

// ciNetworkConfig renders the nocloud network config (version 1): one
// physical interface per NIC with its ipconfig, then the DNS settings.
func ciNetworkConfig(g *Guest) string {
	var b strings.Builder
	b.WriteString("version: 1\nconfig:\n")
	for i := 0; i < 32; i++ {
		nic, ok := g.Config[fmt.Sprintf("net%d", i)]
		if !ok {
			continue
		}
		b.WriteString(fmt.Sprintf("    - type: physical\n      name: eth%d\n", i))
		if mac := extrasNICMAC(nic); mac != "" {
			b.WriteString("      mac_address: '" + strings.ToLower(mac) + "'\n")
		}
		ipc := g.Config[fmt.Sprintf("ipconfig%d", i)]
		if ipc == "" {
			continue
		}
		b.WriteString("      subnets:\n")
		props := map[string]string{}
		for _, p := range strings.Split(ipc, ",") {
			k, v, _ := strings.Cut(p, "=")
			props[k] = v
		}
		switch ip := props["ip"]; {
		case ip == "dhcp":
			b.WriteString("      - type: dhcp4\n")
		case ip != "":
			addr, mask := ip, ""
			if a, n, err := net.ParseCIDR(ip); err == nil {
				addr, mask = a.String(), net.IP(n.Mask).String()
			}
			b.WriteString("      - type: static\n        address: '" + addr + "'\n")
			if mask != "" {
				b.WriteString("        netmask: '" + mask + "'\n")
			}
			if gw := props["gw"]; gw != "" {
				b.WriteString("        gateway: '" + gw + "'\n")
			}
		}
		switch ip6 := props["ip6"]; ip6 {
		case "":
		case "dhcp":
			b.WriteString("      - type: dhcp6\n")
		case "auto":
			b.WriteString("      - type: ipv6_slaac\n")
		default:
			b.WriteString("      - type: static6\n        address: '" + ip6 + "'\n")
			if gw := props["gw6"]; gw != "" {
				b.WriteString("        gateway: '" + gw + "'\n")
			}
		}
	}
	ns, sd := strings.Fields(g.Config["nameserver"]), strings.Fields(g.Config["searchdomain"])
	if len(ns) > 0 || len(sd) > 0 {
		b.WriteString("    - type: nameserver\n")
		if len(ns) > 0 {
			b.WriteString("      address:\n")
			for _, a := range ns {
				b.WriteString("      - '" + a + "'\n")
			}
		}
		if len(sd) > 0 {
			b.WriteString("      search:\n")
			for _, d := range sd {
				b.WriteString("      - '" + d + "'\n")
			}
		}
	}
	return b.String()
}

// ciMetaData is the nocloud meta-data: an instance id that changes with
// the rendered configuration, so cloud-init in the guest runs again.
func ciMetaData(g *Guest) string {
	sum := sha1.Sum([]byte(ciUserData(g) + ciNetworkConfig(g)))
	return "instance-id: " + hex.EncodeToString(sum[:]) + "\n"
}

func extrasNICMAC(nic string) string {
	for _, p := range strings.Split(nic, ",") {
		k, v, ok := strings.Cut(p, "=")
		if ok && (inList(nicModels, k) || k == "macaddr" || k == "hwaddr") {
			return v
		}
	}
	return ""
}

var (
	reQemuDrive          = regexp.MustCompile(`^(ide[0-3]|sata[0-5]|scsi([12]?[0-9]|30)|virtio(1[0-5]|[0-9])|efidisk0|tpmstate0)$`)
	reQemuDriveOrUnused  = regexp.MustCompile(`^(ide[0-3]|sata[0-5]|scsi([12]?[0-9]|30)|virtio(1[0-5]|[0-9])|efidisk0|tpmstate0|unused(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9]))$`)
	reLxcVolume          = regexp.MustCompile(`^(rootfs|mp(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9]))$`)
	reLxcVolumeOrUnused  = regexp.MustCompile(`^(rootfs|mp(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])|unused(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9]))$`)
	reResizeSize         = regexp.MustCompile(`^\+?\d+(\.\d+)?[KMGT]?$`)
	reDownloadURL        = regexp.MustCompile(`^https?://.*`)
	reDownloadISO        = regexp.MustCompile(`(?i)\.(iso|img)$`)
	reDownloadVztmpl     = regexp.MustCompile(`\.tar\.(gz|xz|zst|bz2)$`)
	reDownloadImport     = regexp.MustCompile(`(?i)\.(ova|ovf|qcow2|raw|vmdk|img)$`)
	reDownloadUnsafeName = regexp.MustCompile(`[^a-zA-Z0-9_.\-]`)
)

// extrasCheckEnum checks an optional enum parameter Proxmox declares with a
// long generated enumeration (disk keys), answering its 400.
func extrasCheckEnum(c *Call, name string, re *regexp.Regexp) error {
	if v := c.Str(name); c.Has(name) && !re.MatchString(v) {
		return badParam(name, fmt.Sprintf("value '%s' does not have a value in the enumeration", v))
	}
	return nil
}

// extrasNewSize applies a resize request ("+10G", "50G", bytes without a
// unit) to a size in bytes.
func extrasNewSize(size int64, req string) int64 {
	add, grow := strings.CutPrefix(req, "+")
	n := parseSize(add)
	if grow {
		return size + n
	}
	return n
}

// extrasFormatSize writes a size as PVE::JSONSchema::format_size does: the
// largest unit that divides it exactly.
func extrasFormatSize(b int64) string {
	units := []string{"", "K", "M", "G", "T"}
	i := 0
	for i < len(units)-1 && b != 0 && b%1024 == 0 {
		b /= 1024
		i++
	}
	return strconv.FormatInt(b, 10) + units[i]
}

// extrasVolume is the volume of a drive property string (its first item).
func extrasVolume(v string) string {
	first, _, _ := strings.Cut(v, ",")
	for _, p := range []string{"file=", "volume="} {
		first = strings.TrimPrefix(first, p)
	}
	return first
}

// extrasSetProp sets key=val in a property string, keeping its volume first.
func extrasSetProp(v, key, val string) string {
	parts := strings.Split(v, ",")
	for i, p := range parts {
		if i > 0 && strings.HasPrefix(p, key+"=") {
			parts[i] = key + "=" + val
			return strings.Join(parts, ",")
		}
	}
	if len(parts) == 1 {
		return v + "," + key + "=" + val
	}
	return strings.Join(append(parts[:1], append([]string{key + "=" + val}, parts[1:]...)...), ",")
}

// extrasRename replaces the volume of a drive property string.
func extrasRename(v, volid string) string {
	_, rest, ok := strings.Cut(v, ",")
	if !ok {
		return volid
	}
	return volid + "," + rest
}

// extrasInSnapshots reports whether a snapshot still references a volume.
func extrasInSnapshots(g *Guest, volid string) bool {
	for _, sn := range g.Snapshots {
		for k, v := range sn.Config {
			if isDiskKey(k) && extrasVolume(v) == volid {
				return true
			}
		}
	}
	return false
}

// extrasMove serves qemu move_disk and lxc move_volume: to another storage
// (a copy; the source kept as unusedN unless delete) or to another guest of
// the same type on the same node (the volume renamed and reassigned).
func (s *Sim) extrasMove(c *Call, g *Guest, keyParam, targetKeyParam string) (any, error) {
	key, storage := c.Str(keyParam), c.Str("storage")
	targetVMID := c.Int("target-vmid")
	word := typeWord(g.Type)
	if storage != "" && c.Has("target-vmid") && targetVMID != g.VMID {
		return nil, fail("moving to another storage and to another %s at once is not supported", word)
	}
	if storage == "" && !c.Has("target-vmid") {
		if g.Type == "lxc" {
			return nil, fail("Provide either a 'storage' to move the mount point to a different storage or 'target-vmid' and 'target-mp' to move the mount point to another container")
		}
		return nil, fail("Provide either a 'storage' to move the disk to a different storage or 'target-vmid' and 'target-disk' to move the disk to another VM")
	}
	if storage != "" {
		return s.extrasMoveStorage(c, g, key, storage)
	}
	return s.extrasReassign(c, g, key, targetVMID, targetKeyParam)
}

func (s *Sim) extrasMoveStorage(c *Call, g *Guest, key, storage string) (any, error) {
	if d := c.Str("digest"); d != "" && !inList(configDigests(g), d) {
		return nil, fail("VM config checksum missmatch (file change by other user?)")
	}
	if g.Lock != "" {
		return nil, fail("%s is locked (%s)", typeWord(g.Type), g.Lock)
	}
	if g.Type == "lxc" && g.Status == "running" {
		return nil, fail("cannot move volumes of a running container")
	}
	v, ok := g.Config[key]
	if !ok {
		return nil, fail("disk '%s' does not exist", key)
	}
	if strings.Contains(v, "media=cdrom") {
		return nil, fail("you can't move a cdrom")
	}
	old := extrasVolume(v)
	oldStorage, name, ok := strings.Cut(old, ":")
	if !ok {
		return nil, fail("disk '%s' has no associated volume", key)
	}
	st := s.storageByID(storage)
	if st == nil {
		return nil, fail("storage '%s' does not exist", storage)
	}
	content := "images"
	if g.Type == "lxc" {
		content = "rootdir"
	}
	if !st.has(content) {
		return nil, fail("storage '%s' does not support content-type '%s'", storage, content)
	}
	if !st.onNode(g.Node) || st.Disable {
		return nil, fail("storage '%s' is not available on node '%s'", storage, g.Node)
	}
	format := c.Str("format")
	if oldStorage == storage && (format == "" || format == extrasFormatOf(name)) {
		return nil, fail("you can't move to the same storage with same format")
	}
	if format != "" && format != "raw" && !extrasFileStorage(st) {
		return nil, fail("storage '%s' does not support format '%s'", storage, format)
	}
	del := c.Bool("delete")
	if del && extrasInSnapshots(g, old) {
		return nil, fail("you can't move a disk with snapshots and delete the source")
	}
	typ, id := "qmmove", strconv.Itoa(g.VMID)
	if g.Type == "lxc" {
		typ = "move_volume"
	}
	g.Lock = "disk"
	return s.startTask(g.Node, typ, id, c.User, func(t *Task) error {
		g.Lock = ""
		base := strings.TrimSuffix(name, "."+extrasFormatOf(name))
		if format != "" && format != "raw" {
			base += "." + format
		}
		newVol := storage + ":" + base
		t.Log = append(t.Log, fmt.Sprintf("moving %s '%s' to '%s'", key, old, newVol))
		g.Config[key] = extrasRename(g.Config[key], newVol)
		if del {
			t.Log = append(t.Log, fmt.Sprintf("removing volume '%s'", old))
		} else {
			g.Config[fmt.Sprintf("unused%d", nextUnused(g))] = old
		}
		return nil
	}), nil
}

func (s *Sim) extrasReassign(c *Call, g *Guest, key string, targetVMID int, targetKeyParam string) (any, error) {
	word := typeWord(g.Type)
	if targetVMID == g.VMID {
		return nil, fail("Reassigning a disk to the same %s is not possible. Did you mean to move the disk?", word)
	}
	tg := s.guests[targetVMID]
	if tg == nil || tg.Type != g.Type || tg.Node != g.Node {
		dir := "qemu-server"
		if g.Type == "lxc" {
			dir = "lxc"
		}
		return nil, fail("Configuration file 'nodes/%s/%s/%d.conf' does not exist", g.Node, dir, targetVMID)
	}
	if g.Template || tg.Template {
		return nil, fail("Can't move disks from or to template %ss", word)
	}
	if d := c.Str("digest"); d != "" && !inList(configDigests(g), d) {
		return nil, fail("Source %s config checksum missmatch (file change by other user?)", word)
	}
	if d := c.Str("target-digest"); d != "" && !inList(configDigests(tg), d) {
		return nil, fail("Target %s config checksum missmatch (file change by other user?)", word)
	}
	v, ok := g.Config[key]
	if !ok {
		return nil, fail("disk '%s' for %s '%d' does not exist", key, word, g.VMID)
	}
	targetKey := c.Str(targetKeyParam)
	if targetKey == "" {
		targetKey = key
	}
	if _, used := tg.Config[targetKey]; used {
		return nil, fail("Target disk key '%s' is already in use for %s '%d'", targetKey, word, targetVMID)
	}
	if strings.Contains(v, "media=cdrom") {
		return nil, fail("CD drive contents can't be moved to another VM")
	}
	old := extrasVolume(v)
	if extrasInSnapshots(g, old) {
		return nil, fail("Can't move disk used by a snapshot to another %s", word)
	}
	if g.Status == "running" && !indexedKey(key, "unused") {
		return nil, fail("Cannot move disk to another %s while the source %s is running - detach first", word, word)
	}
	if g.Type == "lxc" && tg.Status == "running" {
		return nil, fail("Cannot move volume to a running container")
	}
	storage, _, _ := strings.Cut(old, ":")
	id := fmt.Sprintf("%d-%s>%d-%s", g.VMID, key, targetVMID, targetKey)
	return s.startTask(g.Node, map[string]string{"qemu": "qmmove", "lxc": "move_volume"}[g.Type], id, c.User, func(t *Task) error {
		newVol := fmt.Sprintf("%s:vm-%d-disk-%d", storage, targetVMID, nextDiskIndex(tg))
		val := extrasRename(g.Config[key], newVol)
		if indexedKey(targetKey, "unused") {
			val = newVol
		}
		delete(g.Config, key)
		tg.Config[targetKey] = val
		t.Log = append(t.Log, fmt.Sprintf("renamed volume '%s' to '%s'", old, newVol),
			fmt.Sprintf("moved %s of %s %d to %s of %s %d", key, word, g.VMID, targetKey, word, targetVMID))
		return nil
	}), nil
}

func extrasFormatOf(name string) string {
	for _, f := range []string{"qcow2", "vmdk", "raw"} {
		if strings.HasSuffix(name, "."+f) {
			return f
		}
	}
	return "raw"
}

func extrasFileStorage(st *Storage) bool {
	switch st.Type {
	case "dir", "nfs", "cifs", "btrfs", "cephfs":
		return true
	}
	return false
}

// extrasUnlink serves PUT .../unlink: each listed drive leaves the config;
// without force a disk is kept as unusedN, with force (and always for an
// unusedN) its volume is destroyed. Changes Proxmox cannot hot-unplug from
// a running VM wait in pending.
func (s *Sim) extrasUnlink(c *Call, g *Guest) error {
	if g.Lock != "" {
		return fail("VM is locked (%s)", g.Lock)
	}
	var ids []string
	for _, id := range pveListItems(c.Str("idlist")) {
		if lookupParam(s.routeParams(&Call{Method: "PUT", Path: fmt.Sprintf("/nodes/%s/qemu/%d/config", g.Node, g.VMID)}), id) == nil {
			return badParam("idlist", fmt.Sprintf("invalid configuration ID '%s'", id))
		}
		ids = append(ids, id)
	}
	if len(ids) == 0 {
		return badParam("idlist", "property is missing and it is not optional")
	}
	force := c.Bool("force")
	for _, k := range ids {
		v, ok := g.Config[k]
		if !ok {
			continue // Proxmox warns "cannot delete 'k' - not set in current configuration!"
		}
		if g.Status == "running" && !qemuHotplug(k) {
			g.pend(k, "")
			continue
		}
		delete(g.Config, k)
		delete(g.Pending, k)
		if isDiskKey(k) && !force && !strings.Contains(v, "media=cdrom") {
			g.Config[fmt.Sprintf("unused%d", nextUnused(g))] = extrasVolume(v)
		}
	}
	return nil
}

// extrasMakeTemplate turns a guest (or one VM disk) into a template: its
// volumes become base images and the guest is flagged template.
func (s *Sim) extrasMakeTemplate(g *Guest, only string, t *Task) {
	prefix := fmt.Sprintf("vm-%d-", g.VMID)
	for _, k := range sortedKeys(g.Config) {
		v := g.Config[k]
		if !isDiskKey(k) || (only != "" && k != only) || strings.Contains(v, "media=cdrom") {
			continue
		}
		vol := extrasVolume(v)
		sid, name, ok := strings.Cut(vol, ":")
		if !ok || !strings.HasPrefix(name, prefix) {
			continue
		}
		base := sid + ":base-" + strings.TrimPrefix(name, "vm-")
		g.Config[k] = extrasRename(v, base)
		t.Log = append(t.Log, fmt.Sprintf("%s: converted '%s' to base image '%s'", k, vol, base))
	}
	g.Template = true
	g.Config["template"] = "1"
}

// extrasDownload serves download-url: checks as Proxmox makes them, then a
// "download" task that stores the file. The simulator cannot fetch the URL:
// a checksum of all zeros stands for a mismatch, any other is taken as
// verified, and a host under .invalid cannot be resolved.
func (s *Sim) extrasDownload(c *Call) (any, error) {
	rawURL := c.Str("url")
	if !reDownloadURL.MatchString(rawURL) {
		return nil, badParam("url", "value does not match the regex pattern")
	}
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" {
		return nil, badParam("url", "invalid URL")
	}
	content := c.Str("content")
	name := reDownloadUnsafeName.ReplaceAllString(c.Str("filename"), "_")
	ext := map[string]*regexp.Regexp{"iso": reDownloadISO, "vztmpl": reDownloadVztmpl, "import": reDownloadImport}[content]
	if !ext.MatchString(name) {
		return nil, badParam("filename", "wrong file extension")
	}
	sum, algo := strings.ToLower(c.Str("checksum")), c.Str("checksum-algorithm")
	if (sum == "") != (algo == "") {
		return nil, badParam("checksum-algorithm", "'checksum' and 'checksum-algorithm' must be given together")
	}
	st, err := s.storageOnNode(c)
	if err != nil {
		return nil, err
	}
	if !st.has(content) {
		return nil, fail("storage '%s' is not configured for content-type '%s'", st.ID, content)
	}
	node := c.Str("node")
	dir := map[string]string{"iso": "iso", "vztmpl": "vztmpl", "import": "import"}[content]
	volid := st.ID + ":" + dir + "/" + name
	if s.volumeOn(volid, node) != nil {
		return nil, fail("refusing to override existing file '%s'", name)
	}
	volNode := st.holder(node)
	return s.startTask(node, "download", name, c.User, func(t *Task) error {
		t.Log = append(t.Log, fmt.Sprintf("downloading %s to %s", rawURL, volid))
		if strings.HasSuffix(u.Hostname(), ".invalid") {
			return fmt.Errorf("download failed: 500 Can't connect to %s:443 (Name or service not known)", u.Hostname())
		}
		h := sha512.Sum512([]byte(rawURL))
		size := int64(50+int(h[0])%200) * 1048576
		t.Log = append(t.Log, fmt.Sprintf("%d bytes downloaded", size))
		if sum != "" {
			t.Log = append(t.Log, "calculating checksum...")
			if strings.Trim(sum, "0") == "" {
				got := hex.EncodeToString(h[:])[:len(sum)]
				return fmt.Errorf("checksum mismatch: got '%s' != expect '%s'", got, sum)
			}
			t.Log = append(t.Log, "checksum verified")
		}
		if s.volumeOn(volid, node) != nil {
			return fmt.Errorf("refusing to override existing file '%s'", name)
		}
		if s.storageByID(st.ID) != st {
			return fmt.Errorf("storage '%s' does not exist", st.ID)
		}
		format := strings.ToLower(name[strings.LastIndex(name, ".")+1:])
		if content == "vztmpl" {
			format = "t" + strings.TrimPrefix(format, "t")
		}
		s.addVolume(&Volume{Storage: st.ID, Node: volNode, VolID: volid, Content: content, Format: format, Size: size, CTime: s.now().Unix()})
		t.Log = append(t.Log, fmt.Sprintf("download of '%s' to '%s' finished", rawURL, volid))
		return nil
	}), nil
}

// extrasAppliances is the appliance index (aplinfo) as a node has it after
// pveam update: the Proxmox system templates and some TurnKey appliances.
func extrasAppliances() []map[string]any {
	type apl struct{ section, pkg, version, os, headline string }
	list := []apl{
		{"system", "alpine-3.21-default", "20241217", "alpine", "Alpine Linux 3.21 (default)"},
		{"system", "almalinux-9-default", "20240911", "almalinux", "AlmaLinux 9 (default)"},
		{"system", "archlinux-base", "20240911-1", "archlinux", "ArchLinux base image"},
		{"system", "debian-12-standard", "12.7-1", "debian-12", "Debian 12 Bookworm (standard)"},
		{"system", "debian-13-standard", "13.1-2", "debian-13", "Debian 13 Trixie (standard)"},
		{"system", "fedora-42-default", "20250428", "fedora", "Fedora 42 (default)"},
		{"system", "rockylinux-9-default", "20240912", "rockylinux", "Rocky Linux 9 (default)"},
		{"system", "ubuntu-24.04-standard", "24.04-2", "ubuntu-24.04", "Ubuntu 24.04 Noble (standard)"},
		{"turnkeylinux", "debian-12-turnkey-gitea", "18.1-1", "debian-12", "TurnKey Gitea"},
		{"turnkeylinux", "debian-12-turnkey-nextcloud", "18.2-1", "debian-12", "TurnKey Nextcloud"},
		{"turnkeylinux", "debian-12-turnkey-wordpress", "18.3-1", "debian-12", "TurnKey WordPress"},
		{"mail", "proxmox-mailgateway-8.2-standard", "8.2-1", "debian-12", "Proxmox Mail Gateway 8.2"},
	}
	out := make([]map[string]any, 0, len(list))
	for _, a := range list {
		ext := "tar.zst"
		if a.section == "turnkeylinux" {
			ext = "tar.gz"
		}
		tmpl := fmt.Sprintf("%s_%s_amd64.%s", a.pkg, a.version, ext)
		source := "http://download.proxmox.com/images"
		if a.section == "turnkeylinux" {
			source = "https://releases.turnkeylinux.org/pve"
		}
		sha, md := sha512.Sum512([]byte(tmpl)), md5.Sum([]byte(tmpl))
		maintainer := "Proxmox Support Team <support@proxmox.com>"
		if a.section == "turnkeylinux" {
			maintainer = "Turnkey Linux <admin@turnkeylinux.org>"
		}
		out = append(out, map[string]any{
			"template": tmpl, "package": a.pkg, "version": a.version, "os": a.os, "section": a.section, "type": "lxc",
			"headline": a.headline, "architecture": "amd64",
			"description": a.headline + ": a container template ready for pct create.",
			"location":    source + "/" + a.section + "/" + tmpl, "source": source,
			"infopage":   "https://pve.proxmox.com/wiki/Linux_Container#pct_supported_distributions",
			"maintainer": maintainer,
			"sha512sum":  hex.EncodeToString(sha[:]), "md5sum": hex.EncodeToString(md[:]),
		})
	}
	return out
}
