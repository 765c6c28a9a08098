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
	Type string `json:"type,omitempty" jsonschema:"Only this type" enum:"vm|ct"`
}

type haSIDIn struct {
	SID string `json:"sid" jsonschema:"HA resource, e.g. vm:100" pattern:"^(vm|ct):[1-9][0-9]{2,8}$"`
}

// haResourceSettings are the settings of an HA resource, shared by create
// and update.
type haResourceSettings struct {
	State       string         `json:"state,omitempty" jsonschema:"Default started" enum:"started|stopped|disabled|ignored"`
	MaxRestart  *int           `json:"max_restart,omitempty" jsonschema:"Restarts on the same node (default 1)" min:"0"`
	MaxRelocate *int           `json:"max_relocate,omitempty" jsonschema:"Moves to other nodes (default 1)" min:"0"`
	Failback    *bool          `json:"failback,omitempty" jsonschema:"Return to its preferred node (default true)"`
	Comment     string         `json:"comment,omitempty" jsonschema:"Comment" maxlen:"4096"`
	Extra       map[string]any `json:"extra,omitempty" pve:"*" jsonschema:"Further properties"`
}

type haCreateIn struct {
	haSIDIn
	haResourceSettings
}

type haUpdateIn struct {
	haSIDIn
	haResourceSettings
	Delete []string `json:"delete,omitempty" pve:"delete,join" jsonschema:"Settings to reset"`
	Digest string   `json:"digest,omitempty" jsonschema:"Fail if changed since this digest" maxlen:"64"`
}

type haDeleteIn struct {
	haSIDIn
	Purge *bool `json:"purge,omitempty" jsonschema:"Also remove from rules (default true)"`
}

type haRulesIn struct {
	Type     string `json:"type,omitempty" jsonschema:"Only this type" enum:"node-affinity|resource-affinity"`
	Resource string `json:"resource,omitempty" jsonschema:"Only rules with this resource" pattern:"^(vm|ct):[1-9][0-9]{2,8}$"`
}

type haRuleIn struct {
	Rule string `json:"rule" jsonschema:"Rule ID" pattern:"^[a-zA-Z][a-zA-Z0-9_-]+$"`
}

// haRuleSettings are a rule's properties, shared by create and update.
type haRuleSettings struct {
	Nodes    []string       `json:"nodes,omitempty" pve:"nodes,join" jsonschema:"node-affinity: node[:priority], higher first" pattern:"^[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?(:[0-9]+)?$"`
	Strict   *bool          `json:"strict,omitempty" jsonschema:"node-affinity: only these nodes (default: prefer)"`
	Affinity string         `json:"affinity,omitempty" jsonschema:"resource-affinity: positive = together" enum:"positive|negative"`
	Disable  *bool          `json:"disable,omitempty" jsonschema:"Keep but do not apply"`
	Comment  string         `json:"comment,omitempty" jsonschema:"Comment" maxlen:"4096"`
	Extra    map[string]any `json:"extra,omitempty" pve:"*" jsonschema:"Further properties"`
}

type haRuleCreateIn struct {
	haRuleIn
	Type      string   `json:"type" jsonschema:"Rule type" enum:"node-affinity|resource-affinity"`
	Resources []string `json:"resources" pve:"resources,join" jsonschema:"HA resources" pattern:"^(vm|ct):[1-9][0-9]{2,8}$"`
	haRuleSettings
}

type haRuleUpdateIn struct {
	haRuleIn
	Type      string   `json:"type,omitempty" jsonschema:"Default: the rule's" enum:"node-affinity|resource-affinity"`
	Resources []string `json:"resources,omitempty" pve:"resources,join" jsonschema:"Replaces the list" pattern:"^(vm|ct):[1-9][0-9]{2,8}$"`
	haRuleSettings
	Delete []string `json:"delete,omitempty" pve:"delete,join" jsonschema:"Settings to remove"`
	Digest string   `json:"digest,omitempty" jsonschema:"Fail if changed since this digest" maxlen:"64"`
}

type haDisarmIn struct {
	ResourceMode string `json:"resource_mode" pve:"resource-mode" jsonschema:"freeze: no changes applied; ignore: unmanaged" enum:"freeze|ignore"`
}

var (
	haRuleGet = Call{Method: "GET", Path: "/cluster/ha/rules/{rule}"}
	haRulePut = Call{Method: "PUT", Path: "/cluster/ha/rules/{rule}"}
)

func haTools() []*Tool {
	return []*Tool{
		Endpoint[haListIn](Spec{Name: "pve_list_ha_resources", Title: "List HA resources", Tier: ReadOnly, Kind: Read,
			Desc: "List HA-managed guests with requested state and limits."}, "GET", "/cluster/ha/resources"),
		Endpoint[haSIDIn](Spec{Name: "pve_get_ha_resource", Title: "Get HA resource", Tier: ReadOnly, Kind: Read,
			Desc: "One HA resource's config and digest."}, "GET", "/cluster/ha/resources/{sid}"),
		planned(Endpoint[haCreateIn](Spec{Name: "pve_create_ha_resource", Title: "Add guest to HA", Tier: Full, Kind: Act,
			Desc: "Put a guest under HA; HA starts or stops it to match state."}, "POST", "/cluster/ha/resources"), haReads, haCreatePlan),
		planned(Endpoint[haUpdateIn](Spec{Name: "pve_update_ha_resource", Title: "Change HA resource", Tier: Full, Kind: Set,
			Desc: "Change an HA resource's state, limits or comment."}, "PUT", "/cluster/ha/resources/{sid}"), haReads, haUpdatePlan),
		planned(Endpoint[haDeleteIn](Spec{Name: "pve_delete_ha_resource", Title: "Remove guest from HA", Tier: Full, Kind: Destroy,
			Desc: "Remove a guest from HA (the guest stays) and by default from rules."}, "DELETE", "/cluster/ha/resources/{sid}"), haReads, haDeletePlan),
		Endpoint[haRulesIn](Spec{Name: "pve_list_ha_rules", Title: "List HA rules", Tier: ReadOnly, Kind: Read,
			Desc: "List HA rules with resources, nodes and settings."}, "GET", "/cluster/ha/rules"),
		Endpoint[haRuleIn](Spec{Name: "pve_get_ha_rule", Title: "Get HA rule", Tier: ReadOnly, Kind: Read,
			Desc: "One HA rule and its digest."}, "GET", "/cluster/ha/rules/{rule}"),
		planned(Endpoint[haRuleCreateIn](Spec{Name: "pve_create_ha_rule", Title: "Create HA rule", Tier: Full, Kind: Act,
			Desc: "Create an HA rule: node-affinity pins or prefers nodes; resource-affinity keeps guests together/apart."}, "POST", "/cluster/ha/rules"), haReads, haRuleCreatePlan),
		planned(Custom(Spec{Name: "pve_update_ha_rule", Title: "Change HA rule", Tier: Full, Kind: Set,
			Desc: "Change an HA rule; only given fields change."},
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
			}), haReads, haRuleUpdatePlan),
		planned(Endpoint[haRuleIn](Spec{Name: "pve_delete_ha_rule", Title: "Delete HA rule", Tier: Full, Kind: Destroy,
			Desc: "Delete an HA rule; its resources stay HA-managed."}, "DELETE", "/cluster/ha/rules/{rule}"), haReads, haRuleDeletePlan),
		planned(Endpoint[haDisarmIn](Spec{Name: "pve_disarm_ha", Title: "Disarm HA", Tier: Full, Kind: Set,
			Desc: "Disarm HA for maintenance: no fencing or recovery until pve_arm_ha."}, "POST", "/cluster/ha/status/disarm-ha"),
			haReads, haDisarmPlan),
		planned(Endpoint[EmptyIn](Spec{Name: "pve_arm_ha", Title: "Arm HA", Tier: Full, Kind: Set,
			Desc: "Re-arm HA after pve_disarm_ha."}, "POST", "/cluster/ha/status/arm-ha"),
			haReads, haArmPlan),
	}
}
