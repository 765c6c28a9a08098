package tools

import (
	"regexp"
	"strings"
)

// Proxmox's refusals say what went wrong, rarely what to do about it. Each
// failureHint matches one common refusal (by Proxmox's own wording) and
// names the next step, with the tool that takes it, so an agent recovers
// instead of retrying blindly. errText appends the step to the error.

// failureHint is one Proxmox failure an agent can act on.
type failureHint struct {
	name string // what failed, for tests and reading
	re   *regexp.Regexp
	// next is the step; $1, $2 ... are the expression's groups, and
	// {guest} reads "qemu_vm" or "lxc_container", {kind} "qemu" or "lxc",
	// from the message's VM/CT.
	next string
}

var failureHints = []failureHint{
	{"lock held", regexp.MustCompile(`\b(VM|CT)(?: \d+)? is locked \(([\w-]+)\)`),
		"the guest is locked by a '$2' operation (backup, migrate, snapshot, clone ...). Find that task with pve_list_tasks {vmid, source: \"active\"} and wait for it with pve_wait_task, then retry. A lock a crashed task left behind is cleared on the node with `qm unlock`/`pct unlock` (no API call does it)."},
	{"config lock timeout", regexp.MustCompile(`can't lock file '[^']*' - got timeout`),
		"another operation holds this guest's config lock right now. Wait for the active task (pve_list_tasks {source: \"active\"}, then pve_wait_task) and retry."},
	{"HA error state", regexp.MustCompile(`service '([^']+)' in error state`),
		"HA put $1 in error state: set its state to disabled with pve_update_ha_resource, fix the cause (pve_get_cluster_ha_status, the task log), then set it to started again."},
	{"HA-managed guest", regexp.MustCompile(`(?i)used in HA resources|managed by HA|is an HA resource|HA managed`),
		"the guest is HA-managed, so HA decides its state: change it with pve_update_ha_resource (state started/stopped/disabled), or remove it from HA with pve_delete_ha_resource first. pve_get_cluster_ha_status shows what HA is doing."},
	{"quorum lost", regexp.MustCompile(`(?i)no quorum|cluster not quorate|not ready - no quorum`),
		"the cluster has lost quorum: its config is read-only, so no change, start or create succeeds until enough nodes are back. pve_get_cluster_status shows which are offline; reads still work."},
	{"storage full", regexp.MustCompile(`(?i)no space left on device|insufficient free space|out of space|quota exceeded`),
		"the storage is full. See pve_get_storage_status (or pve_list_node_storage), free space (old backups with pve_delete_storage_volume, old snapshots) or use another storage."},
	{"guest agent not running", regexp.MustCompile(`QEMU guest agent is not running`),
		"the VM's guest agent does not answer: qemu-guest-agent must be installed and running inside the VM. Check with pve_ping_qemu_agent; without it, use pve_get_qemu_status and the non-agent tools."},
	{"no guest agent configured", regexp.MustCompile(`No QEMU guest agent configured`),
		"the VM has no agent device: set agent=1 with pve_update_qemu_config, restart the VM (pve_reboot_qemu_vm) and install qemu-guest-agent inside."},
	{"no such snapshot", regexp.MustCompile(`snapshot '([^']+)' does not exist`),
		"there is no snapshot '$1': list them with pve_list_qemu_snapshots (pve_list_lxc_snapshots for a container) and use a listed name."},
	{"guest not running", regexp.MustCompile(`\b(VM|CT) (\d+) (?:is )?not running`),
		"guest $2 is not running and this needs it running: start it with pve_start_{guest} (pass wait to get its state), or check pve_get_{kind}_status."},
	{"guest already running", regexp.MustCompile(`\b(VM|CT) (\d+) already running`),
		"guest $2 is already running: nothing to do."},
	{"template", regexp.MustCompile(`(?i)you can't start a (vm|CT) if it's a template`),
		"this guest is a template and templates never run: clone it (pve_clone_qemu_vm / pve_clone_lxc_container) and start the clone."},
	{"vmid taken", regexp.MustCompile(`(?:VM|CT) (\d+) already exists|config file already exists`),
		"that vmid is taken: get a free one from pve_get_next_vmid."},
	{"no such storage", regexp.MustCompile(`storage '([^']+)' does not exist`),
		"there is no storage '$1': pve_list_storage lists the storage ids."},
	{"wrong content type", regexp.MustCompile(`storage '([^']+)' (?:is not configured for|does not support) content-type '([^']+)'`),
		"storage '$1' does not hold $2: pick a storage whose content includes $2 (pve_list_storage), or add it with pve_update_storage."},
	{"storage not on node", regexp.MustCompile(`storage '([^']+)' is (?:disabled|not available on node)`),
		"storage '$1' cannot be used here: pve_list_node_storage {node} lists the storages enabled on that node."},
	{"config changed", regexp.MustCompile(`checksum missmatch|checksum mismatch|file change[d]? by other user`),
		"the config changed since it was read (digest mismatch): read it again (pve_get_qemu_config / pve_get_lxc_config) and retry with the new digest, or without one."},
	{"permission", regexp.MustCompile(`Permission check failed \(([^,)]+), ([^)]+)\)`),
		"the API token lacks $2 on $1: an administrator grants it (pveum acl modify $1 --tokens <token id> --roles <a role with $2>), or the task needs another token."},
	{"protection", regexp.MustCompile(`protection mode enabled`),
		"the guest has protection set: clear it first with pve_update_qemu_config / pve_update_lxc_config (protection false), if it really should go."},
	{"guest running", regexp.MustCompile(`(?:is running - destroy failed|container is running|vm is running)`),
		"the guest must be stopped first: pve_shutdown_{guest} with wait (or pve_stop_{guest}), then retry."},
	{"paused", regexp.MustCompile(`VM is paused - cannot shutdown`),
		"the VM is paused: resume it with pve_resume_qemu_vm first, or stop it with pve_stop_qemu_vm."},
	{"not on this node", regexp.MustCompile(`Configuration file 'nodes/([^/]+)/(?:qemu-server|lxc)/(\d+)\.conf' does not exist`),
		"guest $2 has no config of this type on node $1: omit node and it is found, or see pve_list_cluster_resources for where (and what) it is."},
	{"node unreachable", regexp.MustCompile(`(?i)failed: 595\b|no route to host|node '[^']+' is not online|target node '[^']+' is not online`),
		"that node is not reachable from the node pve-mcp talks to: pve_list_nodes and pve_get_cluster_status show which nodes are online."},
	{"local disks", regexp.MustCompile(`(?i)uses local storage|can't migrate local disk|local disks? .*(?:can't|cannot)`),
		"the guest has disks on local storage: clone or migrate within the node, pass with_local_disks / target_storage on migrate, or move the disks to shared storage first (pve_move_qemu_disk / pve_move_lxc_volume)."},
	{"no free vmid", regexp.MustCompile(`unable to get any free VMID`),
		"the cluster's vmid range is exhausted: choose a vmid yourself outside the configured range, or widen it in the cluster options."},
	{"unknown task", regexp.MustCompile(`no such task`),
		"that UPID is unknown on that node: pve_list_tasks {node} lists the tasks the node knows."},
}

// nextStep returns what to do about a failure message, or "".
func nextStep(msg string) string {
	for _, h := range failureHints {
		m := h.re.FindStringSubmatchIndex(msg)
		if m == nil {
			continue
		}
		step := string(h.re.ExpandString(nil, h.next, msg, m))
		guest, kind := "qemu_vm", "qemu"
		if strings.Contains(msg, "CT ") || strings.Contains(msg, "container") || strings.Contains(msg, "/lxc/") {
			guest, kind = "lxc_container", "lxc"
		}
		return strings.NewReplacer("{guest}", guest, "{kind}", kind).Replace(step)
	}
	return ""
}
