package tools

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// The planners of the storage definition tools: a new storage's settings
// and whether its ID is free; for a removal, what stays on disk but
// becomes unusable (volumes, the guests whose disks they are) and the
// backup jobs that write there.

var (
	storageGetCall = Call{"GET", "/storage/{storage}"}
	backupJobsCall = Call{"GET", "/cluster/backup"}
	storageReads   = []Call{storageListCall, storageGetCall, resourcesCall, storageContentCall, backupJobsCall}
)

func gib(b int64) string { return strconv.FormatFloat(float64(b)/(1<<30), 'f', 1, 64) + " GiB" }

func createStoragePlan(ctx context.Context, env *Env, in createStorageIn) (*Plan, error) {
	call := Call{"POST", "/storage"}
	p, params, err := env.startPlan(ctx, call, &in)
	if err != nil {
		return nil, err
	}
	ids, err := env.storageIDs(ctx)
	if err != nil {
		return nil, err
	}
	if slices.Contains(ids, in.Storage) {
		p.fail("create storage failed: storage ID '%s' already defined", in.Storage)
	}
	if len(in.Nodes) > 0 {
		nodes, err := env.resources(ctx, "node")
		if err != nil {
			return nil, err
		}
		for _, n := range in.Nodes {
			if !slices.ContainsFunc(nodes, func(r resource) bool { return r.Type == "node" && r.Node == n }) {
				p.note("node %s is not a cluster node: the storage is not usable there", n)
			}
		}
	}
	p.Changes = newSettings(params, "storage")
	return p, nil
}

func deleteStoragePlan(ctx context.Context, env *Env, in storageIn) (*Plan, error) {
	p, _, err := env.startPlan(ctx, Call{"DELETE", storageGetCall.Path}, &in)
	if err != nil {
		return nil, err
	}
	var def map[string]any
	if err := env.getAt(ctx, storageGetCall, map[string]string{"storage": in.Storage}, nil, &def); err != nil {
		return p, p.failOn(err)
	}
	d := textMapOf(def)
	p.Digest = d["digest"]
	p.Destroys = []string{fmt.Sprintf("storage definition %s (%s, content %s)", in.Storage, d["type"], d["content"])}
	var all []map[string]any
	if err := env.PVE.Get(ctx, storageListCall.Path, nil, &all); err != nil {
		return nil, err
	}
	for _, o := range all {
		if strings.HasPrefix(textOf(o["base"]), in.Storage+":") {
			p.fail("delete storage failed: can't remove storage - storage is used as base of another storage (%s)", textOf(o["storage"]))
		}
	}
	if err := env.noteVolumesLeft(ctx, p, in.Storage); err != nil {
		return nil, err
	}
	var jobs []struct {
		ID       string `json:"id"`
		Schedule string `json:"schedule"`
		Storage  string `json:"storage"`
	}
	if err := env.PVE.Get(ctx, backupJobsCall.Path, nil, &jobs); err != nil {
		return nil, err
	}
	for _, j := range jobs {
		if j.Storage == in.Storage {
			p.note("backup job %s (%s) writes to %s: its runs would fail", j.ID, j.Schedule, in.Storage)
		}
	}
	return p, nil
}

// noteVolumesLeft notes what a storage still holds on each node (one node
// for a shared storage): the volumes stay but Proxmox no longer knows them.
func (env *Env) noteVolumesLeft(ctx context.Context, p *Plan, storage string) error {
	var res []clusterEntry
	if err := env.PVE.Get(ctx, resourcesCall.Path, map[string][]string{"type": {"storage"}}, &res); err != nil {
		return err
	}
	for _, r := range res {
		if r.Type != "storage" || r.Storage != storage || r.Status != "available" {
			continue
		}
		var vols []struct {
			Size    int64  `json:"size"`
			VMID    int    `json:"vmid"`
			Content string `json:"content"`
		}
		if err := env.getAt(ctx, storageContentCall, map[string]string{"node": r.Node, "storage": storage}, nil, &vols); err != nil {
			p.note("%s: content not read: %v", r.Node, err)
			continue
		}
		var total int64
		var guests []int
		for _, v := range vols {
			total += v.Size
			if (v.Content == "images" || v.Content == "rootdir") && v.VMID > 0 && !slices.Contains(guests, v.VMID) {
				guests = append(guests, v.VMID)
			}
		}
		where := r.Node
		if r.Shared {
			where = "shared"
		}
		if len(vols) == 0 {
			continue
		}
		line := fmt.Sprintf("%s: %d volumes (%s) stay on disk, unusable through Proxmox", where, len(vols), gib(total))
		if len(guests) > 0 {
			slices.Sort(guests)
			line += "; disks of guests " + joinInts(guests) + " (they would no longer start)"
		}
		p.note("%s", line)
		if r.Shared {
			break
		}
	}
	return nil
}
