package tools

// Content types a storage can hold, as Proxmox names them.
const storageContentEnum = "images|rootdir|vztmpl|iso|backup|snippets|import"

// Storage types Proxmox knows.
const storageTypeEnum = "btrfs|cephfs|cifs|dir|esxi|iscsi|iscsidirect|lvm|lvmthin|nfs|pbs|rbd|zfs|zfspool"

type storageIn struct {
	Storage string `json:"storage" jsonschema:"Storage ID"`
}

type listStorageIn struct {
	Type string `json:"type,omitempty" jsonschema:"Only this type" enum:"btrfs|cephfs|cifs|dir|esxi|iscsi|iscsidirect|lvm|lvmthin|nfs|pbs|rbd|zfs|zfspool"`
}

type nodeStorageIn struct {
	NodeIn
	Content string `json:"content,omitempty" jsonschema:"Only storages for this content" enum:"images|rootdir|vztmpl|iso|backup|snippets|import"`
	Enabled bool   `json:"enabled,omitempty" jsonschema:"Only enabled ones"`
	Storage string `json:"storage,omitempty" jsonschema:"Only this storage"`
	Target  string `json:"target,omitempty" jsonschema:"Only shared ones also on this node"`
}

type nodeStorageStatusIn struct {
	NodeIn
	storageIn
}

type storageContentIn struct {
	NodeIn
	storageIn
	Content string `json:"content,omitempty" jsonschema:"Only this type" enum:"images|rootdir|vztmpl|iso|backup|snippets|import"`
	VMID    int    `json:"vmid,omitempty" jsonschema:"Only this guest's volumes" min:"100" max:"999999999"`
}

type ociPullIn struct {
	NodeIn
	storageIn
	Reference string `json:"reference" jsonschema:"Image with tag, e.g. docker.io/library/nginx:1.27" pattern:"^(?:(?:[a-zA-Z\\d]|[a-zA-Z\\d][a-zA-Z\\d-]*[a-zA-Z\\d])(?:\\.(?:[a-zA-Z\\d]|[a-zA-Z\\d][a-zA-Z\\d-]*[a-zA-Z\\d]))*(?::\\d+)?/)?[a-z\\d]+(?:(?:[._]|__|[-]*)[a-z\\d]+)*(?:/[a-z\\d]+(?:(?:[._]|__|[-]*)[a-z\\d]+)*)*:\\w[\\w.-]{0,127}$"`
	Filename  string `json:"filename,omitempty" jsonschema:"Name without .tar (default <image>_<tag>)" minlen:"1" maxlen:"255"`
}

type createStorageIn struct {
	Storage      string         `json:"storage" jsonschema:"Storage ID" pattern:"^[a-zA-Z][a-zA-Z0-9\\-_.]*[a-zA-Z0-9]$"`
	Type         string         `json:"type" jsonschema:"Type" enum:"btrfs|cephfs|cifs|dir|esxi|iscsi|iscsidirect|lvm|lvmthin|nfs|pbs|rbd|zfs|zfspool"`
	Content      []string       `json:"content,omitempty" pve:"content,join" jsonschema:"Content types (default by type)" enum:"images|rootdir|vztmpl|iso|backup|snippets|import"`
	Path         string         `json:"path,omitempty" jsonschema:"dir/btrfs directory; nfs/cifs mount point"`
	Server       string         `json:"server,omitempty" jsonschema:"nfs/cifs/pbs server"`
	Export       string         `json:"export,omitempty" jsonschema:"nfs export"`
	Share        string         `json:"share,omitempty" jsonschema:"cifs share"`
	VGName       string         `json:"vgname,omitempty" jsonschema:"lvm/lvmthin volume group"`
	ThinPool     string         `json:"thinpool,omitempty" jsonschema:"lvmthin thin pool"`
	Pool         string         `json:"pool,omitempty" jsonschema:"zfspool/rbd pool"`
	Datastore    string         `json:"datastore,omitempty" jsonschema:"pbs datastore"`
	Nodes        []string       `json:"nodes,omitempty" pve:"nodes,join" jsonschema:"Only these nodes (default all)"`
	Shared       *bool          `json:"shared,omitempty" jsonschema:"Same content on all nodes"`
	Disable      *bool          `json:"disable,omitempty" jsonschema:"Create disabled"`
	PruneBackups string         `json:"prune_backups,omitempty" pve:"prune-backups" jsonschema:"Retention, e.g. keep-last=3"`
	Extra        map[string]any `json:"extra,omitempty" pve:"*" jsonschema:"Further properties, e.g. pbs username, password, fingerprint"`
}

type updateStorageIn struct {
	storageIn
	Content      []string       `json:"content,omitempty" pve:"content,join" jsonschema:"Content types (replaces the list)" enum:"images|rootdir|vztmpl|iso|backup|snippets|import"`
	Nodes        []string       `json:"nodes,omitempty" pve:"nodes,join" jsonschema:"Only these nodes"`
	Shared       *bool          `json:"shared,omitempty" jsonschema:"Same content on all nodes"`
	Disable      *bool          `json:"disable,omitempty" jsonschema:"true disables, false enables"`
	PruneBackups string         `json:"prune_backups,omitempty" pve:"prune-backups" jsonschema:"Retention, e.g. keep-last=3"`
	Delete       []string       `json:"delete,omitempty" pve:"delete,join" jsonschema:"Settings to remove"`
	Digest       string         `json:"digest,omitempty" jsonschema:"Fail if changed since this digest" maxlen:"64"`
	Extra        map[string]any `json:"extra,omitempty" pve:"*" jsonschema:"Further properties"`
}

func storageTools() []*Tool {
	return []*Tool{
		Endpoint[listStorageIn](Spec{Name: "pve_list_storage", Title: "List storages", Tier: ReadOnly, Kind: Read,
			Desc: "List storage definitions: id, type, content, nodes, shared, settings."}, "GET", "/storage"),
		Endpoint[storageIn](Spec{Name: "pve_get_storage_config", Title: "Storage definition", Tier: ReadOnly, Kind: Read,
			Desc: "One storage definition with its digest."}, "GET", "/storage/{storage}"),
		Endpoint[nodeStorageIn](Spec{Name: "pve_list_node_storage", Title: "List node storages", Tier: ReadOnly, Kind: Read,
			Desc: "Storages on a node with usage (bytes), active, enabled; filter by content."}, "GET", "/nodes/{node}/storage"),
		Endpoint[nodeStorageStatusIn](Spec{Name: "pve_get_storage_status", Title: "Storage usage", Tier: ReadOnly, Kind: Read,
			Desc: "One storage's usage (bytes) and state on a node."}, "GET", "/nodes/{node}/storage/{storage}/status"),
		Endpoint[storageContentIn](Spec{Name: "pve_list_storage_content", Title: "List storage content", Tier: ReadOnly, Kind: Read,
			Desc: "Volumes on a storage (images, ISOs, templates, backups): volid, size, vmid."}, "GET", "/nodes/{node}/storage/{storage}/content"),
		planned(Endpoint[ociPullIn](Spec{Name: "pve_pull_oci_image", Title: "Pull OCI image", Tier: ReadExecute, Kind: Act, OpenWorld: true, Task: true,
			Desc: "Pull an OCI (Docker) image into a storage as a container template. Returns the task."}, ociPullCall.Method, ociPullCall.Path),
			[]Call{resourcesCall, storageContentCall}, ociPullPlan),
		planned(Endpoint[createStorageIn](Spec{Name: "pve_create_storage", Title: "Add storage", Tier: Full, Kind: Act,
			Desc: "Add a storage definition (dir, nfs, cifs, lvm, lvmthin, zfspool, rbd, pbs ...)."}, "POST", "/storage"), storageReads, createStoragePlan),
		planned(Endpoint[updateStorageIn](Spec{Name: "pve_update_storage", Title: "Change storage", Tier: Full, Kind: Set,
			Desc: "Change a storage definition; only given settings change."}, "PUT", "/storage/{storage}"), []Call{{"GET", "/storage/{storage}"}},
			settingsPlanner[updateStorageIn](Call{"GET", "/storage/{storage}"}, Call{"PUT", "/storage/{storage}"})),
		planned(Endpoint[storageIn](Spec{Name: "pve_delete_storage", Title: "Remove storage", Tier: Full, Kind: Destroy,
			Desc: "Remove a storage definition; volumes still on it stay but become unusable."}, "DELETE", "/storage/{storage}"), storageReads, deleteStoragePlan),
	}
}
