package pvesim

func (s *Sim) routesPending() {
	for _, kind := range []string{"qemu", "lxc"} {
		kind := kind
		s.handle("GET", "/nodes/{node}/"+kind+"/{vmid}/pending", guestIDs, func(c *Call) (any, error) {
			g, err := s.guest(c, kind)
			if err != nil {
				return nil, err
			}
			return pendingList(g), nil
		})
	}
}

// pendingList answers GET .../pending as Proxmox does: every config key
// with its current value, and where a change waits for the next restart
// its pending value, or delete=1 for a pending removal. Values are strings
// whatever the option's type: the schema declares value and pending so.
func pendingList(g *Guest) []map[string]any {
	sorted := unionKeys(g.Config, g.Pending)
	out := make([]map[string]any, 0, len(sorted))
	for _, k := range sorted {
		e := map[string]any{"key": k}
		if v, ok := g.Config[k]; ok {
			e["value"] = pendingValue(k, v)
		}
		if p, ok := g.Pending[k]; ok {
			if p == "" {
				e["delete"] = 1
			} else {
				e["pending"] = pendingValue(k, p)
			}
		}
		out = append(out, e)
	}
	return out
}

// pendingValue is a setting as GET .../pending shows it: the cloud-init
// password masked, as in the config read.
func pendingValue(k, v string) string {
	if k == "cipassword" {
		return "**********"
	}
	return v
}
