package tools

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// The planners of the backup job tools: a new job's settings, the guests
// it would back up today and where to; a deleted job's schedule and
// guests. What Proxmox refuses (an id in use, conflicting selections, an
// unknown pool) goes in would_fail; a storage that cannot take backups only
// fails the runs, so it is a note.

// storageDef is a storage definition as a backup plan reads it.
type storageDef struct {
	Storage string `json:"storage"`
	Content string `json:"content"`
	Disable flag   `json:"disable"`
}

var backupJobReads = []Call{backupJobsCall, readJobCall, resourcesCall, getPoolCall, storageListCall}

// jobGuests describes the guests a job selects now: listed ids, all
// (minus excluded), or a pool's; node limits all and pool to one node.
func (env *Env) jobGuests(ctx context.Context, p *Plan, vmids, exclude []int, all bool, pool, node string) (string, error) {
	guests, err := env.resources(ctx, "vm")
	if err != nil {
		return "", err
	}
	var members []int
	if pool != "" {
		pm, err := env.readPool(ctx, p, pool)
		if err != nil || pm == nil {
			return "", err
		}
		members = pm.vms()
	}
	var picked []string
	for _, id := range vmids {
		i := slices.IndexFunc(guests, func(r resource) bool { return r.VMID == id })
		switch {
		case i < 0:
			p.note("guest %d does not exist: its backup would fail", id)
		case node != "" && guests[i].Node != node:
			p.note("guest %d is on %s: a job limited to %s skips it", id, guests[i].Node, node)
		}
	}
	for _, g := range guests {
		if g.Type != "qemu" && g.Type != "lxc" {
			continue
		}
		switch {
		case len(vmids) > 0 && !slices.Contains(vmids, g.VMID):
		case node != "" && g.Node != node:
		case len(vmids) == 0 && slices.Contains(exclude, g.VMID):
		case pool != "" && !slices.Contains(members, g.VMID):
		case len(vmids) == 0 && pool == "" && !all:
		default:
			picked = append(picked, fmt.Sprintf("%d %s (%s)", g.VMID, g.Name, g.Node))
		}
	}
	slices.Sort(picked)
	if len(picked) > 12 {
		return fmt.Sprintf("%d guests, %s ...", len(picked), strings.Join(picked[:12], ", ")), nil
	}
	if len(picked) == 0 {
		return "none", nil
	}
	return strings.Join(picked, ", "), nil
}

func createBackupJobPlan(ctx context.Context, env *Env, in createBackupJobIn) (*Plan, error) {
	generated := in.ID == ""
	if generated {
		in.ID = "backup-xxxxxxxx-xxxx"
	}
	p, params, err := env.startPlan(ctx, createJobCall, &in)
	if err != nil {
		return nil, err
	}
	if generated {
		delete(params, "id")
		p.note("the job id is generated at the call (backup-xxxxxxxx-xxxx); pass id to choose it")
	}
	switch {
	case in.All && len(in.VMID) > 0:
		p.fail("all: option conflicts with option 'vmid'")
	case len(in.Exclude) > 0 && len(in.VMID) > 0:
		p.fail("exclude: option conflicts with option 'vmid'")
	case in.Pool != "" && len(in.VMID) > 0:
		p.fail("pool: option conflicts with option 'vmid'")
	case !in.All && len(in.Exclude) == 0 && in.Pool == "" && len(in.VMID) == 0:
		p.fail("vmid: property is missing (pass vmid, all or pool)")
	}
	ids, err := env.idsAt(ctx, backupJobsCall.Path, "id")
	if err != nil {
		return nil, err
	}
	if slices.Contains(ids, in.ID) {
		p.fail("Job '%s' already exists", in.ID)
	}
	guests, err := env.jobGuests(ctx, p, in.VMID, in.Exclude, in.All || len(in.Exclude) > 0, in.Pool, in.Node)
	if err != nil {
		return nil, err
	}
	p.note("backs up now: %s", guests)
	storage := in.Storage
	if storage == "" {
		storage = "local"
	}
	var stores []storageDef
	if err := env.PVE.Get(ctx, storageListCall.Path, nil, &stores); err != nil {
		return nil, err
	}
	i := slices.IndexFunc(stores, func(s storageDef) bool { return s.Storage == storage })
	switch {
	case i < 0:
		p.note("storage '%s' does not exist: every run would fail", storage)
	case !slices.Contains(strings.Split(stores[i].Content, ","), "backup"):
		p.note("can't use storage '%s' for backups - wrong content type: every run would fail", storage)
	case bool(stores[i].Disable):
		p.note("storage '%s' is disabled: runs fail until it is enabled", storage)
	}
	p.Changes = newSettings(params)
	return p, nil
}

func deleteBackupJobPlan(ctx context.Context, env *Env, in backupJobIn) (*Plan, error) {
	p, _, err := env.startPlan(ctx, Call{"DELETE", readJobCall.Path}, &in)
	if err != nil {
		return nil, err
	}
	var job map[string]any
	if err := env.getAt(ctx, readJobCall, map[string]string{"id": in.ID}, nil, &job); err != nil {
		return p, p.failOn(err)
	}
	j := textMapOf(job)
	what := "vmid " + j["vmid"]
	switch {
	case j["pool"] != "":
		what = "pool " + j["pool"]
	case j["all"] == "1" && j["exclude"] != "":
		what = "all guests but " + j["exclude"]
	case j["all"] == "1":
		what = "all guests"
	}
	if j["node"] != "" {
		what += " on " + j["node"]
	}
	state := "enabled"
	if j["enabled"] == "0" {
		state = "disabled"
	}
	p.Destroys = []string{fmt.Sprintf("backup job %s (%s, %s, %s to %s)", in.ID, j["schedule"], state, what, j["storage"])}
	p.note("existing backups stay on %s", j["storage"])
	return p, nil
}
