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
	Hostname    string `json:"hostname,omitempty" jsonschema:"Host name (DNS name)"`
	Memory      int    `json:"memory,omitempty" jsonschema:"RAM, MiB" min:"16"`
	Swap        *int   `json:"swap,omitempty" jsonschema:"Swap, MiB" min:"0"`
	Cores       int    `json:"cores,omitempty" jsonschema:"CPU cores" min:"1" max:"8192"`
	Net0        string `json:"net0,omitempty" jsonschema:"NIC, e.g. name=eth0,bridge=vmbr0,ip=dhcp or ip=10.0.0.5/24,gw=10.0.0.1"`
	OnBoot      *bool  `json:"onboot,omitempty" jsonschema:"Start when the node boots"`
	Tags        string `json:"tags,omitempty" jsonschema:"Tags separated by ;"`
	Description string `json:"description,omitempty" jsonschema:"Notes shown in the GUI summary"`
}

// ociEnv is the environment of an OCI application container: a list for
// the agent, one NUL-separated string for Proxmox.
type ociEnv struct {
	Entrypoint string   `json:"entrypoint,omitempty" jsonschema:"Command run as init (OCI app containers), e.g. /usr/bin/nginx -g 'daemon off;'"`
	Env        []string `json:"env,omitempty" pve:"-" jsonschema:"Environment as NAME=value entries (OCI app containers)"`
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
	VMID       int    `json:"vmid" jsonschema:"New container ID (see pve_get_next_vmid)" min:"100" max:"999999999"`
	OSTemplate string `json:"ostemplate" jsonschema:"Template volume, e.g. local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst (see pve_list_storage_content)"`
	lxcSettings
	RootFS        string `json:"rootfs,omitempty" jsonschema:"Root disk: STORAGE:SIZE_GiB, e.g. local-lvm:8 (default 4 GiB on storage)"`
	Storage       string `json:"storage,omitempty" jsonschema:"Default storage for the root disk (Proxmox default: local)"`
	Password      string `json:"password,omitempty" jsonschema:"Root password in the container"`
	SSHPublicKeys string `json:"ssh_public_keys,omitempty" pve:"ssh-public-keys" jsonschema:"Root SSH public keys, one per line"`
	Unprivileged  *bool  `json:"unprivileged,omitempty" jsonschema:"Unprivileged container (default true; safer)"`
	Pool          string `json:"pool,omitempty" jsonschema:"Add the container to this pool"`
	Start         bool   `json:"start,omitempty" jsonschema:"Start the container once created"`
	ociEnv
	Extra map[string]any `json:"extra,omitempty" pve:"*" jsonschema:"Further Proxmox options, e.g. {\"features\":\"nesting=1\",\"mp0\":\"local-lvm:10,mp=/data\",\"nameserver\":\"10.0.0.2\"}"`
}

type updateLxcIn struct {
	GuestIn
	lxcSettings
	ociEnv
	Delete []string       `json:"delete,omitempty" pve:"delete,join" jsonschema:"Settings to remove, e.g. [\"mp0\",\"net1\"]"`
	Digest string         `json:"digest,omitempty" jsonschema:"Digest from pve_get_lxc_config; refuses the update if the config changed since"`
	Extra  map[string]any `json:"extra,omitempty" pve:"*" jsonschema:"Further Proxmox options, e.g. {\"cpulimit\":2,\"net1\":\"name=eth1,bridge=vmbr1,ip=dhcp\"}"`
}

type deleteLxcIn struct {
	GuestIn
	Force                    bool `json:"force,omitempty" jsonschema:"Destroy even if running (stops it first)"`
	Purge                    bool `json:"purge,omitempty" jsonschema:"Also remove it from backup jobs, replication and HA"`
	DestroyUnreferencedDisks bool `json:"destroy_unreferenced_disks,omitempty" pve:"destroy-unreferenced-disks" jsonschema:"Also destroy disks named for this VMID but not in its config"`
}

type cloneLxcIn struct {
	GuestIn
	NewID       int    `json:"newid" jsonschema:"ID of the new container" min:"100" max:"999999999"`
	Hostname    string `json:"hostname,omitempty" jsonschema:"Host name of the new container"`
	Description string `json:"description,omitempty" jsonschema:"Notes of the new container"`
	Target      string `json:"target,omitempty" jsonschema:"Target node (needs shared storage)"`
	Full        *bool  `json:"full,omitempty" jsonschema:"Full copy; default full, linked only from a template"`
	Storage     string `json:"storage,omitempty" jsonschema:"Target storage for a full clone"`
	Pool        string `json:"pool,omitempty" jsonschema:"Add the new container to this pool"`
	SnapName    string `json:"snapname,omitempty" jsonschema:"Clone this snapshot instead of the current state (needed for a running container)"`
}

type createLxcSnapshotIn struct {
	GuestIn
	snapName
	Description string `json:"description,omitempty" jsonschema:"What the snapshot is for"`
}

type lxcConfigIn struct {
	GuestIn
	Current  bool   `json:"current,omitempty" jsonschema:"Current values, without pending changes"`
	Snapshot string `json:"snapshot,omitempty" jsonschema:"Read the config saved in this snapshot"`
}

var (
	createLxcCall = Call{Method: "POST", Path: "/nodes/{node}/lxc"}
	updateLxcCall = Call{Method: "PUT", Path: "/nodes/{node}/lxc/{vmid}/config"}
)

func lxcTools() []*Tool {
	tools := []*Tool{
		Endpoint[NodeIn](Spec{Name: "pve_list_lxc_containers", Tier: ReadOnly, Kind: Read,
			Desc: "List the containers on a node: vmid, name, status, CPU, memory, swap, disk, uptime."}, "GET", "/nodes/{node}/lxc"),
		Endpoint[GuestIn](Spec{Name: "pve_get_lxc_status", Tier: ReadOnly, Kind: Read,
			Desc: "Live status of a container: running/stopped, CPU, memory, swap, disk and network I/O, uptime, HA state."}, "GET", "/nodes/{node}/lxc/{vmid}/status/current"),
		Endpoint[lxcConfigIn](Spec{Name: "pve_get_lxc_config", Tier: ReadOnly, Kind: Read,
			Desc: "A container's configuration (rootfs, mount points, NICs, CPU, memory, features) with pending changes applied; digest guards updates."}, "GET", "/nodes/{node}/lxc/{vmid}/config"),
		Endpoint[rrdIn](Spec{Name: "pve_get_lxc_rrddata", Tier: ReadOnly, Kind: Read,
			Desc: "A container's CPU, memory, disk and network history over a period, as time series points."}, "GET", "/nodes/{node}/lxc/{vmid}/rrddata"),
		Endpoint[GuestIn](Spec{Name: "pve_list_lxc_snapshots", Tier: ReadOnly, Kind: Read,
			Desc: "List a container's snapshots (name, parent, time); 'current' is the live state."}, "GET", "/nodes/{node}/lxc/{vmid}/snapshot"),
	}
	tools = append(tools, powerTools("lxc")...)
	return append(tools,
		Custom(Spec{Name: "pve_create_lxc_container", Tier: Full, Kind: Act, Task: true,
			Desc: "Create a container from a template (or an OCI image with entrypoint/env). Returns the task."}, []Call{createLxcCall},
			func(ctx context.Context, env *Env, in createLxcIn) (Output, error) {
				if err := addEnv(in.Env, &in.Extra); err != nil {
					return Output{}, err
				}
				return env.Call(ctx, createLxcCall, &in)
			}),
		Endpoint[deleteLxcIn](Spec{Name: "pve_delete_lxc_container", Tier: Full, Kind: Destroy, Task: true,
			Desc: "Destroy a container and all its volumes and snapshots (running only with force). Irreversible. Returns the task."}, "DELETE", "/nodes/{node}/lxc/{vmid}"),
		Custom(Spec{Name: "pve_update_lxc_config", Tier: Full, Kind: Set,
			Desc: "Change container settings at once (synchronous). On a running container, changes that need a restart stay pending."}, []Call{updateLxcCall},
			func(ctx context.Context, env *Env, in updateLxcIn) (Output, error) {
				if err := addEnv(in.Env, &in.Extra); err != nil {
					return Output{}, err
				}
				return env.Call(ctx, updateLxcCall, &in)
			}),
		Endpoint[cloneLxcIn](Spec{Name: "pve_clone_lxc_container", Tier: Full, Kind: Act, Task: true,
			Desc: "Copy a container or template to a new VMID (full, or linked from a template). Returns the task."}, "POST", "/nodes/{node}/lxc/{vmid}/clone"),
		Endpoint[createLxcSnapshotIn](Spec{Name: "pve_create_lxc_snapshot", Tier: Full, Kind: Act, Task: true,
			Desc: "Snapshot a container's volumes and config. Returns the task."}, "POST", "/nodes/{node}/lxc/{vmid}/snapshot"),
		Endpoint[deleteSnapshotIn](Spec{Name: "pve_delete_lxc_snapshot", Tier: Full, Kind: Destroy, Task: true,
			Desc: "Delete a container snapshot. Returns the task."}, "DELETE", "/nodes/{node}/lxc/{vmid}/snapshot/{snapname}"),
		Endpoint[rollbackIn](Spec{Name: "pve_rollback_lxc_snapshot", Tier: Full, Kind: Destroy, Task: true,
			Desc: "Return a container to a snapshot, losing all changes since; a running container is stopped. Returns the task."}, "POST", "/nodes/{node}/lxc/{vmid}/snapshot/{snapname}/rollback"),
	)
}
