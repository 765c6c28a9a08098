package pvesim

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Disk operations VMs and containers share: resize sizes, moving a disk to
// another storage or guest, unlink, and conversion to a template. The
// routes that use them are in qemu.go and lxc.go.

// checkEnum checks an optional enum parameter Proxmox declares with a
// long generated enumeration (disk keys), answering its 400.
func checkEnum(c *Call, name string, re *regexp.Regexp) error {
	if v := c.Str(name); c.Has(name) && !re.MatchString(v) {
		return badParam(name, fmt.Sprintf("value '%s' does not have a value in the enumeration", v))
	}
	return nil
}

// grownSize applies a resize request ("+10G", "50G", bytes without a
// unit) to a size in bytes.
func grownSize(size int64, req string) int64 {
	add, grow := strings.CutPrefix(req, "+")
	n := parseSize(add)
	if grow {
		return size + n
	}
	return n
}

// formatSize writes a size as PVE::JSONSchema::format_size does: the
// largest unit that divides it exactly.
func formatSize(b int64) string {
	units := []string{"", "K", "M", "G", "T"}
	i := 0
	for i < len(units)-1 && b != 0 && b%1024 == 0 {
		b /= 1024
		i++
	}
	return strconv.FormatInt(b, 10) + units[i]
}

// volumeOf is the volume of a drive property string (its first item).
func volumeOf(v string) string {
	first, _, _ := strings.Cut(v, ",")
	for _, p := range []string{"file=", "volume="} {
		first = strings.TrimPrefix(first, p)
	}
	return first
}

// setProp sets key=val in a property string, keeping its volume first.
func setProp(v, key, val string) string {
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

// renameVolume replaces the volume of a drive property string.
func renameVolume(v, volid string) string {
	_, rest, ok := strings.Cut(v, ",")
	if !ok {
		return volid
	}
	return volid + "," + rest
}

// volumeInSnapshots reports whether a snapshot still references a volume.
func volumeInSnapshots(g *Guest, volid string) bool {
	for _, sn := range g.Snapshots {
		for k, v := range sn.Config {
			if isDiskKey(k) && volumeOf(v) == volid {
				return true
			}
		}
	}
	return false
}

// moveDisk serves qemu move_disk and lxc move_volume: to another storage
// (a copy; the source kept as unusedN unless delete) or to another guest of
// the same type on the same node (the volume renamed and reassigned).
func (s *Sim) moveDisk(c *Call, g *Guest, keyParam, targetKeyParam string) (any, error) {
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
		return s.moveDiskStorage(c, g, key, storage)
	}
	return s.reassignDisk(c, g, key, targetVMID, targetKeyParam)
}

func (s *Sim) moveDiskStorage(c *Call, g *Guest, key, storage string) (any, error) {
	if d := c.Str("digest"); d != "" && !slices.Contains(configDigests(g), d) {
		return nil, fail("VM config checksum missmatch (file change by other user?)")
	}
	if err := g.checkLock(false); err != nil {
		return nil, err
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
	old := volumeOf(v)
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
	if oldStorage == storage && (format == "" || format == volumeFormatOf(name)) {
		return nil, fail("you can't move to the same storage with same format")
	}
	if format != "" && format != "raw" && !fileStorage(st) {
		return nil, fail("storage '%s' does not support format '%s'", storage, format)
	}
	del := c.Bool("delete")
	if del && volumeInSnapshots(g, old) {
		return nil, fail("you can't move a disk with snapshots and delete the source")
	}
	typ, id := "qmmove", strconv.Itoa(g.VMID)
	if g.Type == "lxc" {
		typ = "move_volume"
	}
	// pve-container sets the "disk" lock; qemu-server holds the config
	// file's flock instead (its lock enum has no "disk").
	if g.Type == "lxc" {
		g.Lock = "disk"
	} else {
		g.fileLocked = true
	}
	base := strings.TrimSuffix(name, "."+volumeFormatOf(name))
	if format != "" && format != "raw" {
		base += "." + format
	}
	newVol := storage + ":" + base
	first := []string{fmt.Sprintf("moving %s '%s' to '%s'", key, old, newVol)}
	var during []string
	if g.Type == "qemu" {
		during = driveCopyLog(key, old, sizeOf(g.Config[key]), g.Status == "running", false)
	}
	return s.startLoggedTask(g.Node, typ, id, c.User, first, during, func(t *Task) error {
		g.Lock, g.fileLocked = "", false
		g.Config[key] = renameVolume(g.Config[key], newVol)
		if del {
			t.Log = append(t.Log, fmt.Sprintf("removing volume '%s'", old))
		} else {
			g.Config[fmt.Sprintf("unused%d", nextUnused(g))] = old
		}
		return nil
	}), nil
}

func (s *Sim) reassignDisk(c *Call, g *Guest, key string, targetVMID int, targetKeyParam string) (any, error) {
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
	for _, x := range []*Guest{g, tg} {
		if err := x.checkLock(false); err != nil {
			return nil, err
		}
	}
	if d := c.Str("digest"); d != "" && !slices.Contains(configDigests(g), d) {
		return nil, fail("Source %s config checksum missmatch (file change by other user?)", word)
	}
	if d := c.Str("target-digest"); d != "" && !slices.Contains(configDigests(tg), d) {
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
	old := volumeOf(v)
	if volumeInSnapshots(g, old) {
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
		val := renameVolume(g.Config[key], newVol)
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

func volumeFormatOf(name string) string {
	for _, f := range []string{"qcow2", "vmdk", "raw"} {
		if strings.HasSuffix(name, "."+f) {
			return f
		}
	}
	return "raw"
}

func fileStorage(st *Storage) bool {
	switch st.Type {
	case "dir", "nfs", "cifs", "btrfs", "cephfs":
		return true
	}
	return false
}

// unlinkDisks serves PUT .../unlink: each listed drive leaves the config;
// without force a disk is kept as unusedN, with force (and always for an
// unusedN) its volume is destroyed. Changes Proxmox cannot hot-unplug from
// a running VM wait in pending.
func (s *Sim) unlinkDisks(c *Call, g *Guest) error {
	if err := g.checkLock(false); err != nil {
		return err
	}
	var ids []string
	for _, id := range splitList(c.Str("idlist")) {
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
			g.Config[fmt.Sprintf("unused%d", nextUnused(g))] = volumeOf(v)
		}
	}
	return nil
}

// makeTemplate turns a guest (or one VM disk) into a template: its
// volumes become base images and the guest is flagged template.
func (s *Sim) makeTemplate(g *Guest, only string, t *Task) {
	prefix := fmt.Sprintf("vm-%d-", g.VMID)
	for _, k := range sortedKeys(g.Config) {
		v := g.Config[k]
		if !isDiskKey(k) || (only != "" && k != only) || strings.Contains(v, "media=cdrom") {
			continue
		}
		vol := volumeOf(v)
		sid, name, ok := strings.Cut(vol, ":")
		if !ok || !strings.HasPrefix(name, prefix) {
			continue
		}
		base := sid + ":base-" + strings.TrimPrefix(name, "vm-")
		g.Config[k] = renameVolume(v, base)
		t.Log = append(t.Log, fmt.Sprintf("%s: converted '%s' to base image '%s'", k, vol, base))
	}
	g.Template = true
	g.Config["template"] = "1"
}

var (
	reQemuDrive          = lazyRegexp(`^(ide[0-3]|sata[0-5]|scsi([12]?[0-9]|30)|virtio(1[0-5]|[0-9])|efidisk0|tpmstate0)$`)
	reQemuDriveOrUnused  = lazyRegexp(`^(ide[0-3]|sata[0-5]|scsi([12]?[0-9]|30)|virtio(1[0-5]|[0-9])|efidisk0|tpmstate0|unused(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9]))$`)
	reLxcVolume          = lazyRegexp(`^(rootfs|mp(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9]))$`)
	reLxcVolumeOrUnused  = lazyRegexp(`^(rootfs|mp(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])|unused(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9]))$`)
	reResizeSize         = lazyRegexp(`^\+?\d+(\.\d+)?[KMGT]?$`)
	reDownloadURL        = lazyRegexp(`^https?://.*`)
	reDownloadISO        = lazyRegexp(`(?i)\.(iso|img)$`)
	reDownloadVztmpl     = lazyRegexp(`\.tar\.(gz|xz|zst|bz2)$`)
	reDownloadImport     = lazyRegexp(`(?i)\.(ova|ovf|qcow2|raw|vmdk|img)$`)
	reDownloadUnsafeName = lazyRegexp(`[^a-zA-Z0-9_.\-]`)
)
