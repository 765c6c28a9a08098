package apischema

// Where the API schema under-documents what Proxmox answers, the check of an
// answer (CheckReturn) and of a tool's declared output must know it, or the
// simulator could not send what Proxmox sends and a tool could not name a
// field Proxmox always gives. Each entry is a field real Proxmox VE 9 sends
// that its endpoint's returns schema does not declare; keep the list short
// and each entry a fact about Proxmox, not about the simulator.

// stubReturns are endpoints whose returns schema declares only the item's
// key while Proxmox answers with the whole section-config entry (every
// property the matching create/update endpoint takes): undeclared fields
// are allowed there.
var stubReturns = map[string]string{
	"GET /storage":                      "storage.cfg entries",
	"GET /cluster/ha/resources":         "ha/resources.cfg entries",
	"GET /cluster/ha/rules":             "ha/rules.cfg entries",
	"GET /cluster/ha/rules/{rule}":      "one ha/rules.cfg entry",
	"GET /nodes/{node}/replication":     "replication.cfg entries with their state",
	"GET /nodes/{node}/network/{iface}": "one /etc/network/interfaces entry",
}

// undocumented are fields of an answer's top-level object (or of each item
// of a top-level list) that Proxmox sends beyond the schema.
var undocumented = map[string][]string{
	// /nodes is built from the cluster resource list and keeps its fields.
	"GET /nodes": {"id", "type", "disk", "maxdisk"},
	// Backup jobs are jobs.cfg sections and keep their section type.
	"GET /cluster/backup":      {"type"},
	"GET /cluster/backup/{id}": {"type"},
	// The network list writes each interface's options as parsed.
	"GET /nodes/{node}/network": {"bridge_fd", "bridge_stp"},
	// Every firewall rule and option answer carries the file's digest,
	// which updates send back (PVE::Firewall::copy_opject_with_digest).
	"GET /cluster/firewall/rules":                        {"digest"},
	"GET /cluster/firewall/rules/{pos}":                  {"digest"},
	"GET /nodes/{node}/firewall/rules/{pos}":             {"digest"},
	"GET /nodes/{node}/qemu/{vmid}/firewall/rules/{pos}": {"digest"},
	"GET /nodes/{node}/lxc/{vmid}/firewall/rules/{pos}":  {"digest"},
	"GET /cluster/firewall/options":                      {"digest"},
	"GET /nodes/{node}/firewall/rules":                   {"digest"},
	"GET /nodes/{node}/firewall/options":                 {"digest"},
	"GET /nodes/{node}/qemu/{vmid}/firewall/rules":       {"digest"},
	"GET /nodes/{node}/qemu/{vmid}/firewall/options":     {"digest"},
	"GET /nodes/{node}/lxc/{vmid}/firewall/rules":        {"digest"},
	"GET /nodes/{node}/lxc/{vmid}/firewall/options":      {"digest"},
	// The "current" entry of a snapshot list says whether the guest runs.
	"GET /nodes/{node}/qemu/{vmid}/snapshot": {"running", "digest"},
	"GET /nodes/{node}/lxc/{vmid}/snapshot":  {"running", "digest"},
	// Volume lists name each volume's content type (and a backup's guest type).
	"GET /nodes/{node}/storage/{storage}/content": {"content", "subtype"},
	// Disk lists carry the disk type, SSD wear and the by-id link.
	"GET /nodes/{node}/disks/list": {"type", "wearout", "rpm", "by_id_link"},
}

// stringIntegers are endpoints whose integer answer Proxmox sends as a
// JSON string.
var stringIntegers = map[string]string{
	"GET /cluster/nextid": `{"data":"105"}`,
}

// nullable are endpoints that answer null where the schema says otherwise.
var nullable = map[string]string{
	// PVE::LXC::get_interfaces returns nothing when no container process runs.
	"GET /nodes/{node}/lxc/{vmid}/interfaces": "a stopped container",
}

// Undocumented returns the fields Proxmox sends on this endpoint beyond its
// returns schema, and whether the schema is a stub (only the key declared).
func Undocumented(method, path string) (fields []string, stub bool) {
	key := method + " " + path
	_, stub = stubReturns[key]
	return undocumented[key], stub
}
