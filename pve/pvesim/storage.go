package pvesim

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

type storageState struct {
	list []*Storage
}

func init() {
	addModule(module{name: "storage", seed: (*Sim).seedStorage, routes: (*Sim).routesStorage})
}

func (s *Sim) seedStorage() {
	s.storage.list = []*Storage{
		{ID: "local", Type: "dir", Content: []string{"iso", "vztmpl", "backup", "snippets", "import"}, Props: map[string]string{"path": "/var/lib/vz"}, Total: 94 * gib},
		{ID: "local-lvm", Type: "lvmthin", Content: []string{"images", "rootdir"}, Props: map[string]string{"vgname": "pve", "thinpool": "data"}, Total: 1700 * gib},
		{ID: "nfs-backup", Type: "nfs", Content: []string{"backup", "iso"}, Shared: true, Props: map[string]string{"server": "10.0.0.50", "export": "/export/pve", "path": "/mnt/pve/nfs-backup"}, Total: 8000 * gib},
	}
}

func (s *Sim) storageByID(id string) *Storage {
	for _, st := range s.storage.list {
		if st.ID == id {
			return st
		}
	}
	return nil
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

// storageUsed is a plausible used figure: guest disks on the storage plus a base.
func (s *Sim) storageUsed(st *Storage, node string) int64 {
	used := st.Total / 7
	for _, g := range s.guests {
		if g.Node != node && !st.Shared {
			continue
		}
		for k, v := range g.Config {
			if isDiskKey(k) && len(v) > len(st.ID) && v[:len(st.ID)+1] == st.ID+":" {
				used += sizeOf(v)
			}
		}
	}
	if st.ID == "nfs-backup" {
		used = st.Total * 83 / 100 // nearly full: a realistic thing to notice
	}
	return used
}

func (s *Sim) storageResources() []map[string]any {
	var out []map[string]any
	for _, n := range s.nodes {
		for _, st := range s.storage.list {
			if !st.onNode(n.Name) {
				continue
			}
			e := map[string]any{"id": "storage/" + n.Name + "/" + st.ID, "type": "storage", "storage": st.ID, "node": n.Name,
				"plugintype": st.Type, "content": join(st.Content), "shared": b2i(st.Shared), "status": "available"}
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

// routesStorage is filled by the storage category (issue 3).
func (s *Sim) routesStorage() {}

func join(items []string) string {
	out := ""
	for i, it := range items {
		if i > 0 {
			out += ","
		}
		out += it
	}
	return out
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
