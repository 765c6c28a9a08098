package tools

import (
	"context"
	"strings"
)

// restoreIn is what both restores share. Overwriting needs force, and
// Proxmox refuses it for a running or protected guest.
type restoreIn struct {
	NodeIn
	VMID    int    `json:"vmid" jsonschema:"ID to restore to; may differ from the backup's" min:"100" max:"999999999"`
	Storage string `json:"storage,omitempty" jsonschema:"Storage for the disks (default: where they were)"`
	Force   bool   `json:"force,omitempty" jsonschema:"Replace this ID's stopped guest on this node"`
	Unique  bool   `json:"unique,omitempty" jsonschema:"New MACs (to run beside the original)"`
	Start   bool   `json:"start,omitempty" jsonschema:"Start when restored"`
	Pool    string `json:"pool,omitempty" jsonschema:"Add to pool"`
}

type restoreQemuIn struct {
	Archive string `json:"archive" jsonschema:"Backup volid (pve_list_storage_content content=backup)" pattern:"^[a-zA-Z][a-zA-Z0-9\\-_.]*[a-zA-Z0-9]:backup/.+$" maxlen:"255"`
	restoreIn
}

type restoreLxcIn struct {
	Archive string `json:"archive" pve:"ostemplate" jsonschema:"Backup volid (pve_list_storage_content content=backup)" pattern:"^[a-zA-Z][a-zA-Z0-9\\-_.]*[a-zA-Z0-9]:backup/.+$" maxlen:"255"`
	restoreIn
}

// lxcRestoreCall is what Proxmox receives: a container create with restore.
type lxcRestoreCall struct {
	restoreLxcIn
	Restore bool `json:"restore"`
}

// deleteVolumeIn takes a file-type volume only: guest disks (vm-N-disk-M)
// are removed through their guest's config, never from under it.
type deleteVolumeIn struct {
	NodeIn
	Volume string `json:"volume" pve:"-" jsonschema:"Volid of a backup, ISO, template, import or snippet" pattern:"^[a-zA-Z][a-zA-Z0-9\\-_.]*[a-zA-Z0-9]:(backup|iso|vztmpl|import|snippets)/[^\\x00-\\x1F]+$"`
}

type deleteVolumePath struct {
	Node    string `json:"node"`
	Storage string `json:"storage"`
	Volume  string `json:"volume"`
}

var (
	restoreQemuCall  = Call{Method: "POST", Path: "/nodes/{node}/qemu"}
	restoreLxcCall   = Call{Method: "POST", Path: "/nodes/{node}/lxc"}
	deleteVolumeCall = Call{Method: "DELETE", Path: "/nodes/{node}/storage/{storage}/content/{volume}"}
	// restoreReads are what a restore's plan reads beyond the guest's facts.
	restoreReads = []Call{storageContentCall, extractConfigCall, poolsCall}
)

// restoreTools bring guests back from backups, and remove backups (and the
// other file volumes: ISOs, templates) no longer wanted.
func restoreTools() []*Tool {
	return []*Tool{
		// Destroy: with force they replace a guest's disks.
		planned(Endpoint[restoreQemuIn](Spec{Name: "pve_restore_qemu_vm", Title: "Restore VM", Tier: Full, Kind: Destroy, Task: true,
			Desc: "Restore a VM from a vzdump or PBS backup, as a new ID or (force) over a stopped one."},
			restoreQemuCall.Method, restoreQemuCall.Path), restoreReads,
			restorePlanner("qemu", restoreQemuCall, func(in restoreQemuIn) (string, restoreIn) { return in.Archive, in.restoreIn },
				func(in restoreQemuIn) any { return &in })),
		planned(Custom(Spec{Name: "pve_restore_lxc_container", Title: "Restore container", Tier: Full, Kind: Destroy, Task: true,
			Desc: "Restore a container from a vzdump or PBS backup, as a new ID or (force) over a stopped one."},
			[]Call{restoreLxcCall}, func(ctx context.Context, env *Env, in restoreLxcIn) (Output, error) {
				return env.Call(ctx, restoreLxcCall, &lxcRestoreCall{restoreLxcIn: in, Restore: true})
			}), restoreReads,
			restorePlanner("lxc", restoreLxcCall, func(in restoreLxcIn) (string, restoreIn) { return in.Archive, in.restoreIn },
				func(in restoreLxcIn) any { return &lxcRestoreCall{restoreLxcIn: in, Restore: true} })),
		planned(Custom(Spec{Name: "pve_delete_storage_volume", Title: "Delete storage volume", Tier: Full, Kind: Destroy, Task: true,
			Desc: "Delete a backup, ISO, template or other file volume; a protected backup fails the task."},
			[]Call{deleteVolumeCall}, func(ctx context.Context, env *Env, in deleteVolumeIn) (Output, error) {
				// The schema's pattern guarantees the "storage:" prefix.
				storage, _, _ := strings.Cut(in.Volume, ":")
				return env.Call(ctx, deleteVolumeCall, &deleteVolumePath{Node: in.Node, Storage: storage, Volume: in.Volume})
			}).In(Storage), []Call{storageContentCall}, deleteVolumePlan),
	}
}
