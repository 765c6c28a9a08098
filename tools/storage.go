package tools

// Content types a storage can hold, as Proxmox names them.
const storageContentEnum = "images|rootdir|vztmpl|iso|backup|snippets|import"

// Storage types Proxmox knows.
const storageTypeEnum = "btrfs|cephfs|cifs|dir|esxi|iscsi|iscsidirect|lvm|lvmthin|nfs|pbs|rbd|zfs|zfspool"

type storageIn struct {
	Storage string `json:"storage" jsonschema:"Storage ID, e.g. local-lvm"`
}

type listStorageIn struct {
	Type string `json:"type,omitempty" jsonschema:"Only this storage type" enum:"btrfs|cephfs|cifs|dir|esxi|iscsi|iscsidirect|lvm|lvmthin|nfs|pbs|rbd|zfs|zfspool"`
}

type nodeStorageIn struct {
	NodeIn
	Content string `json:"content,omitempty" jsonschema:"Only storages that can hold this content" enum:"images|rootdir|vztmpl|iso|backup|snippets|import"`
	Enabled bool   `json:"enabled,omitempty" jsonschema:"Only enabled storages"`
	Storage string `json:"storage,omitempty" jsonschema:"Only this storage"`
	Target  string `json:"target,omitempty" jsonschema:"Only shared storages also reachable from this node"`
}

type nodeStorageStatusIn struct {
	NodeIn
	storageIn
}

type storageContentIn struct {
	NodeIn
	storageIn
	Content string `json:"content,omitempty" jsonschema:"Only this content type" enum:"images|rootdir|vztmpl|iso|backup|snippets|import"`
	VMID    int    `json:"vmid,omitempty" jsonschema:"Only volumes of this guest" min:"100" max:"999999999"`
}

type ociPullIn struct {
	NodeIn
	storageIn
	Reference string `json:"reference" jsonschema:"Image with tag, e.g. docker.io/library/nginx:1.27"`
	Filename  string `json:"filename,omitempty" jsonschema:"Template file name; .tar is added (default <image>_<tag>)"`
}

type createStorageIn struct {
	Storage      string         `json:"storage" jsonschema:"New storage ID" pattern:"^[a-zA-Z][a-zA-Z0-9\\-_.]*[a-zA-Z0-9]$"`
	Type         string         `json:"type" jsonschema:"Storage type" enum:"btrfs|cephfs|cifs|dir|esxi|iscsi|iscsidirect|lvm|lvmthin|nfs|pbs|rbd|zfs|zfspool"`
	Content      []string       `json:"content,omitempty" pve:"content,join" jsonschema:"Content it may hold (default depends on type)" enum:"images|rootdir|vztmpl|iso|backup|snippets|import"`
	Path         string         `json:"path,omitempty" jsonschema:"dir/btrfs: directory; nfs/cifs: mount point"`
	Server       string         `json:"server,omitempty" jsonschema:"nfs/cifs/pbs: server address"`
	Export       string         `json:"export,omitempty" jsonschema:"nfs: export path"`
	Share        string         `json:"share,omitempty" jsonschema:"cifs: share name"`
	VGName       string         `json:"vgname,omitempty" jsonschema:"lvm/lvmthin: volume group"`
	ThinPool     string         `json:"thinpool,omitempty" jsonschema:"lvmthin: thin pool LV"`
	Pool         string         `json:"pool,omitempty" jsonschema:"zfspool/rbd: pool name"`
	Datastore    string         `json:"datastore,omitempty" jsonschema:"pbs: datastore"`
	Nodes        []string       `json:"nodes,omitempty" pve:"nodes,join" jsonschema:"Restrict to these nodes (default all)"`
	Shared       *bool          `json:"shared,omitempty" jsonschema:"Same content on all nodes (e.g. a shared LVM)"`
	Disable      *bool          `json:"disable,omitempty" jsonschema:"Create disabled"`
	PruneBackups string         `json:"prune_backups,omitempty" pve:"prune-backups" jsonschema:"Backup retention, e.g. keep-last=3,keep-weekly=2"`
	Extra        map[string]any `json:"extra,omitempty" pve:"*" jsonschema:"Further Proxmox properties, e.g. {\"username\":\"backup@pbs\",\"fingerprint\":\"...\",\"options\":\"vers=4.2\"}"`
}

type updateStorageIn struct {
	storageIn
	Content      []string       `json:"content,omitempty" pve:"content,join" jsonschema:"New content list (replaces the old one)" enum:"images|rootdir|vztmpl|iso|backup|snippets|import"`
	Nodes        []string       `json:"nodes,omitempty" pve:"nodes,join" jsonschema:"Restrict to these nodes"`
	Shared       *bool          `json:"shared,omitempty" jsonschema:"Same content on all nodes"`
	Disable      *bool          `json:"disable,omitempty" jsonschema:"Disable (true) or enable (false)"`
	PruneBackups string         `json:"prune_backups,omitempty" pve:"prune-backups" jsonschema:"Backup retention, e.g. keep-last=3,keep-weekly=2"`
	Delete       []string       `json:"delete,omitempty" pve:"delete,join" jsonschema:"Settings to remove, e.g. [\"nodes\"]"`
	Digest       string         `json:"digest,omitempty" jsonschema:"Refuse if the config changed since this digest was read"`
	Extra        map[string]any `json:"extra,omitempty" pve:"*" jsonschema:"Further Proxmox properties, e.g. {\"options\":\"vers=4.2\",\"max-protected-backups\":10}"`
}

func storageTools() []*Tool {
	return []*Tool{
		Endpoint[listStorageIn](Spec{Name: "pve_list_storage", Tier: ReadOnly, Kind: Read,
			Desc: "List the cluster's storage definitions: id, type, content types, nodes, shared, path/server settings."}, "GET", "/storage"),
		Endpoint[storageIn](Spec{Name: "pve_get_storage_config", Tier: ReadOnly, Kind: Read,
			Desc: "One storage definition with all its settings and the digest that guards updates."}, "GET", "/storage/{storage}"),
		Endpoint[nodeStorageIn](Spec{Name: "pve_list_node_storage", Tier: ReadOnly, Kind: Read,
			Desc: "Storages usable on a node with usage: total/used/avail bytes, active, enabled. Filter by content to find where ISOs, disks or backups can go."}, "GET", "/nodes/{node}/storage"),
		Endpoint[nodeStorageStatusIn](Spec{Name: "pve_get_storage_status", Tier: ReadOnly, Kind: Read,
			Desc: "Usage and state of one storage on a node: total/used/avail bytes, active, enabled, content types."}, "GET", "/nodes/{node}/storage/{storage}/status"),
		Endpoint[storageContentIn](Spec{Name: "pve_list_storage_content", Tier: ReadOnly, Kind: Read,
			Desc: "Volumes on a storage as seen from a node: disk images, ISOs, templates, backups (volid, size bytes, ctime, vmid, notes). Filter by content and vmid; lists can be long."}, "GET", "/nodes/{node}/storage/{storage}/content"),
		Endpoint[ociPullIn](Spec{Name: "pve_pull_oci_image", Tier: ReadExecute, Kind: Act, OpenWorld: true, Task: true,
			Desc: "Pull an OCI (Docker) image from a registry into a storage as a container template (storage:vztmpl/<name>.tar). Returns the task."}, "POST", "/nodes/{node}/storage/{storage}/oci-registry-pull"),
		Endpoint[createStorageIn](Spec{Name: "pve_create_storage", Tier: Full, Kind: Act,
			Desc: "Add a storage definition to the cluster (dir, nfs, cifs, lvm, lvmthin, zfspool, rbd, pbs ...). Returns its id and type."}, "POST", "/storage"),
		Endpoint[updateStorageIn](Spec{Name: "pve_update_storage", Tier: Full, Kind: Set,
			Desc: "Change a storage definition: content types, nodes, enable/disable, retention, other settings."}, "PUT", "/storage/{storage}"),
		Endpoint[storageIn](Spec{Name: "pve_delete_storage", Tier: Full, Kind: Destroy,
			Desc: "Remove a storage definition. Data stays on the device, but Proxmox does not check for guest disks or backups still on it: they become unusable. Check pve_list_storage_content first."}, "DELETE", "/storage/{storage}"),
	}
}
