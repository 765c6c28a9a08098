package pvesim

import "sort"

// State model of resource pools and their members.

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

func (s *Sim) pool(id string) *Pool {
	for _, p := range s.pools.list {
		if p.ID == id {
			return p
		}
	}
	return nil
}

// Pool returns a copy of a pool's state, for tests.
func (s *Sim) Pool(id string) (Pool, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.pool(id)
	if p == nil {
		return Pool{}, false
	}
	return Pool{ID: p.ID, Comment: p.Comment, VMs: append([]int(nil), p.VMs...), Storage: append([]string(nil), p.Storage...)}, true
}

// poolMembers lists a pool's guests and storages as /cluster/resources
// entries, the way GET /pools?poolid= returns them.
func (s *Sim) poolMembers(p *Pool, typ string) []map[string]any {
	out := []map[string]any{}
	vmids := append([]int(nil), p.VMs...)
	sort.Ints(vmids)
	for _, vmid := range vmids {
		g := s.guests[vmid]
		if g == nil || (typ != "" && typ != g.Type) {
			continue
		}
		out = append(out, s.resourceEntry(g))
	}
	if typ != "" && typ != "storage" {
		return out
	}
	for _, id := range p.Storage {
		st := s.storageByID(id)
		if st == nil {
			continue
		}
		for _, n := range s.nodes {
			if !st.onNode(n.Name) {
				continue
			}
			out = append(out, map[string]any{"id": "storage/" + n.Name + "/" + id, "type": "storage", "storage": id, "node": n.Name,
				"plugintype": st.Type, "content": join(st.Content), "shared": b2i(st.Shared), "status": "available",
				"maxdisk": st.Total, "disk": s.storageUsed(st, n.Name)})
		}
	}
	return out
}

func (s *Sim) checkPool(pool string) error {
	if pool == "" {
		return nil
	}
	for _, p := range s.pools.list {
		if p.ID == pool {
			return nil
		}
	}
	return fail("pool '%s' does not exist", pool)
}

func (s *Sim) addToPool(pool string, vmid int) {
	for _, p := range s.pools.list {
		if p.ID == pool {
			p.VMs = append(p.VMs, vmid)
		}
	}
}

// removeFromPools drops a destroyed guest from every pool (remove_vm_access).
func (s *Sim) removeFromPools(vmid int) {
	for _, p := range s.pools.list {
		kept := p.VMs[:0]
		for _, v := range p.VMs {
			if v != vmid {
				kept = append(kept, v)
			}
		}
		p.VMs = kept
	}
}
