package pvesim

import (
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Storage is one storage definition from /storage (storage.cfg).
type Storage struct {
	ID      string
	Type    string   // dir, lvmthin, nfs, rbd, zfspool, pbs ...
	Content []string // images, rootdir, iso, vztmpl, backup, snippets, import
	Nodes   []string // empty: all nodes
	Shared  bool
	Disable bool
	Props   map[string]string // path, server, export, vgname, thinpool, pool ...
	Total   int64             // bytes per node (or in all, when shared)
}

// Volume is one file or volume stored on a storage: an ISO, a container
// template, a backup archive. Guest disks are not stored here: they are
// derived from the guests' configs, so they follow guests as they change.
type Volume struct {
	Storage   string
	Node      string // the node holding it on a local storage; "" on a shared one
	VolID     string // storage:content/name, e.g. local:iso/debian.iso
	Content   string // iso, vztmpl, backup, snippets, import
	Format    string // iso, tzst, tar, vma.zst, tar.zst ...
	Size      int64
	CTime     int64
	VMID      int    // backups
	Subtype   string // backups: qemu or lxc
	Notes     string
	Protected bool
	// Config is the guest configuration a backup archive carries (its
	// qemu-server.conf or pct.conf): what a restore writes back.
	Config map[string]string
}

type storageState struct {
	list    []*Storage
	volumes []*Volume
}

func (s *Sim) seedStorage() {
	s.storage.list = []*Storage{
		{ID: "local", Type: "dir", Content: []string{"iso", "vztmpl", "backup", "snippets", "import"}, Props: map[string]string{"path": "/var/lib/vz"}, Total: 94 * gib},
		{ID: "local-lvm", Type: "lvmthin", Content: []string{"images", "rootdir"}, Props: map[string]string{"vgname": "pve", "thinpool": "data"}, Total: 1700 * gib},
		{ID: "nfs-backup", Type: "nfs", Content: []string{"backup", "iso"}, Shared: true, Props: map[string]string{"server": "10.0.0.50", "export": "/export/pve", "path": "/mnt/pve/nfs-backup", "prune-backups": "keep-daily=7,keep-weekly=4"}, Total: 8000 * gib},
	}
	now := s.now()
	day := 24 * time.Hour
	for _, n := range s.nodes {
		for i, iso := range []struct {
			name string
			size int64
		}{{"debian-12.7.0-amd64-netinst.iso", 661651456}, {"ubuntu-24.04.1-live-server-amd64.iso", 2773874688}, {"virtio-win-0.1.262.iso", 709640192}} {
			s.addVolume(&Volume{Storage: "local", Node: n.Name, Content: "iso", Format: "iso", Size: iso.size, CTime: now.Add(-time.Duration(90-i*20) * day).Unix(), VolID: "local:iso/" + iso.name})
		}
		for i, tpl := range []struct {
			name string
			size int64
		}{{"debian-12-standard_12.7-1_amd64.tar.zst", 126469346}, {"ubuntu-24.04-standard_24.04-2_amd64.tar.zst", 141866560}} {
			s.addVolume(&Volume{Storage: "local", Node: n.Name, Content: "vztmpl", Format: "tzst", Size: tpl.size, CTime: now.Add(-time.Duration(60-i*15) * day).Unix(), VolID: "local:vztmpl/" + tpl.name})
		}
	}
	s.addVolume(&Volume{Storage: "nfs-backup", Content: "iso", Format: "iso", Size: 6291456000, CTime: now.Add(-200 * day).Unix(), VolID: "nfs-backup:iso/Win11_24H2_English_x64.iso"})
	// A week of nightly backups of every guest on the NFS share, as the
	// seeded nightly job makes them, and one manual backup on local.
	for _, g := range s.sortedGuests() {
		if g.Template {
			continue
		}
		for d := 7; d >= 1; d-- {
			at := now.Add(-time.Duration(d) * day).Truncate(day).Add(time.Hour + time.Duration(g.VMID%50)*time.Second)
			s.addVolume(backupVolume("nfs-backup", "", g, at, "zst", g.name()))
		}
	}
	if g := s.guests[101]; g != nil {
		v := backupVolume("local", g.Node, g, now.Add(-72*time.Hour).Truncate(time.Minute), "zst", "before PostgreSQL 16 upgrade")
		v.Protected = true
		s.addVolume(v)
	}
}

// backupVolume describes the archive vzdump writes for a guest at a time.
func backupVolume(storage, node string, g *Guest, at time.Time, compress, notes string) *Volume {
	kind, ext := "qemu", "vma"
	if g.Type == "lxc" {
		kind, ext = "lxc", "tar"
	}
	if compress != "" {
		ext += "." + compress
	}
	name := fmt.Sprintf("vzdump-%s-%d-%s.%s", kind, g.VMID, at.UTC().Format("2006_01_02-15_04_05"), ext)
	return &Volume{Storage: storage, Node: node, VolID: storage + ":backup/" + name, Content: "backup", Format: ext,
		Size: g.diskBytes()/5 + int64(g.VMID)*1048576, CTime: at.Unix(), VMID: g.VMID, Subtype: kind, Notes: notes,
		Config: cloneMap(g.Config)}
}

func (s *Sim) addVolume(v *Volume) { s.storage.volumes = append(s.storage.volumes, v) }

// volumeOn finds a stored volume by volid as seen from a node.
func (s *Sim) volumeOn(volid, node string) *Volume {
	for _, v := range s.storage.volumes {
		if v.VolID == volid && (v.Node == "" || v.Node == node) {
			return v
		}
	}
	return nil
}

func (s *Sim) storageByID(id string) *Storage {
	for _, st := range s.storage.list {
		if st.ID == id {
			return st
		}
	}
	return nil
}

// holder is the node a new volume on st belongs to: "" on a shared
// storage, where every node sees it.
func (st *Storage) holder(node string) string {
	if st.isShared() {
		return ""
	}
	return node
}

func (st *Storage) onNode(node string) bool {
	if len(st.Nodes) == 0 {
		return true
	}
	for _, n := range st.Nodes {
		if n == node {
			return true
		}
	}
	return false
}

func (st *Storage) has(content string) bool {
	for _, c := range st.Content {
		if c == content {
			return true
		}
	}
	return false
}

// isShared reports whether the storage has the same content on every node:
// network storages always, local ones when flagged shared.
func (st *Storage) isShared() bool {
	switch st.Type {
	case "nfs", "cifs", "cephfs", "rbd", "pbs", "iscsi", "iscsidirect", "esxi":
		return true
	}
	return st.Shared
}

// storageUsed is a plausible used figure: guest disks and stored files on
// the storage plus a base.
func (s *Sim) storageUsed(st *Storage, node string) int64 {
	if st.ID == "nfs-backup" {
		return st.Total * 83 / 100 // nearly full: a realistic thing to notice
	}
	used := st.Total / 7
	for _, im := range s.imageVolumes(st, node) {
		used += im.Size
	}
	for _, v := range s.storage.volumes {
		if v.Storage == st.ID && (v.Node == "" || v.Node == node) {
			used += v.Size
		}
	}
	if used > st.Total {
		used = st.Total
	}
	return used
}

// imageVolumes lists the guest disks that live on a storage, as seen from a
// node: every guest's for a shared storage, the node's own guests' otherwise.
func (s *Sim) imageVolumes(st *Storage, node string) []*Volume {
	var out []*Volume
	for _, g := range s.sortedGuests() {
		if g.Node != node && !st.isShared() {
			continue
		}
		keys := sortedKeys(g.Config)
		for _, k := range keys {
			v := g.Config[k]
			if !isDiskKey(k) || strings.Contains(v, "media=cdrom") {
				continue
			}
			name, ok := strings.CutPrefix(strings.SplitN(v, ",", 2)[0], st.ID+":")
			if !ok {
				continue
			}
			content, format := "images", "raw"
			if g.Type == "lxc" {
				content = "rootdir"
			}
			if st.Type == "dir" || st.Type == "nfs" || st.Type == "cifs" {
				if g.Type == "qemu" {
					format = "qcow2"
				}
				name = fmt.Sprintf("%d/%s", g.VMID, name)
			}
			vol := &Volume{Storage: st.ID, VolID: st.ID + ":" + name, Content: content, Format: format, Size: sizeOf(v), VMID: g.VMID}
			if g.Template {
				vol.Content = "images"
			}
			out = append(out, vol)
		}
	}
	return out
}

func (s *Sim) storageResources() []map[string]any {
	var out []map[string]any
	for _, n := range s.nodes {
		for _, st := range s.storage.list {
			if !st.onNode(n.Name) {
				continue
			}
			e := map[string]any{"id": "storage/" + n.Name + "/" + st.ID, "type": "storage", "storage": st.ID, "node": n.Name,
				"plugintype": st.Type, "content": join(st.Content), "shared": b2i(st.isShared()), "status": "available"}
			if !n.Online {
				e["status"] = "unknown"
			} else if st.Disable {
				e["status"] = "disabled"
			} else {
				e["maxdisk"], e["disk"] = st.Total, s.storageUsed(st, n.Name)
			}
			out = append(out, e)
		}
	}
	return out
}

// Storage types and what each can hold (the first list), with the content
// a new storage of the type gets when none is given (the second).
var storageTypes = map[string][2][]string{
	"dir":         {{"images", "rootdir", "vztmpl", "iso", "backup", "snippets", "import"}, {"images", "rootdir"}},
	"btrfs":       {{"images", "rootdir", "vztmpl", "iso", "backup", "snippets", "import"}, {"images", "rootdir"}},
	"nfs":         {{"images", "rootdir", "vztmpl", "iso", "backup", "snippets", "import"}, {"images"}},
	"cifs":        {{"images", "rootdir", "vztmpl", "iso", "backup", "snippets", "import"}, {"images"}},
	"cephfs":      {{"vztmpl", "iso", "backup", "snippets", "import"}, {"vztmpl", "iso", "backup"}},
	"lvm":         {{"images", "rootdir"}, {"images"}},
	"lvmthin":     {{"images", "rootdir"}, {"images", "rootdir"}},
	"zfspool":     {{"images", "rootdir"}, {"images", "rootdir"}},
	"rbd":         {{"images", "rootdir"}, {"images"}},
	"zfs":         {{"images"}, {"images"}},
	"iscsi":       {{"images"}, {"images"}},
	"iscsidirect": {{"images"}, {"images"}},
	"pbs":         {{"backup"}, {"backup"}},
	"esxi":        {{"import"}, {"import"}},
}

// storageRequired lists the options a storage type cannot do without.
var storageRequired = map[string][]string{
	"dir": {"path"}, "btrfs": {"path"}, "nfs": {"server", "export"}, "cifs": {"server", "share"},
	"lvm": {"vgname"}, "lvmthin": {"vgname", "thinpool"}, "zfspool": {"pool"},
	"iscsi": {"portal", "target"}, "iscsidirect": {"portal", "target"},
	"zfs": {"portal", "target", "pool", "blocksize", "iscsiprovider"},
	"pbs": {"server", "datastore"}, "esxi": {"server", "username", "password"},
}

// storageFixed lists options that cannot change after creation.
var storageFixed = []string{"path", "server", "export", "share", "vgname", "thinpool", "datastore", "portal", "target", "base"}

// storageSecret options are kept out of storage.cfg (Proxmox puts them in /etc/pve/priv).
var storageSecret = map[string]bool{"password": true, "encryption-key": true, "keyring": true, "master-pubkey": true}

var storageNumeric = map[string]bool{
	"krbd": true, "sparse": true, "saferemove": true, "nocow": true, "fuse": true, "port": true, "max-protected-backups": true,
	"create-base-path": true, "create-subdirs": true, "mkdir": true, "skip-cert-verification": true, "tagged_only": true,
	"nowritecache": true, "snapshot-as-volume-chain": true, "saferemove-stepsize": true,
}

var reStorageID = regexp.MustCompile(`(?i)^[a-z][a-z0-9\-_.]*[a-z0-9]$`)

// storageConfig is a storage as GET /storage lists it.
func (s *Sim) storageConfig(st *Storage) map[string]any {
	m := map[string]any{"storage": st.ID, "type": st.Type, "content": join(st.Content), "digest": s.storageDigest()}
	if len(st.Nodes) > 0 {
		m["nodes"] = join(st.Nodes)
	}
	if st.Shared {
		m["shared"] = 1
	}
	if st.Disable {
		m["disable"] = 1
	}
	for k, v := range st.Props {
		if n, err := strconv.Atoi(v); err == nil && storageNumeric[k] {
			m[k] = n
		} else {
			m[k] = v
		}
	}
	return m
}

// storageDigest fingerprints the whole storage.cfg, as Proxmox's digest does.
func (s *Sim) storageDigest() string {
	flat := map[string]string{}
	for _, st := range s.storage.list {
		p := st.ID + "."
		flat[p+"type"], flat[p+"content"], flat[p+"nodes"] = st.Type, join(st.Content), join(st.Nodes)
		flat[p+"shared"], flat[p+"disable"] = strconv.Itoa(b2i(st.Shared)), strconv.Itoa(b2i(st.Disable))
		for k, v := range st.Props {
			flat[p+k] = v
		}
	}
	return digest(flat)
}

// storageOf returns the call's storage, failing as Proxmox does.
func (s *Sim) storageOf(c *Call) (*Storage, error) {
	st := s.storageByID(c.Str("storage"))
	if st == nil {
		return nil, fail("storage '%s' does not exist", c.Str("storage"))
	}
	return st, nil
}

// storageOnNode is storageOf plus the checks Proxmox makes before touching
// a storage's content on a node.
func (s *Sim) storageOnNode(c *Call) (*Storage, error) {
	st, err := s.storageOf(c)
	if err != nil {
		return nil, err
	}
	if !st.onNode(c.Str("node")) {
		return nil, fail("storage '%s' is not available on node '%s'", st.ID, c.Str("node"))
	}
	if st.Disable {
		return nil, fail("storage '%s' is disabled", st.ID)
	}
	return st, nil
}

// parseContent checks a content list against what the storage type can hold.
func parseContent(typ, list string) ([]string, error) {
	var out []string
	for _, c := range strings.Split(list, ",") {
		c = strings.TrimSpace(c)
		if c == "" || c == "none" {
			continue
		}
		ok := false
		for _, v := range storageTypes[typ][0] {
			ok = ok || v == c
		}
		if !ok {
			return nil, badParam("content", fmt.Sprintf("storage type '%s' does not support content type '%s'", typ, c))
		}
		if !contains(out, c) {
			out = append(out, c)
		}
	}
	return out, nil
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// pveListItems splits a Proxmox list value (commas, semicolons or spaces).
func pveListItems(v string) []string {
	return strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ';' || r == ' ' })
}

// storageStatus is a storage's status on a node, as the node storage index has it.
func (s *Sim) storageStatus(st *Storage, node string) map[string]any {
	e := map[string]any{"storage": st.ID, "type": st.Type, "content": join(st.Content), "shared": b2i(st.isShared()),
		"enabled": b2i(!st.Disable), "active": 0, "total": 0, "used": 0, "avail": 0}
	if !st.Disable {
		used := s.storageUsed(st, node)
		e["active"], e["total"], e["used"], e["avail"] = 1, st.Total, used, st.Total-used
		e["used_fraction"] = float64(used) / float64(st.Total)
	}
	return e
}

func (s *Sim) routesStorage() {
	s.handle("GET", "/storage", "type?:enum(btrfs|cephfs|cifs|dir|esxi|iscsi|iscsidirect|lvm|lvmthin|nfs|pbs|rbd|zfs|zfspool)", func(c *Call) (any, error) {
		out := []map[string]any{}
		for _, st := range s.storage.list {
			if c.Has("type") && st.Type != c.Str("type") {
				continue
			}
			out = append(out, s.storageConfig(st))
		}
		return out, nil
	})
	s.handle("GET", "/storage/{storage}", "storage:string", func(c *Call) (any, error) {
		st, err := s.storageOf(c)
		if err != nil {
			return nil, err
		}
		return s.storageConfig(st), nil
	})
	s.handle("POST", "/storage", storageCreateParams, s.createStorage)
	s.handle("PUT", "/storage/{storage}", storageUpdateParams, s.updateStorage)
	s.handle("DELETE", "/storage/{storage}", "storage:string", func(c *Call) (any, error) {
		st, err := s.storageOf(c)
		if err != nil {
			return nil, err
		}
		for _, o := range s.storage.list {
			if strings.HasPrefix(o.Props["base"], st.ID+":") {
				return nil, fail("delete storage failed: can't remove storage - storage is used as base of another storage")
			}
		}
		s.storage.list = removeFunc(s.storage.list, func(o *Storage) bool { return o == st })
		s.storage.volumes = removeFunc(s.storage.volumes, func(v *Volume) bool { return v.Storage == st.ID })
		for _, p := range s.pools.list {
			p.Storage = removeFunc(p.Storage, func(id string) bool { return id == st.ID })
		}
		return nil, nil
	})
	s.handle("GET", "/nodes/{node}/storage", "node:string content?:string enabled?:boolean format?:boolean storage?:string target?:string", func(c *Call) (any, error) {
		node := c.Str("node")
		want := pveListItems(c.Str("content"))
		out := []map[string]any{}
		for _, st := range s.storage.list {
			switch {
			case !st.onNode(node):
			case c.Has("storage") && st.ID != c.Str("storage"):
			case c.Bool("enabled") && st.Disable:
			case c.Has("target") && c.Str("target") != node && (!st.isShared() || !st.onNode(c.Str("target"))):
			case len(want) > 0 && !containsAny(st.Content, want):
			default:
				e := s.storageStatus(st, node)
				if c.Bool("format") {
					e["formats"] = map[string]any{"default": "raw", "supported": []string{"raw", "qcow2", "vmdk"}}
				}
				out = append(out, e)
			}
		}
		return out, nil
	})
	s.handle("GET", "/nodes/{node}/storage/{storage}/status", "node:string storage:string", func(c *Call) (any, error) {
		st := s.storageByID(c.Str("storage"))
		if st == nil || !st.onNode(c.Str("node")) {
			return nil, badParam("storage", "No such storage.")
		}
		e := s.storageStatus(st, c.Str("node"))
		delete(e, "storage")
		delete(e, "used_fraction")
		return e, nil
	})
	s.handle("GET", "/nodes/{node}/storage/{storage}/content", "node:string storage:string content?:string vmid?:integer(100-999999999)", func(c *Call) (any, error) {
		st, err := s.storageOnNode(c)
		if err != nil {
			return nil, err
		}
		node := c.Str("node")
		vols := s.imageVolumes(st, node)
		for _, v := range s.storage.volumes {
			if v.Storage == st.ID && (v.Node == "" || v.Node == node) {
				vols = append(vols, v)
			}
		}
		sort.SliceStable(vols, func(i, j int) bool { return vols[i].VolID < vols[j].VolID })
		out := []map[string]any{}
		for _, v := range vols {
			if c.Has("content") && v.Content != c.Str("content") || c.Has("vmid") && v.VMID != c.Int("vmid") {
				continue
			}
			if !st.has(v.Content) && !(v.Content == "images" && st.has("rootdir")) && !(v.Content == "rootdir" && st.has("images")) {
				continue // Proxmox lists only the content types the storage is configured for
			}
			out = append(out, v.entry())
		}
		return out, nil
	})
	s.handle("DELETE", "/nodes/{node}/storage/{storage}/content/{volume}", "node:string storage:string volume:string delay?:integer(1-30)", s.deleteVolume)
	s.handle("POST", "/nodes/{node}/storage/{storage}/oci-registry-pull", "node:string storage:string filename?:string reference:string", s.ociPull)
	s.handle("POST", "/nodes/{node}/storage/{storage}/download-url",
		"node:string storage:string url:string filename:string content:enum(iso|vztmpl|import) checksum?:string "+
			"checksum-algorithm?:enum(md5|sha1|sha224|sha256|sha384|sha512) verify-certificates?:boolean compression?:string",
		s.extrasDownload)
}

func containsAny(have, want []string) bool {
	for _, w := range want {
		if contains(have, w) {
			return true
		}
	}
	return false
}

func removeFunc[T any](list []T, drop func(T) bool) []T {
	out := list[:0]
	for _, x := range list {
		if !drop(x) {
			out = append(out, x)
		}
	}
	return out
}

func (v *Volume) entry() map[string]any {
	e := map[string]any{"volid": v.VolID, "content": v.Content, "format": v.Format, "size": v.Size}
	if v.CTime != 0 {
		e["ctime"] = v.CTime
	}
	if v.VMID != 0 {
		e["vmid"] = v.VMID
	}
	if v.Subtype != "" {
		e["subtype"] = v.Subtype
	}
	if v.Notes != "" {
		e["notes"] = v.Notes
	}
	if v.Protected {
		e["protected"] = 1
	}
	if v.Content == "images" || v.Content == "rootdir" {
		e["used"] = v.Size / 3
	}
	return e
}

const storageCreateParams = "storage:string type:enum(btrfs|cephfs|cifs|dir|esxi|iscsi|iscsidirect|lvm|lvmthin|nfs|pbs|rbd|zfs|zfspool) " +
	"authsupported?:string base?:string blocksize?:string bwlimit?:string comstar_hg?:string comstar_tg?:string content?:string " +
	"content-dirs?:string create-base-path?:boolean create-subdirs?:boolean data-pool?:string datastore?:string disable?:boolean " +
	"domain?:string encryption-key?:string export?:string fingerprint?:string format?:enum(raw|qcow2|subvol|vmdk) fs-name?:string " +
	"fuse?:boolean is_mountpoint?:string iscsiprovider?:string keyring?:string krbd?:boolean lio_tpg?:string master-pubkey?:string " +
	"max-protected-backups?:integer mkdir?:boolean monhost?:string mountpoint?:string namespace?:string nocow?:boolean nodes?:string " +
	"nowritecache?:boolean options?:string password?:string path?:string pool?:string port?:integer(1-65535) portal?:string " +
	"preallocation?:enum(off|metadata|falloc|full) prune-backups?:string saferemove?:boolean saferemove-stepsize?:integer " +
	"saferemove_throughput?:string server?:string share?:string shared?:boolean skip-cert-verification?:boolean " +
	"smbversion?:enum(default|2.0|2.1|3|3.0|3.11) snapshot-as-volume-chain?:boolean sparse?:boolean subdir?:string " +
	"tagged_only?:boolean target?:string thinpool?:string username?:string vgname?:string zfs-base-path?:string"

const storageUpdateParams = "storage:string blocksize?:string bwlimit?:string comstar_hg?:string comstar_tg?:string content?:string " +
	"content-dirs?:string create-base-path?:boolean create-subdirs?:boolean data-pool?:string delete?:string digest?:string " +
	"disable?:boolean domain?:string encryption-key?:string fingerprint?:string format?:enum(raw|qcow2|subvol|vmdk) fs-name?:string " +
	"fuse?:boolean is_mountpoint?:string keyring?:string krbd?:boolean lio_tpg?:string master-pubkey?:string " +
	"max-protected-backups?:integer mkdir?:boolean monhost?:string mountpoint?:string namespace?:string nocow?:boolean nodes?:string " +
	"nowritecache?:boolean options?:string password?:string pool?:string port?:integer(1-65535) " +
	"preallocation?:enum(off|metadata|falloc|full) prune-backups?:string saferemove?:boolean saferemove-stepsize?:integer " +
	"saferemove_throughput?:string server?:string shared?:boolean skip-cert-verification?:boolean " +
	"smbversion?:enum(default|2.0|2.1|3|3.0|3.11) snapshot-as-volume-chain?:boolean sparse?:boolean subdir?:string " +
	"tagged_only?:boolean username?:string zfs-base-path?:string"

// storageOwnParams are the parameters that are not storage properties.
var storageOwnParams = map[string]bool{"storage": true, "type": true, "content": true, "nodes": true, "shared": true, "disable": true, "delete": true, "digest": true}

// setStorageProps applies the property parameters of a create or update call.
func setStorageProps(st *Storage, c *Call) error {
	for k := range c.Values {
		if storageOwnParams[k] || storageSecret[k] {
			continue
		}
		v := c.Str(k)
		if _, isBool := boolish[strings.ToLower(v)]; isBool && storageNumeric[k] {
			v = strconv.Itoa(b2i(c.Bool(k)))
		}
		if k == "prune-backups" {
			if _, err := parsePrune(v); err != nil {
				return badParam(k, err.Error())
			}
		}
		st.Props[k] = v
	}
	if c.Has("nodes") {
		st.Nodes = pveListItems(c.Str("nodes"))
	}
	if c.Has("shared") {
		st.Shared = c.Bool("shared")
	}
	if c.Has("disable") {
		st.Disable = c.Bool("disable")
	}
	return nil
}

func (s *Sim) createStorage(c *Call) (any, error) {
	id, typ := c.Str("storage"), c.Str("type")
	if !reStorageID.MatchString(id) {
		return nil, badParam("storage", fmt.Sprintf("invalid format - storage ID '%s' contains illegal characters", id))
	}
	for _, k := range storageRequired[typ] {
		if !c.Has(k) {
			return nil, badParam(k, fmt.Sprintf("missing value for required option '%s'", k))
		}
	}
	st := &Storage{ID: id, Type: typ, Props: map[string]string{}, Content: storageTypes[typ][1], Total: 500 * gib}
	if c.Has("content") {
		content, err := parseContent(typ, c.Str("content"))
		if err != nil {
			return nil, err
		}
		st.Content = content
	}
	if err := setStorageProps(st, c); err != nil {
		return nil, err
	}
	if (typ == "nfs" || typ == "cifs" || typ == "cephfs") && st.Props["path"] == "" {
		st.Props["path"] = "/mnt/pve/" + id
	}
	if typ == "pbs" && !c.Has("username") {
		st.Props["username"] = "root@pam"
	}
	if typ == "dir" && st.Props["path"] == "/var/lib/vz" {
		st.Total = 94 * gib
	}
	if s.storageByID(id) != nil {
		return nil, fail("create storage failed: storage ID '%s' already defined", id)
	}
	s.storage.list = append(s.storage.list, st)
	res := map[string]any{"storage": id, "type": typ}
	if c.Str("encryption-key") == "autogen" {
		res["config"] = map[string]any{"encryption-key": `{"kdf":null,"created":"` + s.now().UTC().Format(time.RFC3339) + `","fingerprint":"` + strings.Repeat("ab:", 31) + `ab"}`}
	}
	return res, nil
}

func (s *Sim) updateStorage(c *Call) (any, error) {
	st, err := s.storageOf(c)
	if err != nil {
		return nil, fail("update storage failed: %s", err.(*APIError).Message)
	}
	if c.Has("digest") && c.Str("digest") != s.storageDigest() {
		return nil, fail("update storage failed: detected modified configuration - file changed by other user? Try again.")
	}
	del := pveListItems(c.Str("delete"))
	for _, k := range del {
		switch {
		case c.Has(k):
			return nil, fail("update storage failed: cannot set and delete property '%s' at the same time!", k)
		case contains(storageFixed, k) || contains(storageRequired[st.Type], k):
			return nil, fail("update storage failed: unable to delete required option '%s'", k)
		}
	}
	next := &Storage{ID: st.ID, Type: st.Type, Content: st.Content, Nodes: st.Nodes, Shared: st.Shared, Disable: st.Disable, Props: cloneMap(st.Props), Total: st.Total}
	if c.Has("content") {
		content, err := parseContent(st.Type, c.Str("content"))
		if err != nil {
			return nil, err
		}
		next.Content = content
	}
	for _, k := range del {
		switch k {
		case "nodes":
			next.Nodes = nil
		case "shared":
			next.Shared = false
		case "disable":
			next.Disable = false
		case "content":
			next.Content = storageTypes[st.Type][1]
		default:
			delete(next.Props, k)
		}
	}
	if err := setStorageProps(next, c); err != nil {
		return nil, err
	}
	*st = *next
	return map[string]any{"storage": st.ID, "type": st.Type}, nil
}

var reOCIRef = regexp.MustCompile(`^(?:(?:[a-zA-Z\d]|[a-zA-Z\d][a-zA-Z\d-]*[a-zA-Z\d])(?:\.(?:[a-zA-Z\d]|[a-zA-Z\d][a-zA-Z\d-]*[a-zA-Z\d]))*(?::\d+)?/)?[a-z\d]+(?:(?:[._]|__|[-]*)[a-z\d]+)*(?:/[a-z\d]+(?:(?:[._]|__|[-]*)[a-z\d]+)*)*:\w[\w.-]{0,127}$`)

var reUnsafeName = regexp.MustCompile(`[^a-zA-Z0-9_.\-]`)

// ociPull stores an OCI image as a container template, named like Proxmox
// names it: <image>_<tag>.tar, or the normalized filename with .tar added.
func (s *Sim) ociPull(c *Call) (any, error) {
	ref := c.Str("reference")
	if !reOCIRef.MatchString(ref) {
		return nil, badParam("reference", "value does not match the regex pattern")
	}
	st, err := s.storageOnNode(c)
	if err != nil {
		return nil, err
	}
	if !st.has("vztmpl") {
		return nil, fail("storage '%s' is not configured for content-type 'vztmpl'", st.ID)
	}
	repo, tag := ref[:strings.LastIndex(ref, ":")], ref[strings.LastIndex(ref, ":")+1:]
	name := c.Str("filename")
	if name == "" {
		name = repo[strings.LastIndex(repo, "/")+1:] + "_" + tag
	}
	name = reUnsafeName.ReplaceAllString(strings.TrimSuffix(name, ".tar"), "_") + ".tar"
	node := c.Str("node")
	volid := st.ID + ":vztmpl/" + name
	if s.volumeOn(volid, node) != nil {
		return nil, fail("refusing to override existing file '%s'", name)
	}
	volNode := st.holder(node)
	return s.startTask(node, "download", name, c.User, func(t *Task) error {
		if s.volumeOn(volid, node) != nil {
			return fmt.Errorf("refusing to override existing file '%s'", name)
		}
		if s.storageByID(st.ID) != st {
			return fmt.Errorf("storage '%s' does not exist", st.ID)
		}
		size := int64(40+len(ref)%60) * 1048576
		t.Log = append(t.Log, "Pulling "+ref, fmt.Sprintf("Writing image to %s", volid), fmt.Sprintf("downloaded %d bytes", size))
		s.addVolume(&Volume{Storage: st.ID, Node: volNode, VolID: volid, Content: "vztmpl", Format: "tar", Size: size, CTime: s.now().Unix()})
		return nil
	}), nil
}

func join(items []string) string { return strings.Join(items, ",") }

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
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
