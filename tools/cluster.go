package tools

import (
	"context"
	"fmt"

	"github.com/pve-mcp/pve-mcp/pve"
)

type clusterResourcesIn struct {
	Type string `json:"type,omitempty" jsonschema:"Only this kind" enum:"vm|storage|node|sdn"`
}

type nextIDIn struct {
	VMID int `json:"vmid,omitempty" jsonschema:"Check that this ID is free instead" min:"100" max:"999999999"`
}

type clusterLogIn struct {
	Max *int `json:"max,omitempty" jsonschema:"Max entries, newest first (default 50)" min:"1"`
}

type clusterOptionsIn struct {
	Keyboard    string         `json:"keyboard,omitempty" jsonschema:"Default VNC keyboard layout" enum:"de|de-ch|da|en-gb|en-us|es|fi|fr|fr-be|fr-ca|fr-ch|hu|is|it|ja|lt|mk|nl|no|pl|pt|pt-br|sv|sl|tr"`
	Language    string         `json:"language,omitempty" jsonschema:"Default GUI language" enum:"ar|ca|da|de|en|es|eu|fa|fr|hr|he|it|ja|ka|kr|nb|nl|nn|pl|pt_BR|ru|sl|sv|tr|ukr|zh_CN|zh_TW"`
	Console     string         `json:"console,omitempty" jsonschema:"Default console viewer" enum:"applet|vv|html5|xtermjs"`
	HTTPProxy   string         `json:"http_proxy,omitempty" jsonschema:"Proxy for downloads, http://[user:pass@]host:port" pattern:"^http://.*"`
	Migration   string         `json:"migration,omitempty" jsonschema:"Migration settings: [type=]secure|insecure[,network=CIDR]"`
	CRS         string         `json:"crs,omitempty" jsonschema:"Resource scheduling: ha=basic|static|dynamic[,ha-rebalance-on-start=1]"`
	Description string         `json:"description,omitempty" jsonschema:"Datacenter notes"`
	Delete      []string       `json:"delete,omitempty" pve:"delete,join" jsonschema:"Options to reset to default, e.g. [\"http_proxy\"]"`
	Extra       map[string]any `json:"extra,omitempty" pve:"*" jsonschema:"Further datacenter options, e.g. {\"max_workers\":4,\"next-id\":\"lower=1000\"}"`
}

// bulkIn is what every bulk guest action takes. vms is required here,
// although Proxmox takes "all guests" when it is left out: an agent must
// name the guests it means to act on.
type bulkIn struct {
	VMs        []int `json:"vms" jsonschema:"Guest IDs to act on" min:"100" max:"999999999"`
	MaxWorkers *int  `json:"max_workers,omitempty" pve:"max-workers" jsonschema:"Parallel tasks" min:"1" max:"64"`
}

type bulkStartIn struct {
	bulkIn
	Timeout *int `json:"timeout,omitempty" jsonschema:"VM start timeout, seconds" min:"0"`
}

type bulkShutdownIn struct {
	bulkIn
	Timeout   *int  `json:"timeout,omitempty" jsonschema:"Seconds to wait per guest (default 180)" min:"0"`
	ForceStop *bool `json:"force_stop,omitempty" pve:"force-stop" jsonschema:"Hard-stop after timeout (default true)"`
}

type bulkSuspendIn struct {
	bulkIn
	ToDisk       bool   `json:"to_disk,omitempty" pve:"to-disk" jsonschema:"Hibernate to disk (resumes on next start); containers are skipped"`
	StateStorage string `json:"statestorage,omitempty" jsonschema:"Storage for the RAM state; needs to_disk"`
}

type bulkMigrateIn struct {
	bulkIn
	Target         string `json:"target" jsonschema:"Target node"`
	Online         bool   `json:"online,omitempty" jsonschema:"Live-migrate running VMs, restart-migrate running containers"`
	WithLocalDisks bool   `json:"with_local_disks,omitempty" pve:"with-local-disks" jsonschema:"Also migrate local disks"`
}

// bulk gives access to the shared part of every bulk input.
func (b *bulkIn) bulk() *bulkIn { return b }

// bulkTool declares a bulk guest action. Proxmox silently skips IDs that
// name no guest, so the tool checks them first: an agent that mistypes an
// ID learns it instead of reading a successful task that did nothing.
func bulkTool[In any, P interface {
	*In
	bulk() *bulkIn
}](name, action, desc string) *Tool {
	call := Call{Method: "POST", Path: "/cluster/bulk-action/guest/" + action}
	return Custom(Spec{Name: name, Tier: ReadExecute, Kind: Act, Task: true, Desc: desc},
		[]Call{call, resourcesCall},
		func(ctx context.Context, env *Env, in In) (Output, error) {
			b := P(&in).bulk()
			if len(b.VMs) == 0 {
				return Output{}, fmt.Errorf("vms must list at least one guest ID")
			}
			var res []struct {
				VMID int `json:"vmid"`
			}
			if err := env.PVE.Get(ctx, resourcesCall.Path, pve.Values{"type": {"vm"}}, &res); err != nil {
				return Output{}, fmt.Errorf("checking the guest IDs: %w", err)
			}
			known := map[int]bool{}
			for _, r := range res {
				known[r.VMID] = true
			}
			var unknown []int
			for _, id := range b.VMs {
				if !known[id] {
					unknown = append(unknown, id)
				}
			}
			if len(unknown) > 0 {
				return Output{}, fmt.Errorf("no VM or container with vmid %v in the cluster (see pve_list_cluster_resources); nothing was done", unknown)
			}
			return env.Call(ctx, call, &in)
		})
}

func clusterTools() []*Tool {
	return []*Tool{
		Endpoint[EmptyIn](Spec{Name: "pve_get_cluster_status", Tier: ReadOnly, Kind: Read,
			Desc: "Cluster membership and quorum: cluster name, quorate, config version, and each node's ID, IP and online state."}, "GET", "/cluster/status"),
		Endpoint[clusterResourcesIn](Spec{Name: "pve_list_cluster_resources", Tier: ReadOnly, Kind: Read,
			Desc: "Every node, VM, container, storage, pool and SDN zone in the cluster with status and usage; filter by type."}, "GET", "/cluster/resources"),
		Endpoint[nextIDIn](Spec{Name: "pve_get_next_vmid", Tier: ReadOnly, Kind: Read,
			Desc: "The lowest free guest ID, for creating a VM or container; with vmid, fails if that ID is taken."}, "GET", "/cluster/nextid"),
		Endpoint[clusterLogIn](Spec{Name: "pve_get_cluster_log", Tier: ReadOnly, Kind: Read,
			Desc: "Recent cluster log entries (task starts, logins, HA events) from all nodes, newest first."}, "GET", "/cluster/log"),
		Endpoint[EmptyIn](Spec{Name: "pve_get_cluster_options", Tier: ReadOnly, Kind: Read,
			Desc: "Datacenter options (datacenter.cfg): keyboard, console, migration network, HA scheduling (crs), proxy, ID range."}, "GET", "/cluster/options"),
		Endpoint[EmptyIn](Spec{Name: "pve_list_cluster_backup_info", Tier: ReadOnly, Kind: Read,
			Desc: "Guests that no backup job covers: vmid, name, type."}, "GET", "/cluster/backup-info/not-backed-up"),
		Endpoint[EmptyIn](Spec{Name: "pve_get_cluster_ha_status", Tier: ReadOnly, Kind: Read,
			Desc: "HA manager status: quorum, active master, each node's LRM, armed state and every HA resource's state and node."}, "GET", "/cluster/ha/status/current"),
		Endpoint[EmptyIn](Spec{Name: "pve_list_cluster_replication", Tier: ReadOnly, Kind: Read,
			Desc: "Storage replication jobs: guest, source and target node, schedule, rate limit, enabled."}, "GET", "/cluster/replication"),
		Endpoint[clusterOptionsIn](Spec{Name: "pve_update_cluster_options", Tier: Full, Kind: Set,
			Desc: "Change datacenter options; only given options change, delete resets them."}, "PUT", "/cluster/options"),
		bulkTool[bulkStartIn]("pve_bulk_start_guests", "start",
			"Start (or resume) several VMs and containers in one task; running ones are skipped. The task fails naming any guest that failed."),
		bulkTool[bulkShutdownIn]("pve_bulk_shutdown_guests", "shutdown",
			"Cleanly shut down several VMs and containers in one task, hard-stopping after timeout unless force_stop is false."),
		bulkTool[bulkSuspendIn]("pve_bulk_suspend_guests", "suspend",
			"Suspend several running VMs in one task (to RAM, or to disk with to_disk); containers are skipped."),
		bulkTool[bulkMigrateIn]("pve_bulk_migrate_guests", "migrate",
			"Migrate several VMs and containers to one node in one task; running ones need online. The task fails naming any guest that failed."),
	}
}
