package tools

import (
	"context"
	"slices"

	"github.com/pve-mcp/pve-mcp/pve"
)

// What the planners of the configuration tools (firewall, network, HA,
// pools, access, storage, backup jobs) share: reading one object, where
// Proxmox refusing the read is itself the plan's answer.

// failOn records a Proxmox error (the object does not exist, the token may
// not read it) as a reason the real call would fail, and returns nil; any
// other error (Proxmox unreachable) is returned: no plan can be made.
func (p *Plan) failOn(err error) error {
	if err == nil || pve.StatusOf(err) == 0 {
		return err
	}
	p.fail("%v", err)
	return nil
}

// getAt reads call's path filled with ids into out.
func (env *Env) getAt(ctx context.Context, call Call, ids map[string]string, q pve.Values, out any) error {
	path, err := pve.BuildPath(call.Path, ids)
	if err != nil {
		return err
	}
	return env.PVE.Get(ctx, path, q, out)
}

// startPlan begins a plan: the request the real call would send, and its
// parameters.
func (env *Env) startPlan(ctx context.Context, call Call, in any) (*Plan, pve.Values, error) {
	p := &Plan{}
	var err error
	if p.Request, err = env.requestOf(ctx, call, in); err != nil {
		return nil, nil, err
	}
	params, err := paramsOf(call, in)
	return p, params, err
}

// paramsOf is what the real call would send: the parameters of in for
// call (path values apart).
func paramsOf(call Call, in any) (pve.Values, error) {
	_, params, err := pve.Encode(in, placeholdersOf([]Call{call}))
	return params, err
}

// newSettings lists the settings a create would set, as changes from
// nothing (secrets hidden).
func newSettings(params pve.Values, skip ...string) []Change {
	var out []Change
	for _, k := range sortedKeys(params) {
		if slices.Contains(skip, k) {
			continue
		}
		to := params.Get(k)
		if secretKey(k) {
			to = "(hidden)"
		}
		out = append(out, Change{Key: k, To: to})
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
