package pvesim

// aptUpdate is one entry of GET /nodes/{node}/apt/update.
type aptUpdate struct {
	Package, Title, OldVersion, Version, Priority, Section, Origin string
}

// pendingUpdates: pve1 and pve2 lag a point release and a security fix
// behind; pve3 was patched last week and has nothing pending.
var pendingUpdates = map[string][]aptUpdate{
	"pve1": {
		{"pve-manager", "Proxmox Virtual Environment Management Tools", "9.1.1", "9.1.2", "optional", "admin", "Proxmox"},
		{"qemu-server", "Qemu Server Tools", "9.1.0", "9.1.1", "optional", "admin", "Proxmox"},
		{"proxmox-kernel-6.17", "Latest Proxmox Kernel Image", "6.17.2-1", "6.17.2-2", "optional", "admin", "Proxmox"},
		{"openssl", "Secure Sockets Layer toolkit - cryptographic utility", "3.5.1-1", "3.5.1-1+deb13u1", "important", "utils", "Debian"},
	},
	"pve2": {
		{"pve-manager", "Proxmox Virtual Environment Management Tools", "9.1.1", "9.1.2", "optional", "admin", "Proxmox"},
		{"openssl", "Secure Sockets Layer toolkit - cryptographic utility", "3.5.1-1", "3.5.1-1+deb13u1", "important", "utils", "Debian"},
	},
}

func (s *Sim) routesApt() {
	s.handle("GET", "/nodes/{node}/apt/update", "node:string", func(c *Call) (any, error) {
		out := []map[string]any{}
		for _, u := range pendingUpdates[c.Str("node")] {
			out = append(out, map[string]any{
				"Package": u.Package, "Title": u.Title, "Description": u.Title + ".",
				"OldVersion": u.OldVersion, "Version": u.Version, "Priority": u.Priority, "Section": u.Section,
				"Origin": u.Origin, "Arch": "amd64", "NotifyStatus": u.Version,
			})
		}
		return out, nil
	})
}
