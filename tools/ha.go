package tools

import (
	"context"
	"fmt"

	"github.com/pve-mcp/pve-mcp/pve"
)

// HA resources are guests the HA manager keeps running (or stopped) and
// recovers on node failure. Placement is expressed with rules; the HA groups
// of Proxmox VE 8 were migrated to rules in 9 and are not offered here.

type haListIn struct {
	Type string `json:"type,omitempty" jsonschema:"Only VMs or containers" enum:"vm|ct"`
}

type haSIDIn struct {
	SID string `json:"sid" jsonschema:"HA resource, vm:<vmid> or ct:<vmid>" pattern:"^(vm|ct):[1-9][0-9]{2,8}$"`
}

// haResourceSettings are the settings of an HA resource, shared by create
// and update.
type haResourceSettings struct {
	State       string         `json:"state,omitempty" jsonschema:"Requested state (default started)" enum:"started|stopped|disabled|ignored"`
	MaxRestart  *int           `json:"max_restart,omitempty" jsonschema:"Restart tries on the same node after a failed start (default 1)" min:"0"`
	MaxRelocate *int           `json:"max_relocate,omitempty" jsonschema:"Relocation tries to other nodes after failed restarts (default 1)" min:"0"`
	Failback    *bool          `json:"failback,omitempty" jsonschema:"Move back to the highest-priority node of its node-affinity rule when it returns (default true)"`
	Comment     string         `json:"comment,omitempty" jsonschema:"Description"`
	Extra       map[string]any `json:"extra,omitempty" pve:"*" jsonschema:"Further Proxmox properties"`
}

type haCreateIn struct {
	haSIDIn
	haResourceSettings
}

type haUpdateIn struct {
	haSIDIn
	haResourceSettings
	Delete []string `json:"delete,omitempty" pve:"delete,join" jsonschema:"Settings to reset to default, e.g. [\"comment\"]"`
	Digest string   `json:"digest,omitempty" jsonschema:"Refuse if the config changed since this digest"`
}

type haDeleteIn struct {
	haSIDIn
	Purge *bool `json:"purge,omitempty" jsonschema:"Also remove it from rules, deleting rules left empty (default true)"`
}

type haRulesIn struct {
	Type     string `json:"type,omitempty" jsonschema:"Only this rule type" enum:"node-affinity|resource-affinity"`
	Resource string `json:"resource,omitempty" jsonschema:"Only rules naming this resource, e.g. vm:100" pattern:"^(vm|ct):[1-9][0-9]{2,8}$"`
}

type haRuleIn struct {
	Rule string `json:"rule" jsonschema:"Rule ID" pattern:"^[a-zA-Z][a-zA-Z0-9_-]+$"`
}

// haRuleSettings are a rule's properties, shared by create and update.
type haRuleSettings struct {
	Nodes    []string       `json:"nodes,omitempty" pve:"nodes,join" jsonschema:"node-affinity: nodes with optional priority (higher first), e.g. [\"pve1:2\",\"pve2\"]" pattern:"^[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?(:[0-9]+)?$"`
	Strict   *bool          `json:"strict,omitempty" jsonschema:"node-affinity: run only on the listed nodes (default false: prefer them)"`
	Affinity string         `json:"affinity,omitempty" jsonschema:"resource-affinity: keep together (positive) or apart (negative)" enum:"positive|negative"`
	Disable  *bool          `json:"disable,omitempty" jsonschema:"Keep the rule but do not apply it"`
	Comment  string         `json:"comment,omitempty" jsonschema:"Description"`
	Extra    map[string]any `json:"extra,omitempty" pve:"*" jsonschema:"Further Proxmox properties"`
}

type haRuleCreateIn struct {
	haRuleIn
	Type      string   `json:"type" jsonschema:"node-affinity (resources to nodes) or resource-affinity (resources to each other)" enum:"node-affinity|resource-affinity"`
	Resources []string `json:"resources" pve:"resources,join" jsonschema:"HA resources, e.g. [\"vm:100\",\"ct:200\"]" pattern:"^(vm|ct):[1-9][0-9]{2,8}$"`
	haRuleSettings
}

type haRuleUpdateIn struct {
	haRuleIn
	Type      string   `json:"type,omitempty" jsonschema:"The rule's type; read from the rule if omitted" enum:"node-affinity|resource-affinity"`
	Resources []string `json:"resources,omitempty" pve:"resources,join" jsonschema:"Replace the resource list" pattern:"^(vm|ct):[1-9][0-9]{2,8}$"`
	haRuleSettings
	Delete []string `json:"delete,omitempty" pve:"delete,join" jsonschema:"Settings to remove, e.g. [\"comment\",\"strict\"]"`
	Digest string   `json:"digest,omitempty" jsonschema:"Refuse if the rule changed since this digest"`
}

type haDisarmIn struct {
	ResourceMode string `json:"resource_mode" pve:"resource-mode" jsonschema:"freeze: HA keeps resources but applies no changes; ignore: resources are unmanaged until re-armed" enum:"freeze|ignore"`
}

var (
	haRuleGet = Call{Method: "GET", Path: "/cluster/ha/rules/{rule}"}
	haRulePut = Call{Method: "PUT", Path: "/cluster/ha/rules/{rule}"}
)

func haTools() []*Tool {
	return []*Tool{
		Endpoint[haListIn](Spec{Name: "pve_list_ha_resources", Tier: ReadOnly, Kind: Read,
			Desc: "List HA-managed guests with their requested state and restart/relocate limits."}, "GET", "/cluster/ha/resources"),
		Endpoint[haSIDIn](Spec{Name: "pve_get_ha_resource", Tier: ReadOnly, Kind: Read,
			Desc: "One HA resource's configuration and digest."}, "GET", "/cluster/ha/resources/{sid}"),
		Endpoint[haCreateIn](Spec{Name: "pve_create_ha_resource", Tier: Full, Kind: Act,
			Desc: "Put a VM or container under HA management; HA then starts or stops it to match state. Place it with HA rules."}, "POST", "/cluster/ha/resources"),
		Endpoint[haUpdateIn](Spec{Name: "pve_update_ha_resource", Tier: Full, Kind: Set,
			Desc: "Change an HA resource's requested state, limits or comment; HA starts or stops the guest to match."}, "PUT", "/cluster/ha/resources/{sid}"),
		Endpoint[haDeleteIn](Spec{Name: "pve_delete_ha_resource", Tier: Full, Kind: Destroy,
			Desc: "Remove a guest from HA management (the guest itself stays as it is) and, by default, from its rules."}, "DELETE", "/cluster/ha/resources/{sid}"),
		Endpoint[haRulesIn](Spec{Name: "pve_list_ha_rules", Tier: ReadOnly, Kind: Read,
			Desc: "List HA rules (node-affinity, resource-affinity) with their resources, nodes and settings."}, "GET", "/cluster/ha/rules"),
		Endpoint[haRuleIn](Spec{Name: "pve_get_ha_rule", Tier: ReadOnly, Kind: Read,
			Desc: "One HA rule and its digest."}, "GET", "/cluster/ha/rules/{rule}"),
		Endpoint[haRuleCreateIn](Spec{Name: "pve_create_ha_rule", Tier: Full, Kind: Act,
			Desc: "Create an HA rule: node-affinity (resources + nodes) pins or prefers nodes; resource-affinity (2+ resources + affinity) keeps them together or apart."}, "POST", "/cluster/ha/rules"),
		Custom(Spec{Name: "pve_update_ha_rule", Tier: Full, Kind: Set,
			Desc: "Change an HA rule's resources, nodes or settings; only given fields change."},
			[]Call{haRulePut, haRuleGet},
			func(ctx context.Context, env *Env, in haRuleUpdateIn) (Output, error) {
				if in.Type == "" {
					path, err := pve.BuildPath(haRuleGet.Path, map[string]string{"rule": in.Rule})
					if err != nil {
						return Output{}, err
					}
					var rule struct {
						Type string `json:"type"`
					}
					if err := env.PVE.Get(ctx, path, nil, &rule); err != nil {
						return Output{}, fmt.Errorf("reading the type of rule %s: %w", in.Rule, err)
					}
					in.Type = rule.Type
				}
				return env.Call(ctx, haRulePut, &in)
			}),
		Endpoint[haRuleIn](Spec{Name: "pve_delete_ha_rule", Tier: Full, Kind: Destroy,
			Desc: "Delete an HA rule; its resources stay HA-managed."}, "DELETE", "/cluster/ha/rules/{rule}"),
		Endpoint[haDisarmIn](Spec{Name: "pve_disarm_ha", Tier: Full, Kind: Set,
			Desc: "Disarm HA cluster-wide for maintenance: watchdogs are released, so failed nodes are NOT fenced or recovered until pve_arm_ha."}, "POST", "/cluster/ha/status/disarm-ha"),
		Endpoint[EmptyIn](Spec{Name: "pve_arm_ha", Tier: Full, Kind: Set,
			Desc: "Re-arm HA after pve_disarm_ha; fencing and recovery resume."}, "POST", "/cluster/ha/status/arm-ha"),
	}
}
