package tools

import (
	"context"
	"fmt"
	"regexp"
	"strings"
)

// lxcSettings are the container settings agents set most; anything else
// goes in extra.
type lxcSettings struct {
	Hostname    string `json:"hostname,omitempty" jsonschema:"Host name" maxlen:"255"`
	Memory      int    `json:"memory,omitempty" jsonschema:"RAM, MiB" min:"16"`
	Swap        *int   `json:"swap,omitempty" jsonschema:"Swap, MiB" min:"0"`
	Cores       int    `json:"cores,omitempty" jsonschema:"CPU cores" min:"1" max:"8192"`
	Net0        string `json:"net0,omitempty" jsonschema:"NIC, e.g. name=eth0,bridge=vmbr0,ip=dhcp (or ip=CIDR,gw=IP)"`
	OnBoot      *bool  `json:"onboot,omitempty" jsonschema:"Start at node boot"`
	Tags        string `json:"tags,omitempty" jsonschema:"Tags, ;-separated"`
	Description string `json:"description,omitempty" jsonschema:"Notes" maxlen:"8192"`
}

// ociEnv is the environment of an OCI application container: a list for
// the agent, one NUL-separated string for Proxmox.
type ociEnv struct {
	Entrypoint string   `json:"entrypoint,omitempty" jsonschema:"Init command (OCI app)" pattern:"^[^\\x00-\\x08\\x10-\\x1F\\x7F]+$"`
	Env        []string `json:"env,omitempty" pve:"-" jsonschema:"List of NAME=value (OCI app)"`
}

var reEnvEntry = regexp.MustCompile(`^\w+=[^\x00-\x08\x10-\x1F\x7F]*$`)

// addEnv validates env and puts it, NUL-joined as Proxmox wants, into extra.
func addEnv(env []string, extra *map[string]any) error {
	if len(env) == 0 {
		return nil
	}
	for _, e := range env {
		if !reEnvEntry.MatchString(e) {
			return fmt.Errorf("env entry %q is not NAME=value (NAME: letters, digits, _; no control characters)", e)
		}
	}
	if _, dup := (*extra)["env"]; dup {
		return fmt.Errorf("env is given twice: as the env list and in extra")
	}
	if *extra == nil {
		*extra = map[string]any{}
	}
	(*extra)["env"] = strings.Join(env, "\x00")
	return nil
}

type createLxcIn struct {
	NodeIn
	VMID       int    `json:"vmid" jsonschema:"New ID (pve_get_next_vmid)" min:"100" max:"999999999"`
	OSTemplate string `json:"ostemplate" jsonschema:"Template volume, e.g. local:vztmpl/x.tar.zst" maxlen:"255"`
	lxcSettings
	RootFS        string `json:"rootfs,omitempty" jsonschema:"Root disk STORAGE:GiB, e.g. local-lvm:8"`
	Storage       string `json:"storage,omitempty" jsonschema:"Storage if no rootfs (default local, 4 GiB)"`
	Password      string `json:"password,omitempty" jsonschema:"Root password" minlen:"5"`
	SSHPublicKeys string `json:"ssh_public_keys,omitempty" pve:"ssh-public-keys" jsonschema:"Root SSH keys, one per line"`
	Unprivileged  *bool  `json:"unprivileged,omitempty" jsonschema:"Default true"`
	Pool          string `json:"pool,omitempty" jsonschema:"Add to pool"`
	Start         bool   `json:"start,omitempty" jsonschema:"Start when created"`
	ociEnv
	Extra map[string]any `json:"extra,omitempty" pve:"*" jsonschema:"Other options, e.g. {\"features\":\"nesting=1\",\"mp0\":\"local-lvm:10,mp=/data\"}"`
}

type updateLxcIn struct {
	GuestIn
	lxcSettings
	ociEnv
	Delete []string       `json:"delete,omitempty" pve:"delete,join" jsonschema:"Options to remove"`
	Digest string         `json:"digest,omitempty" jsonschema:"Fail if the config digest differs" maxlen:"40"`
	Extra  map[string]any `json:"extra,omitempty" pve:"*" jsonschema:"Other options, e.g. {\"cpulimit\":2}"`
}

type deleteLxcIn struct {
	GuestIn
	Force                    bool `json:"force,omitempty" jsonschema:"Stop it first if running"`
	Purge                    bool `json:"purge,omitempty" jsonschema:"Also drop it from backup, replication, HA"`
	DestroyUnreferencedDisks bool `json:"destroy_unreferenced_disks,omitempty" pve:"destroy-unreferenced-disks" jsonschema:"Also destroy its disks not in the config"`
}

type cloneLxcIn struct {
	GuestIn
	NewID       int    `json:"newid" jsonschema:"New container ID" min:"100" max:"999999999"`
	Hostname    string `json:"hostname,omitempty" jsonschema:"New host name"`
	Description string `json:"description,omitempty" jsonschema:"New notes"`
	Target      string `json:"target,omitempty" jsonschema:"Target node (shared storage)"`
	Full        *bool  `json:"full,omitempty" jsonschema:"Full copy; templates default to linked"`
	Storage     string `json:"storage,omitempty" jsonschema:"Storage (full clone)"`
	Pool        string `json:"pool,omitempty" jsonschema:"Add to pool"`
	SnapName    string `json:"snapname,omitempty" jsonschema:"Clone from this snapshot (required if running)" maxlen:"40"`
}

type createLxcSnapshotIn struct {
	GuestIn
	snapName
	Description string `json:"description,omitempty" jsonschema:"Notes"`
}

type lxcConfigIn struct {
	GuestIn
	Current  bool   `json:"current,omitempty" jsonschema:"Without pending changes"`
	Snapshot string `json:"snapshot,omitempty" jsonschema:"Config saved in this snapshot" maxlen:"40"`
}

var (
	createLxcCall = Call{Method: "POST", Path: "/nodes/{node}/lxc"}
	updateLxcCall = Call{Method: "PUT", Path: "/nodes/{node}/lxc/{vmid}/config"}
)

func lxcTools() []*Tool {
	tools := []*Tool{
		perNodeList(Spec{Name: "pve_list_lxc_containers", Title: "List containers", Tier: ReadOnly, Kind: Read, Fields: guestFields,
			Desc: "List containers with status and usage, on one node or all."}, "/nodes/{node}/lxc"),
		Endpoint[GuestIn](Spec{Name: "pve_get_lxc_status", Title: "Container status", Tier: ReadOnly, Kind: Read,
			Desc: "A container's live status, usage, uptime and HA state."}, "GET", "/nodes/{node}/lxc/{vmid}/status/current"),
		Endpoint[lxcConfigIn](Spec{Name: "pve_get_lxc_config", Title: "Container config", Tier: ReadOnly, Kind: Read,
			Desc: "A container's config, pending changes applied, with its digest."}, "GET", "/nodes/{node}/lxc/{vmid}/config"),
		Endpoint[rrdIn](Spec{Name: "pve_get_lxc_rrddata", Title: "Container metrics history", Tier: ReadOnly, Kind: Read,
			Desc: "A container's CPU, memory, disk and network history."}, "GET", "/nodes/{node}/lxc/{vmid}/rrddata"),
		Endpoint[GuestIn](Spec{Name: "pve_list_lxc_snapshots", Title: "List container snapshots", Tier: ReadOnly, Kind: Read,
			Desc: "List a container's snapshots; 'current' is the live state."}, "GET", "/nodes/{node}/lxc/{vmid}/snapshot"),
	}
	tools = append(tools, powerTools("lxc")...)
	return append(tools,
		planned(Custom(Spec{Name: "pve_create_lxc_container", Title: "Create container", Tier: Full, Kind: Act, Task: true,
			Desc: "Create a container from a template or OCI image."}, []Call{createLxcCall},
			func(ctx context.Context, env *Env, in createLxcIn) (Output, error) {
				if err := addEnv(in.Env, &in.Extra); err != nil {
					return Output{}, err
				}
				return env.Call(ctx, createLxcCall, &in)
			}), []Call{storageContentCall, poolsCall},
			createGuestPlanner("lxc", createLxcCall, func(in *createLxcIn) error { return addEnv(in.Env, &in.Extra) })),
		planned(Endpoint[deleteLxcIn](Spec{Name: "pve_delete_lxc_container", Title: "Destroy container", Tier: Full, Kind: Destroy, Task: true,
			Desc: "Destroy a container with its volumes and snapshots; irreversible."}, "DELETE", "/nodes/{node}/lxc/{vmid}"), []Call{replicationCall},
			deleteGuestPlanner("lxc", Call{"DELETE", "/nodes/{node}/lxc/{vmid}"},
				func(in deleteLxcIn) bool { return in.Purge }, func(in deleteLxcIn) bool { return in.Force })),
		planned(Custom(Spec{Name: "pve_update_lxc_config", Title: "Change container config", Tier: Full, Kind: Set,
			Desc: "Change container settings; on a running one some stay pending until restart."}, []Call{updateLxcCall},
			func(ctx context.Context, env *Env, in updateLxcIn) (Output, error) {
				if err := addEnv(in.Env, &in.Extra); err != nil {
					return Output{}, err
				}
				return env.Call(ctx, updateLxcCall, &in)
			}), nil,
			guestConfigPlanner("lxc", updateLxcCall, func(in *updateLxcIn) error { return addEnv(in.Env, &in.Extra) })),
		planned(Endpoint[cloneLxcIn](Spec{Name: "pve_clone_lxc_container", Title: "Clone container", Tier: Full, Kind: Act, Task: true,
			Desc: "Copy a container or template to a new VMID."}, "POST", "/nodes/{node}/lxc/{vmid}/clone"), []Call{poolsCall},
			clonePlanner("lxc", Call{"POST", "/nodes/{node}/lxc/{vmid}/clone"}, func(in cloneLxcIn) cloneOpts {
				return cloneOpts{NewID: in.NewID, Name: in.Hostname, Target: in.Target, Storage: in.Storage, SnapName: in.SnapName, Pool: in.Pool, Full: in.Full}
			})),
		planned(Endpoint[createLxcSnapshotIn](Spec{Name: "pve_create_lxc_snapshot", Title: "Snapshot container", Tier: Full, Kind: Act, Task: true,
			Desc: "Snapshot a container's volumes and config."}, "POST", "/nodes/{node}/lxc/{vmid}/snapshot"), nil,
			snapshotPlanner("lxc", Call{"POST", "/nodes/{node}/lxc/{vmid}/snapshot"}, func(in createLxcSnapshotIn) (string, bool) { return in.SnapName, false })),
		planned(Endpoint[deleteSnapshotIn](Spec{Name: "pve_delete_lxc_snapshot", Title: "Delete container snapshot", Tier: Full, Kind: Destroy, Task: true,
			Desc: "Delete a container snapshot."}, "DELETE", "/nodes/{node}/lxc/{vmid}/snapshot/{snapname}"), nil,
			deleteSnapshotPlanner("lxc", Call{"DELETE", "/nodes/{node}/lxc/{vmid}/snapshot/{snapname}"})),
		planned(Endpoint[rollbackIn](Spec{Name: "pve_rollback_lxc_snapshot", Title: "Roll back container", Tier: Full, Kind: Destroy, Task: true,
			Desc: "Revert a container to a snapshot, losing later changes; stops it if running."}, "POST", "/nodes/{node}/lxc/{vmid}/snapshot/{snapname}/rollback"), nil,
			rollbackPlanner("lxc", Call{"POST", "/nodes/{node}/lxc/{vmid}/snapshot/{snapname}/rollback"})),
	)
}
