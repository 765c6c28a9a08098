package tools

import (
	"context"
	"encoding/json"
	"fmt"
)

// The pool tools use the current /pools endpoints with poolid as a
// parameter; the /pools/{poolid} forms are deprecated and know no nested pools.

type poolIn struct {
	PoolID string `json:"poolid" jsonschema:"Pool ID, e.g. lab or parent/child" pattern:"^[A-Za-z0-9.\\-_]+(/[A-Za-z0-9.\\-_]+){0,2}$"`
}

type getPoolIn struct {
	poolIn
	Type string `json:"type,omitempty" jsonschema:"Member type filter" enum:"qemu|lxc|storage"`
}

type createPoolIn struct {
	poolIn
	Comment string `json:"comment,omitempty" jsonschema:"Comment"`
}

type updatePoolIn struct {
	poolIn
	Comment   string   `json:"comment,omitempty" jsonschema:"Comment"`
	VMs       []int    `json:"vms,omitempty" pve:"vms,join" jsonschema:"Guest IDs to add/remove"`
	Storage   []string `json:"storage,omitempty" pve:"storage,join" jsonschema:"Storage IDs to add/remove"`
	Delete    bool     `json:"delete,omitempty" jsonschema:"Remove listed members"`
	AllowMove bool     `json:"allow_move,omitempty" pve:"allow-move" jsonschema:"Move guests from another pool"`
}

var getPoolCall = Call{"GET", "/pools"}

func poolTools() []*Tool {
	return []*Tool{
		Endpoint[EmptyIn](Spec{Name: "pve_list_pools", Title: "List pools", Tier: ReadOnly, Kind: Read,
			Desc: "List resource pools (poolid, comment)."}, "GET", "/pools"),
		Custom(Spec{Name: "pve_get_pool", Title: "Get pool", Tier: ReadOnly, Kind: Read,
			Desc: "A pool's comment and members (guests, storages)."},
			[]Call{getPoolCall}, getPool),
		planned(Endpoint[createPoolIn](Spec{Name: "pve_create_pool", Title: "Create pool", Tier: Full, Kind: Act,
			Desc: "Create an empty resource pool."}, "POST", "/pools"), poolReads, createPoolPlan),
		planned(Endpoint[updatePoolIn](Spec{Name: "pve_update_pool", Title: "Change pool", Tier: Full, Kind: Set,
			Desc: "Add or remove (delete) pool guests/storages, or set its comment."}, "PUT", "/pools"), poolReads, updatePoolPlan),
		planned(Endpoint[poolIn](Spec{Name: "pve_delete_pool", Title: "Delete pool", Tier: Full, Kind: Destroy,
			Desc: "Delete an empty pool."}, "DELETE", "/pools"), poolReads, deletePoolPlan),
	}
}

// getPool asks GET /pools?poolid= and returns the one pool, not a list of one.
func getPool(ctx context.Context, env *Env, in getPoolIn) (Output, error) {
	out, err := env.Call(ctx, getPoolCall, &in)
	if err != nil {
		return out, err
	}
	var pools []json.RawMessage
	if err := json.Unmarshal(out.Data, &pools); err != nil || len(pools) != 1 {
		return Output{}, fmt.Errorf("pool %s: unexpected answer from Proxmox: %.200s", in.PoolID, out.Data)
	}
	return Output{Data: pools[0]}, nil
}
