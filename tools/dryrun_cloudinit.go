package tools

import (
	"context"
	"strconv"
	"strings"

	"github.com/pve-mcp/pve-mcp/pve"
)

// The planners of the cloud-init tools: the settings that change, and
// when the guest sees them (only through a cloud-init drive).

// cloudinitDrive is the config key of the VM's cloud-init drive, or "".
func cloudinitDrive(cfg map[string]any) string {
	for k, v := range cfg {
		if s, ok := v.(string); ok && diskKey.MatchString(k) && strings.Contains(s, "cloudinit") {
			return k
		}
	}
	return ""
}

// setCloudinitPlan plans a cloud-init settings change: current ->
// proposed per key, and whether a drive will carry them to the guest.
func setCloudinitPlan(ctx context.Context, env *Env, in setCloudinitIn) (*Plan, error) {
	p, err := guestConfigPlanner("qemu", setCloudinitCall, prepCloudinit)(ctx, env, in)
	if err != nil || len(p.WouldFail) > 0 || p.Target == nil || len(p.Changes) == 0 {
		return p, err
	}
	cfg, err := env.configOf(ctx, p.Target, "")
	if err != nil {
		return nil, err
	}
	if cloudinitDrive(cfg) == "" {
		p.note("the VM has no cloud-init drive: nothing gives the guest these settings until one is added (e.g. ide2: local-lvm:cloudinit)")
	} else {
		p.note("the guest gets them at its next start, or now with pve_regenerate_qemu_cloudinit")
	}
	return p, nil
}

// regenerateCloudinitPlan plans rebuilding the cloud-init drive: the
// settings the drive holds now and those it would hold.
func regenerateCloudinitPlan(ctx context.Context, env *Env, in GuestIn) (*Plan, error) {
	p, g, err := guestPlanStart(ctx, env, "qemu", regenerateCloudinitCall, &in)
	if err != nil || len(p.WouldFail) > 0 {
		return p, err
	}
	if g.Lock != "" {
		p.fail("VM is locked (%s)", g.Lock)
	}
	cfg, err := env.configOf(ctx, g, "")
	if err != nil {
		return nil, err
	}
	if cloudinitDrive(cfg) == "" {
		p.note("the VM has no cloud-init drive: Proxmox returns without doing anything")
		return p, nil
	}
	var items []struct {
		Key     string  `json:"key"`
		Value   *string `json:"value"`
		Pending *string `json:"pending"`
		Delete  flag    `json:"delete"`
	}
	path, err := pve.BuildPath(getCloudinitCalls[0].Path, map[string]string{"node": g.Node, "vmid": strconv.Itoa(g.VMID)})
	if err != nil {
		return nil, err
	}
	if err := env.PVE.Get(ctx, path, nil, &items); err != nil {
		return nil, err
	}
	for _, it := range items {
		switch {
		case bool(it.Delete):
			p.Changes = append(p.Changes, Change{Key: it.Key, Now: it.Value, Removed: true})
		case it.Pending != nil:
			p.Changes = append(p.Changes, Change{Key: it.Key, Now: it.Value, To: *it.Pending})
		}
	}
	if len(p.Changes) == 0 {
		p.note("the drive already holds the current settings: nothing changes")
	} else if g.Status == "running" {
		p.note("the running guest reads the drive again only when its cloud-init runs (usually at boot)")
	}
	return p, nil
}
