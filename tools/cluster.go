package tools

import (
	"context"
	"fmt"
	"slices"

	"github.com/pve-mcp/pve-mcp/pve"
)

type clusterResourcesIn struct {
	Type string `json:"type,omitempty" jsonschema:"Only this kind" enum:"vm|storage|node|sdn"`
}

type nextIDIn struct {
	VMID int `json:"vmid,omitempty" jsonschema:"Check this ID is free instead" min:"100" max:"999999999"`
}

type clusterLogIn struct {
	Max *int `json:"max,omitempty" jsonschema:"Max entries (default 50)" min:"1"`
}

type clusterOptionsIn struct {
	Console     string         `json:"console,omitempty" jsonschema:"Default console" enum:"applet|vv|html5|xtermjs"`
	HTTPProxy   string         `json:"http_proxy,omitempty" jsonschema:"Download proxy, http://host:port" pattern:"^http://.*"`
	Migration   string         `json:"migration,omitempty" jsonschema:"Migration: [type=]secure|insecure[,network=CIDR]"`
	CRS         string         `json:"crs,omitempty" jsonschema:"Scheduling, ha=basic|static|dynamic[,ha-rebalance-on-start=1]"`
	Description string         `json:"description,omitempty" jsonschema:"Datacenter notes" maxlen:"65536"`
	Delete      []string       `json:"delete,omitempty" pve:"delete,join" jsonschema:"Options to reset"`
	Extra       map[string]any `json:"extra,omitempty" pve:"*" jsonschema:"Further options, e.g. keyboard, language, max_workers"`
}

// bulkIn is what every bulk guest action takes. vms is required here,
// although Proxmox takes "all guests" when it is left out: an agent must
// name the guests it means to act on.
type bulkIn struct {
	VMs        []int `json:"vms" jsonschema:"Guest IDs" min:"100" max:"999999999"`
	MaxWorkers *int  `json:"max_workers,omitempty" pve:"max-workers" jsonschema:"Parallel tasks" min:"1" max:"64"`
}

type bulkStartIn struct {
	bulkIn
	Timeout *int `json:"timeout,omitempty" jsonschema:"VM start timeout, s" min:"0"`
}

type bulkShutdownIn struct {
	bulkIn
	Timeout   *int  `json:"timeout,omitempty" jsonschema:"Per guest, s (default 180)" min:"0"`
	ForceStop *bool `json:"force_stop,omitempty" pve:"force-stop" jsonschema:"Hard-stop after timeout (default true)"`
}

type bulkSuspendIn struct {
	bulkIn
	ToDisk       bool   `json:"to_disk,omitempty" pve:"to-disk" jsonschema:"Hibernate to disk"`
	StateStorage string `json:"statestorage,omitempty" jsonschema:"RAM state storage (to_disk)"`
}

type bulkMigrateIn struct {
	bulkIn
	Target         string `json:"target" jsonschema:"Target node"`
	Online         bool   `json:"online,omitempty" jsonschema:"Migrate running guests (CTs restart)"`
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
}](name, title, action, desc string) *Tool {
	call := Call{Method: "POST", Path: "/cluster/bulk-action/guest/" + action}
	t := Custom(Spec{Name: name, Title: title, Tier: ReadExecute, Kind: Act, Task: true, Desc: desc},
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
	return planned(t, append(slices.Clone(confirmReads), guestStatusReads[0]), func(ctx context.Context, env *Env, in In) (*Plan, error) {
		b := P(&in).bulk()
		if len(b.VMs) == 0 {
			return nil, fmt.Errorf("vms must list at least one guest ID")
		}
		mig, _ := any(&in).(*bulkMigrateIn)
		return bulkPlan(ctx, env, action, b, call, &in, mig)
	})
}

// resourceFields leave out I/O counters, pids, swap and internal levels.
var resourceFields = []string{"id", "type", "node", "status", "name", "vmid", "pool", "tags", "template", "lock", "hastate",
	"cpu", "maxcpu", "mem", "maxmem", "disk", "maxdisk", "uptime", "storage", "content", "plugintype", "shared", "sdn", "network"}

func clusterTools() []*Tool {
	return []*Tool{
		Endpoint[EmptyIn](Spec{Name: "pve_get_cluster_status", Title: "Cluster membership", Tier: ReadOnly, Kind: Read,
			Desc: "Cluster quorum and membership: name, quorate, each node's ID, IP, online."}, "GET", "/cluster/status"),
		Endpoint[clusterResourcesIn](Spec{Name: "pve_list_cluster_resources", Title: "List cluster resources", Tier: ReadOnly, Kind: Read, Fields: resourceFields,
			Desc: "All nodes, guests, storages, pools and SDN zones with status and usage."}, "GET", "/cluster/resources"),
		Endpoint[nextIDIn](Spec{Name: "pve_get_next_vmid", Title: "Next free VM ID", Tier: ReadOnly, Kind: Read,
			Desc: "Lowest free guest ID; with vmid, fails if that ID is taken."}, "GET", "/cluster/nextid"),
		Endpoint[clusterLogIn](Spec{Name: "pve_get_cluster_log", Title: "Cluster log", Tier: ReadOnly, Kind: Read,
			Desc: "Recent cluster log entries from all nodes, newest first."}, "GET", "/cluster/log"),
		Endpoint[EmptyIn](Spec{Name: "pve_get_cluster_options", Title: "Datacenter options", Tier: ReadOnly, Kind: Read,
			Desc: "Datacenter options (datacenter.cfg)."}, "GET", "/cluster/options"),
		Endpoint[EmptyIn](Spec{Name: "pve_list_cluster_backup_info", Title: "Guests without backup", Tier: ReadOnly, Kind: Read,
			Desc: "Guests no backup job covers."}, "GET", "/cluster/backup-info/not-backed-up"),
		Endpoint[EmptyIn](Spec{Name: "pve_get_cluster_ha_status", Title: "HA status", Tier: ReadOnly, Kind: Read,
			Desc: "HA manager status: quorum, master, LRMs, armed, each resource's state and node."}, "GET", "/cluster/ha/status/current"),
		Endpoint[EmptyIn](Spec{Name: "pve_list_cluster_replication", Title: "List replication jobs", Tier: ReadOnly, Kind: Read,
			Desc: "Replication jobs: guest, target, schedule, rate, enabled."}, "GET", "/cluster/replication"),
		planned(Endpoint[clusterOptionsIn](Spec{Name: "pve_update_cluster_options", Title: "Change datacenter options", Tier: Full, Kind: Set,
			Desc: "Change datacenter options; only given ones change."}, "PUT", "/cluster/options"), nil,
			settingsPlanner[clusterOptionsIn](Call{"GET", "/cluster/options"}, Call{"PUT", "/cluster/options"})),
		bulkTool[bulkStartIn]("pve_bulk_start_guests", "Start guests", "start",
			"Start several guests in one task; running ones are skipped."),
		bulkTool[bulkShutdownIn]("pve_bulk_shutdown_guests", "Shut down guests", "shutdown",
			"Shut down several guests in one task."),
		bulkTool[bulkSuspendIn]("pve_bulk_suspend_guests", "Suspend VMs", "suspend",
			"Suspend several VMs in one task; containers are skipped."),
		bulkTool[bulkMigrateIn]("pve_bulk_migrate_guests", "Migrate guests", "migrate",
			"Migrate several guests to one node in one task."),
	}
}
