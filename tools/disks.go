package tools

// Disk keys are checked by short patterns: Proxmox enumerates them (hundreds
// of values every agent conversation would pay for) and refuses the rest.

type resizeQemuDiskIn struct {
	GuestIn
	Disk string `json:"disk" jsonschema:"Disk, e.g. scsi0" pattern:"^(ide[0-3]|sata[0-5]|scsi([12]?\\d|30)|virtio(1[0-5]|\\d)|efidisk0|tpmstate0)$"`
	Size string `json:"size" jsonschema:"50G sets, +10G grows; no shrink" pattern:"^\\+?\\d+(\\.\\d+)?[KMGT]?$"`
}

type resizeLxcDiskIn struct {
	GuestIn
	Disk string `json:"disk" jsonschema:"rootfs or mpN" pattern:"^(rootfs|mp(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d))$"`
	Size string `json:"size" jsonschema:"50G sets, +10G grows; no shrink" pattern:"^\\+?\\d+(\\.\\d+)?[KMGT]?$"`
}

type moveQemuDiskIn struct {
	GuestIn
	Disk       string `json:"disk" jsonschema:"Disk, e.g. scsi0" pattern:"^(ide[0-3]|sata[0-5]|scsi([12]?\\d|30)|virtio(1[0-5]|\\d)|efidisk0|tpmstate0|unused(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d))$"`
	Storage    string `json:"storage,omitempty" jsonschema:"Target storage"`
	Format     string `json:"format,omitempty" jsonschema:"Format (file storage)" enum:"raw|qcow2|vmdk"`
	Delete     bool   `json:"delete,omitempty" jsonschema:"Delete source (else kept as unusedN)"`
	TargetVMID int    `json:"target_vmid,omitempty" pve:"target-vmid" jsonschema:"Instead reassign to this VM (same node)" min:"100" max:"999999999"`
	TargetDisk string `json:"target_disk,omitempty" pve:"target-disk" jsonschema:"Key on that VM (default: same)" pattern:"^(ide[0-3]|sata[0-5]|scsi([12]?\\d|30)|virtio(1[0-5]|\\d)|efidisk0|tpmstate0|unused(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d))$"`
	BWLimit    *int   `json:"bwlimit,omitempty" jsonschema:"KiB/s" min:"0"`
}

type moveLxcVolumeIn struct {
	GuestIn
	Volume       string `json:"volume" jsonschema:"rootfs, mpN or unusedN" pattern:"^(rootfs|(mp|unused)(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d))$"`
	Storage      string `json:"storage,omitempty" jsonschema:"Target storage (CT stopped)"`
	Delete       bool   `json:"delete,omitempty" jsonschema:"Delete source (else kept as unusedN)"`
	TargetVMID   int    `json:"target_vmid,omitempty" pve:"target-vmid" jsonschema:"Instead reassign to this CT (same node)" min:"100" max:"999999999"`
	TargetVolume string `json:"target_volume,omitempty" pve:"target-volume" jsonschema:"Key on that CT (default: same)" pattern:"^(rootfs|(mp|unused)(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d))$"`
	BWLimit      *int   `json:"bwlimit,omitempty" jsonschema:"KiB/s" min:"0"`
}

type unlinkQemuDiskIn struct {
	GuestIn
	IDList []string `json:"idlist" pve:"idlist,join" jsonschema:"Disks to detach" pattern:"^((ide|sata|scsi|virtio|unused)\\d+|efidisk0|tpmstate0)$"`
	Force  bool     `json:"force,omitempty" jsonschema:"Destroy, not keep as unusedN"`
}

func diskTools() []*Tool {
	return []*Tool{
		planned(Endpoint[resizeQemuDiskIn](Spec{Name: "pve_resize_qemu_disk", Title: "Grow VM disk", Tier: Full, Kind: Act, Task: true,
			Desc: "Grow a VM disk, also live; the guest OS must grow its partition."}, "PUT", "/nodes/{node}/qemu/{vmid}/resize"), nil,
			resizePlanner("qemu", Call{"PUT", "/nodes/{node}/qemu/{vmid}/resize"}, func(in resizeQemuDiskIn) (string, string) { return in.Disk, in.Size })),
		planned(Endpoint[resizeLxcDiskIn](Spec{Name: "pve_resize_lxc_disk", Title: "Grow container disk", Tier: Full, Kind: Act, Task: true,
			Desc: "Grow a container's rootfs or mount point, filesystem included."}, "PUT", "/nodes/{node}/lxc/{vmid}/resize").In(LXC), nil,
			resizePlanner("lxc", Call{"PUT", "/nodes/{node}/lxc/{vmid}/resize"}, func(in resizeLxcDiskIn) (string, string) { return in.Disk, in.Size })),
		planned(Endpoint[moveQemuDiskIn](Spec{Name: "pve_move_qemu_disk", Title: "Move VM disk", Tier: Full, Kind: Act, Task: true,
			Desc: "Copy a VM disk to another storage (live if running) or reassign it."}, "POST", "/nodes/{node}/qemu/{vmid}/move_disk"), nil,
			movePlanner("qemu", Call{"POST", "/nodes/{node}/qemu/{vmid}/move_disk"}, func(in moveQemuDiskIn) moveOpts {
				return moveOpts{Disk: in.Disk, Storage: in.Storage, Format: in.Format, Delete: in.Delete, TargetVMID: in.TargetVMID, TargetKey: in.TargetDisk}
			})),
		planned(Endpoint[moveLxcVolumeIn](Spec{Name: "pve_move_lxc_volume", Title: "Move container volume", Tier: Full, Kind: Act, Task: true,
			Desc: "Copy a container volume to another storage or reassign it."}, "POST", "/nodes/{node}/lxc/{vmid}/move_volume").In(LXC), nil,
			movePlanner("lxc", Call{"POST", "/nodes/{node}/lxc/{vmid}/move_volume"}, func(in moveLxcVolumeIn) moveOpts {
				return moveOpts{Disk: in.Volume, Storage: in.Storage, Delete: in.Delete, TargetVMID: in.TargetVMID, TargetKey: in.TargetVolume}
			})),
		planned(Endpoint[unlinkQemuDiskIn](Spec{Name: "pve_unlink_qemu_disk", Title: "Detach VM disks", Tier: Full, Kind: Destroy,
			Desc: "Detach VM disks as unusedN; removing unusedN or force destroys data."}, unlinkCall.Method, unlinkCall.Path), nil, unlinkPlan),
	}
}
