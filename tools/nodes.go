package tools

import (
	"context"
	"fmt"
)

type syslogIn struct {
	NodeIn
	Start   *int   `json:"start,omitempty" jsonschema:"First line" min:"0"`
	Limit   *int   `json:"limit,omitempty" jsonschema:"Max lines (default 50)" min:"0" max:"5000"`
	Since   string `json:"since,omitempty" jsonschema:"Start time" pattern:"^\\d{4}-\\d{2}-\\d{2}( \\d{2}:\\d{2}(:\\d{2})?)?$"`
	Until   string `json:"until,omitempty" jsonschema:"End time" pattern:"^\\d{4}-\\d{2}-\\d{2}( \\d{2}:\\d{2}(:\\d{2})?)?$"`
	Service string `json:"service,omitempty" jsonschema:"Only this systemd unit" maxlen:"128"`
}

type serviceIn struct {
	NodeIn
	Service string `json:"service" jsonschema:"Service" enum:"chrony|corosync|cron|ksmtuned|lxcfs|postfix|proxmox-firewall|pve-cluster|pve-firewall|pve-ha-crm|pve-ha-lrm|pve-lxc-syscalld|pvedaemon|pvefw-logger|pveproxy|pvescheduler|pvestatd|qmeventd|spiceproxy|sshd|syslog|systemd-journald|systemd-timesyncd"`
	Command string `json:"command" jsonschema:"Action" enum:"start|stop|restart|reload" pve:"-"`
}

// nodeFields leave out the SSL fingerprint, level and the id/type that
// only repeat the name. serviceFields leave out the long unit descriptions.
var (
	nodeFields    = []string{"node", "status", "cpu", "maxcpu", "mem", "maxmem", "disk", "maxdisk", "uptime"}
	serviceFields = []string{"service", "state", "active-state", "unit-state"}
)

func nodeTools() []*Tool {
	serviceCalls := []Call{}
	for _, c := range []string{"start", "stop", "restart", "reload"} {
		serviceCalls = append(serviceCalls, Call{"POST", "/nodes/{node}/services/{service}/" + c})
	}
	return []*Tool{
		Endpoint[EmptyIn](Spec{Name: "pve_list_nodes", Title: "List nodes", Tier: ReadOnly, Kind: Read, Fields: nodeFields,
			Desc: "List nodes with status, CPU, memory, uptime."}, "GET", "/nodes"),
		Endpoint[NodeIn](Spec{Name: "pve_get_node_status", Title: "Node status", Tier: ReadOnly, Kind: Read,
			Desc: "Node CPU, load, memory, swap, root disk, kernel, PVE version, uptime."}, "GET", "/nodes/{node}/status"),
		Endpoint[NodeIn](Spec{Name: "pve_get_node_version", Title: "Node PVE version", Tier: ReadOnly, Kind: Read,
			Desc: "Proxmox VE version on a node."}, "GET", "/nodes/{node}/version"),
		Endpoint[NodeIn](Spec{Name: "pve_get_node_dns", Title: "Node DNS", Tier: ReadOnly, Kind: Read,
			Desc: "Node DNS search domain and resolvers."}, "GET", "/nodes/{node}/dns"),
		Endpoint[NodeIn](Spec{Name: "pve_get_node_time", Title: "Node time", Tier: ReadOnly, Kind: Read,
			Desc: "Node timezone and time (epoch)."}, "GET", "/nodes/{node}/time"),
		Endpoint[syslogIn](Spec{Name: "pve_get_node_syslog", Title: "Node journal", Tier: ReadOnly, Kind: Read,
			Desc: "A node's journal as lines {n,t}; page with start/limit."}, "GET", "/nodes/{node}/syslog"),
		Endpoint[NodeIn](Spec{Name: "pve_list_node_services", Title: "List node services", Keywords: []string{"daemon", "systemd", "pveproxy", "pvedaemon", "corosync"}, Tier: ReadOnly, Kind: Read, Fields: serviceFields,
			Desc: "A node's Proxmox services and their state."}, "GET", "/nodes/{node}/services"),
		planned(Custom(Spec{Name: "pve_manage_node_service", Title: "Control node service", Keywords: []string{"daemon", "systemd", "pveproxy", "pvedaemon", "pvestatd", "corosync", "sshd", "chrony", "postfix", "cron"}, Tier: ReadExecute, Kind: Act, Task: true,
			Desc: "Start, stop, restart or reload a node service. Returns the task."}, serviceCalls,
			func(ctx context.Context, env *Env, in serviceIn) (Output, error) {
				for _, c := range serviceCalls {
					if c.Path == "/nodes/{node}/services/{service}/"+in.Command {
						return env.Call(ctx, c, &in)
					}
				}
				return Output{}, fmt.Errorf("command must be start, stop, restart or reload")
			}), []Call{servicesCall}, servicePlan),
	}
}
