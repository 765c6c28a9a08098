package tools

import (
	"context"
	"slices"
	"strconv"
	"strings"
)

// The planners of the pool tools: members now and after, what Proxmox
// refuses (unknown guests and storages, a guest of another pool without
// allow_move, a pool that is not empty), and what goes with a pool.

var (
	storageListCall = Call{"GET", "/storage"}
	aclListCall     = Call{"GET", "/access/acl"}
	poolReads       = []Call{getPoolCall, resourcesCall, storageListCall, aclListCall}
)

// poolMembers is a pool as GET /pools?poolid= gives it.
type poolMembers struct {
	PoolID  string `json:"poolid"`
	Comment string `json:"comment"`
	Members []struct {
		Type    string `json:"type"`
		VMID    int    `json:"vmid"`
		Storage string `json:"storage"`
	} `json:"members"`
}

func (pm *poolMembers) vms() []int {
	var out []int
	for _, m := range pm.Members {
		if m.Type == "qemu" || m.Type == "lxc" {
			out = append(out, m.VMID)
		}
	}
	slices.Sort(out)
	return out
}

func (pm *poolMembers) storages() []string {
	var out []string
	for _, m := range pm.Members {
		if m.Type == "storage" {
			out = append(out, m.Storage)
		}
	}
	slices.Sort(out)
	return out
}

// readPool reads one pool; a pool Proxmox does not know is the plan's
// would_fail (nil).
func (env *Env) readPool(ctx context.Context, p *Plan, id string) (*poolMembers, error) {
	var pools []poolMembers
	if err := env.PVE.Get(ctx, getPoolCall.Path, map[string][]string{"poolid": {id}}, &pools); err != nil {
		return nil, p.failOn(err)
	}
	if len(pools) != 1 {
		p.fail("pool '%s' does not exist", id)
		return nil, nil
	}
	return &pools[0], nil
}

// storageIDs reads the storage definitions' IDs.
func (env *Env) storageIDs(ctx context.Context) ([]string, error) {
	var list []struct {
		Storage string `json:"storage"`
	}
	if err := env.PVE.Get(ctx, storageListCall.Path, nil, &list); err != nil {
		return nil, err
	}
	ids := make([]string, len(list))
	for i, s := range list {
		ids[i] = s.Storage
	}
	return ids, nil
}

func joinInts(ids []int) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = strconv.Itoa(id)
	}
	return strings.Join(s, ",")
}

// listChange is a member list now → after, or nothing when equal.
func listChange(key, now, after string) []Change {
	switch {
	case now == after:
		return nil
	case now == "":
		return []Change{{Key: key, To: after}}
	}
	return []Change{{Key: key, Now: &now, To: after}}
}

func createPoolPlan(ctx context.Context, env *Env, in createPoolIn) (*Plan, error) {
	call := Call{"POST", "/pools"}
	p, params, err := env.startPlan(ctx, call, &in)
	if err != nil {
		return nil, err
	}
	var pools []struct {
		PoolID string `json:"poolid"`
	}
	if err := env.PVE.Get(ctx, getPoolCall.Path, nil, &pools); err != nil {
		return nil, err
	}
	for _, pl := range pools {
		if pl.PoolID == in.PoolID {
			p.fail("create pool failed: pool '%s' already exists", in.PoolID)
		}
	}
	p.Changes = newSettings(params)
	return p, nil
}

func updatePoolPlan(ctx context.Context, env *Env, in updatePoolIn) (*Plan, error) {
	p, _, err := env.startPlan(ctx, Call{"PUT", "/pools"}, &in)
	if err != nil {
		return nil, err
	}
	pool, err := env.readPool(ctx, p, in.PoolID)
	if err != nil || pool == nil {
		return p, err
	}
	guests, err := env.resources(ctx, "vm")
	if err != nil {
		return nil, err
	}
	vms, storages := pool.vms(), pool.storages()
	for _, id := range in.VMs {
		i := slices.Index(vms, id)
		if in.Delete {
			if i < 0 {
				p.fail("VM %d is not a pool member", id)
			} else {
				vms = slices.Delete(vms, i, i+1)
			}
			continue
		}
		g := slices.IndexFunc(guests, func(r resource) bool { return r.VMID == id && (r.Type == "qemu" || r.Type == "lxc") })
		switch {
		case g < 0:
			p.fail("VM %d does not exist", id)
		case guests[g].Pool != "" && (guests[g].Pool == in.PoolID || !in.AllowMove):
			p.fail("VM %d belongs already to pool '%s' and 'allow-move' is not set", id, guests[g].Pool)
		case guests[g].Pool != "":
			p.note("VM %d moves from pool %s", id, guests[g].Pool)
			fallthrough
		default:
			vms = append(vms, id)
		}
	}
	if len(in.Storage) > 0 {
		known, err := env.storageIDs(ctx)
		if err != nil {
			return nil, err
		}
		for _, id := range in.Storage {
			i := slices.Index(storages, id)
			switch {
			case in.Delete && i < 0:
				p.fail("Storage '%s' is not a pool member", id)
			case in.Delete:
				storages = slices.Delete(storages, i, i+1)
			case i >= 0:
				p.fail("Storage '%s' is already a pool member", id)
			case !slices.Contains(known, id):
				p.fail("Storage '%s' does not exist", id)
			default:
				storages = append(storages, id)
			}
		}
	}
	slices.Sort(vms)
	slices.Sort(storages)
	if in.Comment != "" && in.Comment != pool.Comment {
		p.Changes = append(p.Changes, Change{Key: "comment", Now: &pool.Comment, To: in.Comment})
	}
	p.Changes = append(p.Changes, listChange("vms", joinInts(pool.vms()), joinInts(vms))...)
	p.Changes = append(p.Changes, listChange("storage", strings.Join(pool.storages(), ","), strings.Join(storages, ","))...)
	if len(p.Changes) == 0 && len(p.WouldFail) == 0 {
		p.note("no setting would change")
	}
	return p, nil
}

func deletePoolPlan(ctx context.Context, env *Env, in poolIn) (*Plan, error) {
	p, _, err := env.startPlan(ctx, Call{"DELETE", "/pools"}, &in)
	if err != nil {
		return nil, err
	}
	pool, err := env.readPool(ctx, p, in.PoolID)
	if err != nil || pool == nil {
		return p, err
	}
	for _, id := range pool.vms() {
		p.fail("delete pool failed: pool '%s' is not empty (contains VM %d): remove it first (pve_update_pool delete)", in.PoolID, id)
	}
	for _, st := range pool.storages() {
		p.fail("delete pool failed: pool '%s' is not empty (contains storage '%s')", in.PoolID, st)
	}
	p.Destroys = []string{"pool " + in.PoolID}
	acls, err := env.aclsOn(ctx, func(a aclEntry) bool { return a.Path == "/pool/"+in.PoolID })
	if err != nil {
		return nil, err
	}
	for _, a := range acls {
		p.Destroys = append(p.Destroys, "ACL "+a.String())
	}
	return p, nil
}
