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
		Endpoint[migrateQemuIn](Spec{Name: "pve_migrate_qemu_vm", Tier: ReadExecute, Kind: Act,
			Desc: "Move a VM to another node (live with online). Returns the task."}, "POST", "/nodes/{node}/qemu/{vmid}/migrate"),
	)
	return tools
}
