package tools

type rrdIn struct {
	GuestIn
	Timeframe string `json:"timeframe" jsonschema:"Period" enum:"hour|day|week|month|year"`
	CF        string `json:"cf,omitempty" jsonschema:"Consolidation (default AVERAGE)" enum:"AVERAGE|MAX"`
}

type qemuConfigIn struct {
	GuestIn
	Current  bool   `json:"current,omitempty" jsonschema:"Current values, without pending changes"`
	Snapshot string `json:"snapshot,omitempty" jsonschema:"Read the config saved in this snapshot"`
}

type migrateQemuIn struct {
	GuestIn
	Target         string `json:"target" jsonschema:"Target node"`
	Online         bool   `json:"online,omitempty" jsonschema:"Live-migrate a running VM"`
	WithLocalDisks bool   `json:"with_local_disks,omitempty" pve:"with-local-disks" jsonschema:"Also migrate local disks"`
	TargetStorage  string `json:"targetstorage,omitempty" jsonschema:"Target storage, or src:dst pairs"`
	BWLimit        *int   `json:"bwlimit,omitempty" jsonschema:"Bandwidth limit, KiB/s" min:"0"`
}

// qemuSettings are the VM settings agents set most; anything else goes in extra.
type qemuSettings struct {
	Name        string `json:"name,omitempty" jsonschema:"VM name (DNS name)"`
	Memory      int    `json:"memory,omitempty" jsonschema:"RAM, MiB" min:"16"`
	Cores       int    `json:"cores,omitempty" jsonschema:"Cores per socket" min:"1"`
	Sockets     int    `json:"sockets,omitempty" jsonschema:"CPU sockets" min:"1"`
	CPU         string `json:"cpu,omitempty" jsonschema:"CPU type, e.g. host or x86-64-v2-AES"`
	OSType      string `json:"ostype,omitempty" jsonschema:"Guest OS type" enum:"other|wxp|w2k|w2k3|w2k8|wvista|win7|win8|win10|win11|l24|l26|solaris"`
	SCSI0       string `json:"scsi0,omitempty" jsonschema:"Disk: new as STORAGE:SIZE_GiB (local-lvm:32,iothread=1) or an existing volume"`
	VirtIO0     string `json:"virtio0,omitempty" jsonschema:"VirtIO disk, same format as scsi0"`
	IDE2        string `json:"ide2,omitempty" jsonschema:"CD-ROM, e.g. local:iso/debian-12.iso,media=cdrom or none,media=cdrom"`
	Net0        string `json:"net0,omitempty" jsonschema:"NIC, e.g. virtio,bridge=vmbr0,firewall=1[,tag=VLAN]; MAC generated if omitted"`
	SCSIHW      string `json:"scsihw,omitempty" jsonschema:"SCSI controller" enum:"lsi|lsi53c810|virtio-scsi-pci|virtio-scsi-single|megasas|pvscsi"`
	Boot        string `json:"boot,omitempty" jsonschema:"Boot order, e.g. order=scsi0;ide2;net0"`
	Agent       string `json:"agent,omitempty" jsonschema:"QEMU guest agent, e.g. 1 or enabled=1,fstrim_cloned_disks=1"`
	OnBoot      *bool  `json:"onboot,omitempty" jsonschema:"Start when the node boots"`
	Tags        string `json:"tags,omitempty" jsonschema:"Tags separated by ;"`
	Description string `json:"description,omitempty" jsonschema:"Notes shown in the GUI summary"`
}

type createQemuIn struct {
	NodeIn
	VMID int `json:"vmid" jsonschema:"New VM ID (see pve_get_next_vmid)" min:"100" max:"999999999"`
	qemuSettings
	Pool  string         `json:"pool,omitempty" jsonschema:"Add the VM to this pool"`
	Start bool           `json:"start,omitempty" jsonschema:"Start the VM once created"`
	Extra map[string]any `json:"extra,omitempty" pve:"*" jsonschema:"Further Proxmox options, e.g. {\"net1\":\"virtio,bridge=vmbr1\",\"bios\":\"ovmf\",\"ipconfig0\":\"ip=dhcp\"}"`
}

type updateQemuIn struct {
	GuestIn
	qemuSettings
	Delete []string       `json:"delete,omitempty" pve:"delete,join" jsonschema:"Settings to remove, e.g. [\"ide2\",\"net1\"]; a removed disk becomes unusedN"`
	Digest string         `json:"digest,omitempty" jsonschema:"Digest from pve_get_qemu_config; refuses the update if the config changed since"`
	Extra  map[string]any `json:"extra,omitempty" pve:"*" jsonschema:"Further Proxmox options, e.g. {\"balloon\":2048,\"net1\":\"virtio,bridge=vmbr1\"}"`
}

type deleteQemuIn struct {
	GuestIn
	Purge                    bool `json:"purge,omitempty" jsonschema:"Also remove it from backup jobs, replication and HA"`
	DestroyUnreferencedDisks bool `json:"destroy_unreferenced_disks,omitempty" pve:"destroy-unreferenced-disks" jsonschema:"Also destroy disks named for this VMID but not in its config"`
}

type cloneQemuIn struct {
	GuestIn
	NewID       int    `json:"newid" jsonschema:"ID of the new VM" min:"100" max:"999999999"`
	Name        string `json:"name,omitempty" jsonschema:"Name of the new VM"`
	Description string `json:"description,omitempty" jsonschema:"Notes of the new VM"`
	Target      string `json:"target,omitempty" jsonschema:"Target node (needs shared storage)"`
	Full        *bool  `json:"full,omitempty" jsonschema:"Full copy; default full, linked only from a template"`
	Storage     string `json:"storage,omitempty" jsonschema:"Target storage for a full clone"`
	Format      string `json:"format,omitempty" jsonschema:"Disk format on file storage (full clone)" enum:"raw|qcow2|vmdk"`
	Pool        string `json:"pool,omitempty" jsonschema:"Add the new VM to this pool"`
	SnapName    string `json:"snapname,omitempty" jsonschema:"Clone this snapshot instead of the current state"`
}

// snapName is a snapshot name in Proxmox's pve-configid format.
type snapName struct {
	SnapName string `json:"snapname" jsonschema:"Snapshot name: a letter, then letters, digits, - or _" pattern:"^[a-zA-Z][a-zA-Z0-9_-]+$"`
}

type createQemuSnapshotIn struct {
	GuestIn
	snapName
	Description string `json:"description,omitempty" jsonschema:"What the snapshot is for"`
	VMState     bool   `json:"vmstate,omitempty" jsonschema:"Also save RAM of a running VM, so rollback resumes it running"`
}

type deleteSnapshotIn struct {
	GuestIn
	snapName
	Force bool `json:"force,omitempty" jsonschema:"Remove from the config even if deleting disk snapshots fails"`
}

type rollbackIn struct {
	GuestIn
	snapName
	Start bool `json:"start,omitempty" jsonschema:"Start the guest after the rollback"`
}

func qemuTools() []*Tool {
	tools := []*Tool{
		Endpoint[NodeIn](Spec{Name: "pve_list_qemu_vms", Tier: ReadOnly, Kind: Read,
			Desc: "List the VMs on a node: vmid, name, status, CPU, memory, disk, uptime."}, "GET", "/nodes/{node}/qemu"),
		Endpoint[GuestIn](Spec{Name: "pve_get_qemu_status", Tier: ReadOnly, Kind: Read,
			Desc: "Live status of a VM: running/stopped, CPU, memory, disk and network I/O, uptime, HA state, guest agent."}, "GET", "/nodes/{node}/qemu/{vmid}/status/current"),
		Endpoint[qemuConfigIn](Spec{Name: "pve_get_qemu_config", Tier: ReadOnly, Kind: Read,
			Desc: "A VM's configuration (disks, NICs, CPU, memory, boot, cloud-init) with pending changes applied; digest guards updates."}, "GET", "/nodes/{node}/qemu/{vmid}/config"),
		Endpoint[rrdIn](Spec{Name: "pve_get_qemu_rrddata", Tier: ReadOnly, Kind: Read,
			Desc: "A VM's CPU, memory, disk and network history over a period, as time series points."}, "GET", "/nodes/{node}/qemu/{vmid}/rrddata"),
		Endpoint[GuestIn](Spec{Name: "pve_list_qemu_snapshots", Tier: ReadOnly, Kind: Read,
			Desc: "List a VM's snapshots (name, parent, time, with RAM state or not); 'current' is the live state."}, "GET", "/nodes/{node}/qemu/{vmid}/snapshot"),
	}
	tools = append(tools, powerTools("qemu")...)
	tools = append(tools,
		Endpoint[migrateQemuIn](Spec{Name: "pve_migrate_qemu_vm", Tier: ReadExecute, Kind: Act, Task: true,
			Desc: "Move a VM to another node (live with online). Returns the task."}, "POST", "/nodes/{node}/qemu/{vmid}/migrate"),
		Endpoint[createQemuIn](Spec{Name: "pve_create_qemu_vm", Tier: Full, Kind: Act, Task: true,
			Desc: "Create a VM. New disks are STORAGE:SIZE_GiB, e.g. scsi0=local-lvm:32. Returns the task."}, "POST", "/nodes/{node}/qemu"),
		Endpoint[deleteQemuIn](Spec{Name: "pve_delete_qemu_vm", Tier: Full, Kind: Destroy, Task: true,
			Desc: "Destroy a stopped VM and all its disks and snapshots. Irreversible. Returns the task."}, "DELETE", "/nodes/{node}/qemu/{vmid}"),
		Endpoint[updateQemuIn](Spec{Name: "pve_update_qemu_config", Tier: Full, Kind: Set,
			Desc: "Change VM settings at once (synchronous). On a running VM, changes that need a restart stay pending (see pve_get_qemu_config)."}, "PUT", "/nodes/{node}/qemu/{vmid}/config"),
		Endpoint[cloneQemuIn](Spec{Name: "pve_clone_qemu_vm", Tier: Full, Kind: Act, Task: true,
			Desc: "Copy a VM or template to a new VMID (full, or linked from a template). Returns the task."}, "POST", "/nodes/{node}/qemu/{vmid}/clone"),
		Endpoint[createQemuSnapshotIn](Spec{Name: "pve_create_qemu_snapshot", Tier: Full, Kind: Act, Task: true,
			Desc: "Snapshot a VM's disks and config (and RAM with vmstate). Returns the task."}, "POST", "/nodes/{node}/qemu/{vmid}/snapshot"),
		Endpoint[deleteSnapshotIn](Spec{Name: "pve_delete_qemu_snapshot", Tier: Full, Kind: Destroy, Task: true,
			Desc: "Delete a VM snapshot. Returns the task."}, "DELETE", "/nodes/{node}/qemu/{vmid}/snapshot/{snapname}"),
		Endpoint[rollbackIn](Spec{Name: "pve_rollback_qemu_snapshot", Tier: Full, Kind: Destroy, Task: true,
			Desc: "Return a VM to a snapshot, losing all changes since; a running VM is stopped unless the snapshot saved RAM. Returns the task."}, "POST", "/nodes/{node}/qemu/{vmid}/snapshot/{snapname}/rollback"),
	)
	return tools
}
