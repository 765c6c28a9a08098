package pvesim

import (
	"fmt"
	"strings"
	"time"
)

// State model of storages and their volumes.

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
