package tools

import (
	"bytes"
	"context"
	"fmt"
)

type migrateLxcIn struct {
	GuestIn
	Target        string   `json:"target" jsonschema:"Target node"`
	Restart       bool     `json:"restart,omitempty" jsonschema:"Stop, move, start (needed if running)"`
	Timeout       *int     `json:"timeout,omitempty" jsonschema:"Shutdown timeout, s (default 180)"`
	Online        bool     `json:"online,omitempty" jsonschema:"Live; unsupported for containers"`
	TargetStorage string   `json:"target_storage,omitempty" pve:"target-storage" jsonschema:"Target storage, or src:dst pairs"`
	BWLimit       *float64 `json:"bwlimit,omitempty" jsonschema:"KiB/s" min:"0"`
}

var lxcInterfacesCall = Call{Method: "GET", Path: "/nodes/{node}/lxc/{vmid}/interfaces"}

func lxcInterfaceMigrateTools() []*Tool {
	return []*Tool{
		Custom(Spec{Name: "pve_get_lxc_interfaces", Title: "Container network addresses", Tier: ReadOnly, Kind: Read,
			Desc: "A running container's NICs with MAC and IP addresses."}, []Call{lxcInterfacesCall},
			func(ctx context.Context, env *Env, in GuestIn) (Output, error) {
				out, err := env.Call(ctx, lxcInterfacesCall, &in)
				if err == nil && (len(out.Data) == 0 || bytes.Equal(out.Data, []byte("null"))) {
					return Output{Note: fmt.Sprintf("Container %d reports no interfaces: it is not running (see pve_get_lxc_status).", in.VMID)}, nil
				}
				return out, err
			}),
		planned(Endpoint[migrateLxcIn](Spec{Name: "pve_migrate_lxc_container", Title: "Migrate container", Tier: ReadExecute, Kind: Act, Task: true,
			Desc: "Move a container to another node; a running one needs restart."}, "POST", "/nodes/{node}/lxc/{vmid}/migrate"), nil,
			migratePlanner("lxc", Call{"POST", "/nodes/{node}/lxc/{vmid}/migrate"}, func(in migrateLxcIn) (string, bool, bool) {
				return in.Target, in.Restart, true
			})),
	}
}
