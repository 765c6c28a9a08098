package pvesim

import (
	"slices"
	"strconv"
)

// rePoolID() is Proxmox's pve-poolid format (nested pools use '/').
var rePoolID = lazyRegexp(`^[A-Za-z0-9.\-_]+(/[A-Za-z0-9.\-_]+){0,2}$`)

func (s *Sim) routesPools() {
	list := func(c *Call) (any, error) {
		id, typ := c.Str("poolid"), c.Str("type")
		out := []map[string]any{}
		for _, p := range s.pools.list {
			if id != "" && p.ID != id {
				continue
			}
			e := map[string]any{"poolid": p.ID}
			if p.Comment != "" {
				e["comment"] = p.Comment
			}
			if id != "" {
				e["members"] = s.poolMembers(p, typ)
			}
			out = append(out, e)
		}
		if id != "" && len(out) == 0 {
			return nil, fail("pool '%s' does not exist", id)
		}
		return out, nil
	}
	s.handle("GET", "/pools", "poolid?:string type?:enum(qemu|lxc|storage)", list)
	s.handle("GET", "/pools/{poolid}", "poolid:string type?:enum(qemu|lxc|storage)", func(c *Call) (any, error) {
		p := s.pool(c.Str("poolid"))
		if p == nil {
			return nil, fail("pool '%s' does not exist", c.Str("poolid"))
		}
		e := map[string]any{"members": s.poolMembers(p, c.Str("type"))}
		if p.Comment != "" {
			e["comment"] = p.Comment
		}
		return e, nil
	})
	s.handle("POST", "/pools", "poolid:string comment?:string", func(c *Call) (any, error) {
		id := c.Str("poolid")
		if !rePoolID().MatchString(id) {
			return nil, badParam("poolid", "value does not look like a valid pool identifier")
		}
		if s.pool(id) != nil {
			return nil, fail("create pool failed: pool '%s' already exists", id)
		}
		s.pools.list = append(s.pools.list, &Pool{ID: id, Comment: c.Str("comment")})
		return nil, nil
	})
	const update = "poolid:string comment?:string vms?:string storage?:string delete?:boolean allow-move?:boolean"
	s.handle("PUT", "/pools", update, s.updatePool)
	s.handle("PUT", "/pools/{poolid}", update, s.updatePool)
	s.handle("DELETE", "/pools", "poolid:string", s.deletePool)
	s.handle("DELETE", "/pools/{poolid}", "poolid:string", s.deletePool)
}

// updatePool adds or (delete=1) removes members the way Proxmox does: all
// or nothing, refusing unknown guests and storages and guests of another
// pool unless allow-move is set.
func (s *Sim) updatePool(c *Call) (any, error) {
	const what = "update pools failed: "
	p := s.pool(c.Str("poolid"))
	if p == nil {
		return nil, fail(what+"pool '%s' does not exist", c.Str("poolid"))
	}
	vms := append([]int(nil), p.VMs...)
	storage := append([]string(nil), p.Storage...)
	moves := map[int]*Pool{}
	del := c.Bool("delete")
	for _, v := range splitList(c.Str("vms")) {
		vmid, err := strconv.Atoi(v)
		if err != nil || vmid < 100 {
			return nil, badParam("vms", "value '"+v+"' does not look like a valid VM ID")
		}
		in := slices.Index(vms, vmid)
		if del {
			if in < 0 {
				return nil, fail(what+"VM %d is not a pool member", vmid)
			}
			vms = append(vms[:in], vms[in+1:]...)
			continue
		}
		if s.guests[vmid] == nil {
			return nil, fail(what+"VM %d does not exist", vmid)
		}
		if other := s.poolOf(vmid); other != "" {
			if !c.Bool("allow-move") || other == p.ID {
				return nil, fail(what+"VM %d belongs already to pool '%s' and 'allow-move' is not set", vmid, other)
			}
			moves[vmid] = s.pool(other)
		}
		vms = append(vms, vmid)
	}
	for _, id := range splitList(c.Str("storage")) {
		in := -1
		for i, x := range storage {
			if x == id {
				in = i
			}
		}
		if del {
			if in < 0 {
				return nil, fail(what+"Storage '%s' is not a pool member", id)
			}
			storage = append(storage[:in], storage[in+1:]...)
			continue
		}
		if in >= 0 {
			return nil, fail(what+"Storage '%s' is already a pool member", id)
		}
		if s.storageByID(id) == nil {
			return nil, fail(what+"Storage '%s' does not exist", id)
		}
		storage = append(storage, id)
	}
	for vmid, from := range moves {
		if i := slices.Index(from.VMs, vmid); i >= 0 {
			from.VMs = append(from.VMs[:i], from.VMs[i+1:]...)
		}
	}
	p.VMs, p.Storage = vms, storage
	if c.Has("comment") {
		p.Comment = c.Str("comment")
	}
	return nil, nil
}

func (s *Sim) deletePool(c *Call) (any, error) {
	const what = "delete pool failed: "
	id := c.Str("poolid")
	p := s.pool(id)
	if p == nil {
		return nil, fail(what+"pool '%s' does not exist", id)
	}
	for _, vmid := range p.VMs {
		if s.guests[vmid] != nil {
			return nil, fail(what+"pool '%s' is not empty (contains VM %d)", id, vmid)
		}
	}
	for _, st := range p.Storage {
		if s.storageByID(st) != nil {
			return nil, fail(what+"pool '%s' is not empty (contains storage '%s')", id, st)
		}
	}
	for i, x := range s.pools.list {
		if x == p {
			s.pools.list = append(s.pools.list[:i], s.pools.list[i+1:]...)
			break
		}
	}
	s.dropACLs(func(a *ACL) bool { return a.Path == "/pool/"+id })
	return nil, nil
}
