package pvesim

import "fmt"

// The /cluster/sdn subtree: zones and vnets.

// sdnList answers an SDN index: by default the configuration as written,
// running=1 only what has been applied, pending=1 everything with a state
// for what is not applied yet.
func (s *Sim) sdnList(objs []*sdnObj, key string, c *Call) []map[string]any {
	items := make([]map[string]string, 0, len(objs))
	for _, o := range objs {
		it := map[string]string{key: o.ID}
		for k, v := range o.Props {
			it[k] = fmt.Sprint(v)
		}
		items = append(items, it)
	}
	digest := listDigest(items)
	out := []map[string]any{}
	for _, o := range objs {
		if c.Bool("running") && !o.Applied {
			continue
		}
		e := map[string]any{key: o.ID, "digest": digest}
		if c.Bool("running") {
			delete(e, "digest")
		}
		for k, v := range o.Props {
			e[k] = v
		}
		if c.Bool("pending") && !o.Applied {
			e["state"] = "new"
			// The pending view holds the changed options, not the
			// object's type, which cannot change.
			p := cloneMap(o.Props)
			delete(p, "type")
			e["pending"] = p
		}
		out = append(out, e)
	}
	return out
}

// routesSdn serves the SDN zones and vnets.
func (s *Sim) routesSdn() {
	s.handle("GET", "/cluster/sdn/zones", "pending?:boolean running?:boolean type?:enum(evpn|faucet|qinq|simple|vlan|vxlan)", func(c *Call) (any, error) {
		out := []map[string]any{}
		for _, e := range s.sdnList(s.health.zones, "zone", c) {
			if !c.Has("type") || e["type"] == c.Str("type") {
				out = append(out, e)
			}
		}
		return out, nil
	})
	s.handle("GET", "/cluster/sdn/vnets", "pending?:boolean running?:boolean", func(c *Call) (any, error) {
		out := s.sdnList(s.health.vnets, "vnet", c)
		for _, e := range out {
			e["type"] = "vnet"
		}
		return out, nil
	})
}
