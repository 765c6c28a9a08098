package pvesim

// Pool groups guests and storages for permissions.
type Pool struct {
	ID      string
	Comment string
	VMs     []int
	Storage []string
}

type poolState struct {
	list []*Pool
}

func init() {
	addModule(module{name: "pools", seed: (*Sim).seedPools, routes: (*Sim).routesPools})
}

func (s *Sim) seedPools() {
	s.pools.list = []*Pool{
		{ID: "production", Comment: "Customer-facing services", VMs: []int{100, 101, 200}, Storage: []string{"local-lvm"}},
		{ID: "lab", Comment: "Experiments, may be wiped", VMs: []int{203}},
	}
}

func (s *Sim) poolOf(vmid int) string {
	for _, p := range s.pools.list {
		for _, v := range p.VMs {
			if v == vmid {
				return p.ID
			}
		}
	}
	return ""
}

func (s *Sim) poolResources() []map[string]any {
	var out []map[string]any
	for _, p := range s.pools.list {
		out = append(out, map[string]any{"id": "pool/" + p.ID, "type": "pool", "pool": p.ID, "status": "ok"})
	}
	return out
}

// routesPools is filled by the pools category (issue 3).
func (s *Sim) routesPools() {}
