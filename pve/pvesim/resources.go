package pvesim

func (s *Sim) routesResources() {
	s.handle("GET", "/cluster/resources", "type?:enum(vm|storage|node|sdn)", func(c *Call) (any, error) {
		typ := c.Str("type")
		out := []map[string]any{}
		if typ == "" || typ == "node" {
			for _, n := range s.nodes {
				e := map[string]any{"id": "node/" + n.Name, "type": "node", "node": n.Name, "status": "offline", "maxcpu": n.CPUs, "maxmem": n.MaxMem, "level": ""}
				if n.Online {
					e["status"] = "online"
					e["cpu"], e["mem"] = s.nodeCPU(n), s.nodeMem(n)
					e["disk"], e["maxdisk"] = 12*gib, 94*gib
					e["uptime"] = int64(s.now().Sub(n.Boot).Seconds())
				}
				out = append(out, e)
			}
		}
		if typ == "" || typ == "vm" {
			for _, g := range s.sortedGuests() {
				e := s.resourceEntry(g)
				if p := s.poolOf(g.VMID); p != "" {
					e["pool"] = p
				}
				if n := s.node(g.Node); n != nil && !n.Online {
					e["status"] = "unknown"
				}
				out = append(out, e)
			}
		}
		if typ == "" || typ == "storage" {
			out = append(out, s.storageResources()...)
		}
		if typ == "" {
			out = append(out, s.poolResources()...)
		}
		if typ == "" || typ == "sdn" {
			for _, n := range s.nodes {
				out = append(out, map[string]any{"id": "sdn/" + n.Name + "/localnetwork", "type": "sdn", "sdn": "localnetwork", "node": n.Name, "status": "ok"})
			}
		}
		return out, nil
	})
}
