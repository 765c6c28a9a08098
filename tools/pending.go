package tools

import (
	"context"
	"encoding/json"
)

var (
	qemuPendingCall = Call{Method: "GET", Path: "/nodes/{node}/qemu/{vmid}/pending"}
	lxcPendingCall  = Call{Method: "GET", Path: "/nodes/{node}/lxc/{vmid}/pending"}
)

// pendingTools answer "what will change at the next restart?": Proxmox
// lists every config key; only those with a pending value or removal are
// kept, so an empty list means nothing is waiting.
func pendingTools() []*Tool {
	tool := func(name, title, desc string, call Call) *Tool {
		return Custom(Spec{Name: name, Title: title, Tier: ReadOnly, Kind: Read, Desc: desc}, []Call{call},
			func(ctx context.Context, env *Env, in GuestIn) (Output, error) {
				out, err := env.Call(ctx, call, &in)
				if err != nil {
					return out, err
				}
				return onlyPending(out)
			})
	}
	return []*Tool{
		tool("pve_get_qemu_pending", "VM changes pending restart", "VM settings changed but waiting for a restart: key, value, pending or delete.", qemuPendingCall),
		tool("pve_get_lxc_pending", "Container changes pending restart", "Container settings changed but waiting for a restart: key, value, pending or delete.", lxcPendingCall).In(LXC),
	}
}

func onlyPending(out Output) (Output, error) {
	var all []map[string]any
	if err := json.Unmarshal(out.Data, &all); err != nil {
		return out, nil // not the list Proxmox documents: pass it on as it came
	}
	changed := []map[string]any{}
	for _, e := range all {
		_, p := e["pending"]
		_, d := e["delete"]
		if p || d {
			changed = append(changed, e)
		}
	}
	res, err := JSON(changed)
	if err == nil && len(changed) == 0 {
		res.Note = "Nothing pending: the running guest has its configuration."
	}
	return res, err
}
