package tools

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// Prompts are operator runbooks: the steps an experienced Proxmox admin
// takes for a common situation, written for an agent, naming the tools for
// each step. A server offers a runbook only when it holds every tool the
// runbook needs, so a read-only caller never gets one that ends in a
// migration it cannot start.

// runbook is one prompt.
type runbook struct {
	name, title, desc string
	args              []*mcp.PromptArgument
	// steps is the text; {arg} is replaced by the argument's value (or
	// by its fallback after |, e.g. {node|every node}).
	steps string
}

var runbooks = []runbook{
	{name: "guest_wont_start", title: "A guest that will not start",
		desc: "Find out why a VM or container does not start, fix it and start it.",
		args: []*mcp.PromptArgument{{Name: "vmid", Description: "The guest that does not start", Required: true}},
		steps: `Guest {vmid} does not start. Work through these steps and stop at the first that explains it:
1. pve_list_cluster_resources {type: "vm"}: find guest {vmid}: its type (qemu or lxc), node, status, lock and template flag. A template never starts (clone it); a lock names the operation holding it (find that task in step 2 and wait for it).
2. pve_list_tasks {vmid: {vmid}, errors: true, limit: 5}: the last failed tasks; read the newest start failure with pve_get_task_log. Its last lines usually name the cause (missing disk, storage offline, out of memory, bad config option).
3. Read the guest's config (pve_get_qemu_config or pve_get_lxc_config): every disk's storage must exist and be active on the guest's node (pve_list_node_storage with that node); memory must fit the node's free memory (pve_get_node_status).
4. If the guest is HA-managed, pve_get_cluster_ha_status shows HA's view: a service in error state must be disabled, fixed and enabled again; do not start it behind HA's back.
5. Fix the cause, then start it with wait (pve_start_qemu_vm or pve_start_lxc_container {vmid: {vmid}, wait: 60}) and report the task's outcome and the guest_status.
Ask before changing the config or deleting anything.`},
	{name: "drain_node", title: "Drain a node for maintenance",
		desc: "Move every guest off a node so it can be rebooted or serviced.",
		args: []*mcp.PromptArgument{{Name: "node", Description: "The node to drain", Required: true},
			{Name: "target", Description: "Node to move the guests to (default: pick per guest)"}},
		steps: `Drain node {node} for maintenance, moving its guests to {target|the online nodes with the most free memory}.
1. pve_list_nodes: check {node} and the targets are online and the cluster is quorate; note each target's free memory.
2. pve_list_cluster_resources {type: "vm"}: list the guests on {node} with their status, memory, lock and HA state. Report locked guests and templates instead of moving them.
3. pve_list_ha_resources: HA-managed guests are moved by HA; migrating them with the tools below sends the request through HA, which is fine. Guests with local disks need with_local_disks (VMs) or a stop first (containers).
4. Migrate running VMs online (pve_migrate_qemu_vm {vmid, target, online: true, wait: 600}) and containers with restart (pve_migrate_lxc_container {vmid, target, restart: true, wait: 600}), one at a time, checking each outcome; continue a long one with pve_wait_task.
5. Stopped guests move offline the same way. At the end list what stayed on {node} and why.
Show the plan (guest, target) and ask for confirmation before the first migration.`},
	{name: "backup_coverage_audit", title: "Backup coverage audit",
		desc: "Find the guests no backup job covers and the jobs whose last runs failed.",
		steps: `Audit the cluster's backup coverage.
1. pve_list_cluster_backup_info: the guests no backup job covers. For each, give vmid, name, node and whether it runs.
2. pve_list_backup_jobs: every job with its schedule, storage, selection (all, vmid list, pool, exclusions), retention and whether it is enabled. Flag disabled jobs and jobs without retention.
3. pve_list_tasks {typefilter: "vzdump", limit: 50}: the recent backup runs; list the failed ones (status not OK) with their guest.
4. pve_list_cluster_resources {type: "vm"}: check that every running production guest has a recent successful backup.
Report: uncovered guests, failing jobs, and a proposal to cover each gap. Change nothing.`},
	{name: "storage_nearly_full", title: "A storage nearly full",
		desc: "See what fills a storage and propose what to free, without deleting anything unasked.",
		args: []*mcp.PromptArgument{{Name: "storage", Description: "The storage that is filling up", Required: true},
			{Name: "node", Description: "Node to look from (default: any node that has it)"}},
		steps: `Storage {storage} is nearly full (looking from {node|a node that has it}).
1. pve_get_storage_status {storage: {storage}, node}: total, used and available; say how long it lasts at the current rate if the recent trend is known.
2. pve_list_storage_content {storage: {storage}, node}: group the volumes by content (images, rootdir, backup, iso, vztmpl) and list the biggest.
3. For backups: compare the count per guest with the retention of the jobs writing there (pve_list_backup_jobs) and of the storage (pve_list_storage); backups beyond retention, and of guests that no longer exist, are the first candidates.
4. For disks: unused disks (unusedN in a guest's config) and disks of deleted guests; for thin pools, old snapshots also hold space.
Propose what to delete, with sizes, and ask before deleting anything.`},
	{name: "failed_backup_job", title: "A failed backup job",
		desc: "Find why a backup run failed, fix it and run the backup again.",
		args: []*mcp.PromptArgument{{Name: "vmid", Description: "A guest whose backup failed (default: every failed backup)"}},
		steps: `A backup failed ({vmid|any guest}).
1. pve_list_tasks {typefilter: "vzdump", errors: true, limit: 10, vmid: {vmid|omit}}: the failed runs; read the newest with pve_get_task_log. A run covers several guests: find the ERROR lines and the guests they name.
2. Match the error: a lock held (another backup or a snapshot still running: wait for it), storage full or offline (pve_get_storage_status), the guest agent not answering during freeze (snapshot mode), a guest that no longer exists (remove it from the job: pve_list_backup_jobs).
3. Fix the cause, then back up the failed guest once with wait (pve_run_backup {vmid: [...], storage, mode: "snapshot", wait: 600}) and report the outcome.
Ask before changing a job.`},
}

var promptArg = regexp.MustCompile(`\{(\w+)(?:\|([^}]*))?\}`)

// render fills a runbook's arguments into its steps.
func (r runbook) render(args map[string]string) string {
	return promptArg.ReplaceAllStringFunc(r.steps, func(m string) string {
		g := promptArg.FindStringSubmatch(m)
		if v := strings.TrimSpace(args[g[1]]); v != "" {
			return v
		}
		if g[2] != "" {
			return g[2]
		}
		if r.hasArg(g[1]) {
			return "(" + g[1] + ")"
		}
		return m // a literal {...} of the text, e.g. a JSON example
	})
}

func (r runbook) hasArg(name string) bool {
	for _, a := range r.args {
		if a.Name == name {
			return true
		}
	}
	return false
}

var toolName = regexp.MustCompile(`\bpve_[a-z_]+`)

// needs is every tool the runbook's steps name.
func (r runbook) needs() []string { return toolName.FindAllString(r.steps, -1) }

// addPrompts registers the runbooks whose tools the server holds.
func addPrompts(s *mcp.Server, sel toolSet) {
	for _, r := range runbooks {
		if !allIn(sel, r.needs()) {
			continue
		}
		s.AddPrompt(&mcp.Prompt{Name: r.name, Title: r.title, Description: r.desc, Arguments: r.args},
			func(_ context.Context, req *mcp.GetPromptRequest) (*mcp.GetPromptResult, error) {
				for _, a := range r.args {
					if a.Required && strings.TrimSpace(req.Params.Arguments[a.Name]) == "" {
						return nil, fmt.Errorf("prompt %s needs argument %s", r.name, a.Name)
					}
				}
				return &mcp.GetPromptResult{Description: r.desc, Messages: []*mcp.PromptMessage{
					{Role: "user", Content: &mcp.TextContent{Text: r.render(req.Params.Arguments)}}}}, nil
			})
	}
}

func allIn(sel toolSet, names []string) bool {
	for _, n := range names {
		if !sel[n] {
			return false
		}
	}
	return true
}
