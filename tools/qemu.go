package tools

type rrdIn struct {
	GuestIn
	Timeframe string `json:"timeframe" jsonschema:"Period" enum:"hour|day|week|month|year"`
	CF        string `json:"cf,omitempty" jsonschema:"Default AVERAGE" enum:"AVERAGE|MAX"`
}

type qemuConfigIn struct {
	GuestIn
	Current  bool   `json:"current,omitempty" jsonschema:"Without pending changes"`
	Snapshot string `json:"snapshot,omitempty" jsonschema:"Config saved in this snapshot" maxlen:"40"`
}

type migrateQemuIn struct {
	GuestIn
	Target         string `json:"target" jsonschema:"Target node"`
	Online         bool   `json:"online,omitempty" jsonschema:"Live (running VM)"`
	WithLocalDisks bool   `json:"with_local_disks,omitempty" pve:"with-local-disks" jsonschema:"Copy local disks too"`
	TargetStorage  string `json:"targetstorage,omitempty" jsonschema:"Target storage, or src:dst pairs"`
	BWLimit        *int   `json:"bwlimit,omitempty" jsonschema:"KiB/s" min:"0"`
}

// qemuSettings are the VM settings agents set most; anything else goes in extra.
type qemuSettings struct {
	Name        string `json:"name,omitempty" jsonschema:"VM name"`
	Memory      int    `json:"memory,omitempty" jsonschema:"RAM, MiB" min:"16"`
	Cores       int    `json:"cores,omitempty" jsonschema:"Cores per socket" min:"1"`
	Sockets     int    `json:"sockets,omitempty" jsonschema:"Sockets" min:"1"`
	CPU         string `json:"cpu,omitempty" jsonschema:"CPU type, e.g. host"`
	SCSI0       string `json:"scsi0,omitempty" jsonschema:"Disk; new: STORAGE:GiB, e.g. local-lvm:32"`
	IDE2        string `json:"ide2,omitempty" jsonschema:"CD-ROM, e.g. local:iso/x.iso,media=cdrom"`
	Net0        string `json:"net0,omitempty" jsonschema:"NIC, e.g. virtio,bridge=vmbr0[,tag=VLAN]"`
	Boot        string `json:"boot,omitempty" jsonschema:"Boot order, e.g. order=scsi0;ide2"`
	Agent       string `json:"agent,omitempty" jsonschema:"Guest agent, e.g. 1"`
	OnBoot      *bool  `json:"onboot,omitempty" jsonschema:"Start at node boot"`
	Tags        string `json:"tags,omitempty" jsonschema:"Tags, ;-separated"`
	Description string `json:"description,omitempty" jsonschema:"Notes" maxlen:"8192"`
}

type createQemuIn struct {
	NodeIn
	VMID int `json:"vmid" jsonschema:"New ID (pve_get_next_vmid)" min:"100" max:"999999999"`
	qemuSettings
	// Rarely changed later: pve_update_qemu_config takes them in extra.
	OSType string         `json:"ostype,omitempty" jsonschema:"Guest OS" enum:"other|wxp|w2k|w2k3|w2k8|wvista|win7|win8|win10|win11|l24|l26|solaris"`
	SCSIHW string         `json:"scsihw,omitempty" jsonschema:"SCSI controller" enum:"lsi|lsi53c810|virtio-scsi-pci|virtio-scsi-single|megasas|pvscsi"`
	Pool   string         `json:"pool,omitempty" jsonschema:"Add to pool"`
	Start  bool           `json:"start,omitempty" jsonschema:"Start when created"`
	Extra  map[string]any `json:"extra,omitempty" pve:"*" jsonschema:"Other options, e.g. {\"virtio0\":\"local-lvm:32\",\"bios\":\"ovmf\"}"`
}

type updateQemuIn struct {
	GuestIn
	qemuSettings
	Delete []string       `json:"delete,omitempty" pve:"delete,join" jsonschema:"Options to remove; a disk becomes unusedN"`
	Digest string         `json:"digest,omitempty" jsonschema:"Fail if the config digest differs" maxlen:"40"`
	Extra  map[string]any `json:"extra,omitempty" pve:"*" jsonschema:"Other options, e.g. {\"balloon\":2048}"`
}

type deleteQemuIn struct {
	GuestIn
	Purge                    bool `json:"purge,omitempty" jsonschema:"Also drop it from backup, replication, HA"`
	DestroyUnreferencedDisks bool `json:"destroy_unreferenced_disks,omitempty" pve:"destroy-unreferenced-disks" jsonschema:"Also destroy its disks not in the config"`
}

type cloneQemuIn struct {
	GuestIn
	NewID       int    `json:"newid" jsonschema:"New VM ID" min:"100" max:"999999999"`
	Name        string `json:"name,omitempty" jsonschema:"New name"`
	Description string `json:"description,omitempty" jsonschema:"New notes"`
	Target      string `json:"target,omitempty" jsonschema:"Target node (shared storage)"`
	Full        *bool  `json:"full,omitempty" jsonschema:"Full copy; templates default to linked"`
	Storage     string `json:"storage,omitempty" jsonschema:"Storage (full clone)"`
	Format      string `json:"format,omitempty" jsonschema:"Disk format (full clone)" enum:"raw|qcow2|vmdk"`
	Pool        string `json:"pool,omitempty" jsonschema:"Add to pool"`
	SnapName    string `json:"snapname,omitempty" jsonschema:"Clone from this snapshot" maxlen:"40"`
}

// snapName is a snapshot name in Proxmox's pve-configid format.
type snapName struct {
	SnapName string `json:"snapname" jsonschema:"Snapshot name" pattern:"^[a-zA-Z][a-zA-Z0-9_-]+$" maxlen:"40"`
}

type createQemuSnapshotIn struct {
	GuestIn
	snapName
	Description string `json:"description,omitempty" jsonschema:"Notes"`
	VMState     bool   `json:"vmstate,omitempty" jsonschema:"Save RAM too (rollback resumes it)"`
}

type deleteSnapshotIn struct {
	GuestIn
	snapName
	Force bool `json:"force,omitempty" jsonschema:"Drop from config even if disk cleanup fails"`
}

type rollbackIn struct {
	GuestIn
	snapName
	Start bool `json:"start,omitempty" jsonschema:"Start after rollback"`
}

// guestFields are what container lists keep: identity, state and usage,
// without I/O counters, pid or swap. vmFields leave out disk too: Proxmox
// reports 0 for every VM, which reads as "empty".
var (
	guestFields = []string{"vmid", "name", "node", "status", "lock", "tags", "template",
		"cpu", "cpus", "mem", "maxmem", "disk", "maxdisk", "uptime"}
	vmFields = []string{"vmid", "name", "node", "status", "qmpstatus", "lock", "tags", "template",
		"cpu", "cpus", "mem", "maxmem", "maxdisk", "uptime"}
)

func qemuTools() []*Tool {
	tools := []*Tool{
		perNodeList(Spec{Name: "pve_list_qemu_vms", Title: "List VMs", Tier: ReadOnly, Kind: Read, Fields: vmFields,
			Desc: "List VMs with status and usage, on one node or all."}, "/nodes/{node}/qemu"),
		Endpoint[GuestIn](Spec{Name: "pve_get_qemu_status", Title: "VM status", Tier: ReadOnly, Kind: Read,
			Desc: "A VM's live status, usage, uptime and HA state."}, "GET", "/nodes/{node}/qemu/{vmid}/status/current"),
		Endpoint[qemuConfigIn](Spec{Name: "pve_get_qemu_config", Title: "VM config", Tier: ReadOnly, Kind: Read,
			Desc: "A VM's config, pending changes applied, with its digest."}, "GET", "/nodes/{node}/qemu/{vmid}/config"),
		Endpoint[rrdIn](Spec{Name: "pve_get_qemu_rrddata", Title: "VM metrics history", Tier: ReadOnly, Kind: Read,
			Desc: "A VM's CPU, memory, disk and network history."}, "GET", "/nodes/{node}/qemu/{vmid}/rrddata"),
		Endpoint[GuestIn](Spec{Name: "pve_list_qemu_snapshots", Title: "List VM snapshots", Tier: ReadOnly, Kind: Read,
			Desc: "List a VM's snapshots; 'current' is the live state."}, "GET", "/nodes/{node}/qemu/{vmid}/snapshot"),
	}
	tools = append(tools, powerTools("qemu")...)
	tools = append(tools,
		planned(Endpoint[migrateQemuIn](Spec{Name: "pve_migrate_qemu_vm", Title: "Migrate VM", Tier: ReadExecute, Kind: Act, Task: true,
			Desc: "Move a VM to another node."}, "POST", "/nodes/{node}/qemu/{vmid}/migrate"), nil,
			migratePlanner("qemu", Call{"POST", "/nodes/{node}/qemu/{vmid}/migrate"}, func(in migrateQemuIn) (string, bool, bool) {
				return in.Target, in.Online, in.WithLocalDisks
			})),
		planned(Endpoint[createQemuIn](Spec{Name: "pve_create_qemu_vm", Title: "Create VM", Tier: Full, Kind: Act, Task: true,
			Desc: "Create a VM."}, "POST", "/nodes/{node}/qemu"), []Call{storageContentCall, poolsCall},
			createGuestPlanner[createQemuIn]("qemu", Call{"POST", "/nodes/{node}/qemu"}, nil)),
		planned(Endpoint[deleteQemuIn](Spec{Name: "pve_delete_qemu_vm", Title: "Destroy VM", Tier: Full, Kind: Destroy, Task: true,
			Desc: "Destroy a stopped VM with its disks and snapshots; irreversible."}, "DELETE", "/nodes/{node}/qemu/{vmid}"), []Call{replicationCall},
			deleteGuestPlanner("qemu", Call{"DELETE", "/nodes/{node}/qemu/{vmid}"},
				func(in deleteQemuIn) bool { return in.Purge }, func(deleteQemuIn) bool { return false })),
		planned(Endpoint[updateQemuIn](Spec{Name: "pve_update_qemu_config", Title: "Change VM config", Tier: Full, Kind: Set,
			Desc: "Change VM settings; on a running VM some stay pending until restart."}, "PUT", "/nodes/{node}/qemu/{vmid}/config"), nil,
			guestConfigPlanner[updateQemuIn]("qemu", Call{"PUT", "/nodes/{node}/qemu/{vmid}/config"}, nil)),
		planned(Endpoint[cloneQemuIn](Spec{Name: "pve_clone_qemu_vm", Title: "Clone VM", Tier: Full, Kind: Act, Task: true,
			Desc: "Copy a VM or template to a new VMID."}, "POST", "/nodes/{node}/qemu/{vmid}/clone"), []Call{poolsCall},
			clonePlanner("qemu", Call{"POST", "/nodes/{node}/qemu/{vmid}/clone"}, func(in cloneQemuIn) cloneOpts {
				return cloneOpts{NewID: in.NewID, Name: in.Name, Target: in.Target, Storage: in.Storage, SnapName: in.SnapName, Pool: in.Pool, Full: in.Full}
			})),
		planned(Endpoint[createQemuSnapshotIn](Spec{Name: "pve_create_qemu_snapshot", Title: "Snapshot VM", Tier: Full, Kind: Act, Task: true,
			Desc: "Snapshot a VM's disks and config."}, "POST", "/nodes/{node}/qemu/{vmid}/snapshot"), nil,
			snapshotPlanner("qemu", Call{"POST", "/nodes/{node}/qemu/{vmid}/snapshot"}, func(in createQemuSnapshotIn) (string, bool) { return in.SnapName, in.VMState })),
		planned(Endpoint[deleteSnapshotIn](Spec{Name: "pve_delete_qemu_snapshot", Title: "Delete VM snapshot", Tier: Full, Kind: Destroy, Task: true,
			Desc: "Delete a VM snapshot."}, "DELETE", "/nodes/{node}/qemu/{vmid}/snapshot/{snapname}"), nil,
			deleteSnapshotPlanner("qemu", Call{"DELETE", "/nodes/{node}/qemu/{vmid}/snapshot/{snapname}"})),
		planned(Endpoint[rollbackIn](Spec{Name: "pve_rollback_qemu_snapshot", Title: "Roll back VM", Tier: Full, Kind: Destroy, Task: true,
			Desc: "Revert a VM to a snapshot, losing later changes; stops it unless RAM was saved."}, "POST", "/nodes/{node}/qemu/{vmid}/snapshot/{snapname}/rollback"), nil,
			rollbackPlanner("qemu", Call{"POST", "/nodes/{node}/qemu/{vmid}/snapshot/{snapname}/rollback"})),
	)
	return tools
}
