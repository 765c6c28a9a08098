package tools

import (
	"context"
	"errors"
	"fmt"
	"slices"
)

// The firewall below the cluster level: a node's host firewall (host.fw)
// and each guest's own firewall (<vmid>.fw). One tool per verb serves both:
// with vmid it is the guest's firewall (VM or container, found from
// /cluster/resources), with only node it is that node's host firewall.

// fwScopeIn names the firewall a tool works on.
type fwScopeIn struct {
	Node string `json:"node,omitempty" jsonschema:"Node; alone = its host firewall"`
	VMID int    `json:"vmid,omitempty" jsonschema:"VM/CT ID" min:"100" max:"999999999"`

	level string // node, qemu or lxc once resolved
}

func (s *fwScopeIn) scope() *fwScopeIn { return s }

type fwScoped interface{ scope() *fwScopeIn }

type fwCreateRuleIn struct {
	fwScopeIn
	createRuleIn
}

type fwUpdateRuleIn struct {
	fwScopeIn
	updateRuleIn
}

type fwRulePosIn struct {
	fwScopeIn
	rulePosIn
}

type fwOptionsIn struct {
	fwScopeIn
	Enable      *bool          `json:"enable,omitempty" jsonschema:"Firewall on/off"`
	PolicyIn    string         `json:"policy_in,omitempty" jsonschema:"Guest only: incoming default" enum:"ACCEPT|REJECT|DROP"`
	PolicyOut   string         `json:"policy_out,omitempty" jsonschema:"Guest only: outgoing default" enum:"ACCEPT|REJECT|DROP"`
	LogLevelIn  string         `json:"log_level_in,omitempty" jsonschema:"Incoming log level" enum:"emerg|alert|crit|err|warning|notice|info|debug|nolog"`
	LogLevelOut string         `json:"log_level_out,omitempty" jsonschema:"Outgoing log level" enum:"emerg|alert|crit|err|warning|notice|info|debug|nolog"`
	Delete      []string       `json:"delete,omitempty" pve:"delete,join" jsonschema:"Options to reset"`
	Digest      string         `json:"digest,omitempty" jsonschema:"Digest; fails if changed since" maxlen:"64"`
	Extra       map[string]any `json:"extra,omitempty" pve:"*" jsonschema:"Further options, e.g. {\"macfilter\":0}"`
}

type fwLogIn struct {
	fwScopeIn
	Start *int `json:"start,omitempty" jsonschema:"Lines to skip" min:"0"`
	Limit *int `json:"limit,omitempty" jsonschema:"Max lines (default 50, 0 = all)" min:"0"`
	Since int  `json:"since,omitempty" jsonschema:"From Unix time" min:"0"`
	Until int  `json:"until,omitempty" jsonschema:"To Unix time" min:"0"`
}

// fwPrefixes are the firewall path prefixes by level.
var fwPrefixes = map[string]string{
	"node": "/nodes/{node}/firewall",
	"qemu": "/nodes/{node}/qemu/{vmid}/firewall",
	"lxc":  "/nodes/{node}/lxc/{vmid}/firewall",
}

// fwCalls lists one endpoint at every level, for a tool's Calls.
func fwCalls(method, suffix string) []Call {
	return []Call{{method, fwPrefixes["node"] + suffix}, {method, fwPrefixes["qemu"] + suffix}, {method, fwPrefixes["lxc"] + suffix}}
}

// fwCall resolves the level the input names (filling in the node of a
// guest) and makes the call there.
func fwCall(ctx context.Context, env *Env, method, suffix string, in fwScoped) (Output, error) {
	prefix, err := env.fwPrefix(ctx, in.scope())
	if err != nil {
		return Output{}, err
	}
	return env.Call(ctx, Call{method, prefix + suffix}, in)
}

func (env *Env) fwPrefix(ctx context.Context, s *fwScopeIn) (string, error) {
	if s.level != "" {
		return fwPrefixes[s.level], nil
	}
	if s.VMID == 0 {
		if s.Node == "" {
			return "", errors.New("pass vmid for a guest's firewall, or node alone for that node's host firewall")
		}
		s.level = "node"
		return fwPrefixes["node"], nil
	}
	res, err := env.resources(ctx, "vm")
	if err != nil {
		return "", fmt.Errorf("looking up guest %d: %w", s.VMID, err)
	}
	var hits []resource
	for _, r := range res {
		if r.VMID == s.VMID && (s.Node == "" || r.Node == s.Node) {
			hits = append(hits, r)
		}
	}
	switch {
	case len(hits) == 0 && s.Node != "":
		return "", fmt.Errorf("no VM or container %d on node %s (see pve_find_guests)", s.VMID, s.Node)
	case len(hits) == 0:
		return "", fmt.Errorf("no VM or container with vmid %d in the cluster (see pve_find_guests)", s.VMID)
	case len(hits) > 1:
		return "", fmt.Errorf("vmid %d is listed on several nodes: pass node explicitly", s.VMID)
	}
	prefix, ok := fwPrefixes[hits[0].Type]
	if !ok {
		return "", fmt.Errorf("guest %d has unknown type %q", s.VMID, hits[0].Type)
	}
	s.Node, s.level = hits[0].Node, hits[0].Type
	return prefix, nil
}

// fwTool declares a tool that is one firewall call at the level its input
// names (a guest by vmid, or a node's host firewall).
func fwTool[In any, P interface {
	*In
	fwScoped
}](spec Spec, method, suffix string) *Tool {
	return Custom(spec, fwCalls(method, suffix), func(ctx context.Context, env *Env, in In) (Output, error) {
		return fwCall(ctx, env, method, suffix, P(&in))
	})
}

func guestFirewallTools() []*Tool {
	return []*Tool{
		fwTool[fwScopeIn](Spec{Name: "pve_list_guest_firewall_rules", Title: "List guest or host firewall rules", Tier: ReadOnly, Kind: Read,
			Desc: "List VM/CT (vmid) or node host (node only) firewall rules in order, with digests."},
			"GET", "/rules"),
		planned(Custom(Spec{Name: "pve_create_guest_firewall_rule", Title: "Create guest or host firewall rule", Keywords: []string{"open", "port", "allow", "block", "accept", "drop", "reject"}, Tier: Full, Kind: Act,
			Desc: "Add a VM/CT (vmid) or host (node only) firewall rule, first or at pos."},
			append(fwCalls("POST", "/rules"), append(fwCalls("GET", "/rules"), fwCalls("PUT", "/rules/{pos}")...)...), fwCreateRule),
			slices.Concat(fwCalls("GET", "/options"), ruleCheckReads), guestCreateRulePlan),
		planned(fwTool[fwUpdateRuleIn](Spec{Name: "pve_update_guest_firewall_rule", Title: "Change guest or host firewall rule", Tier: Full, Kind: Set,
			Desc: "Change given settings of the VM/CT or host firewall rule at pos, or move it."},
			"PUT", "/rules/{pos}"), slices.Concat(fwCalls("GET", "/rules"), ruleCheckReads), guestUpdateRulePlan),
		planned(fwTool[fwRulePosIn](Spec{Name: "pve_delete_guest_firewall_rule", Title: "Delete guest or host firewall rule", Tier: Full, Kind: Destroy,
			Desc: "Delete the VM/CT or host firewall rule at pos; later rules move up."},
			"DELETE", "/rules/{pos}"), fwCalls("GET", "/rules"), guestDeleteRulePlan),
		fwTool[fwScopeIn](Spec{Name: "pve_get_guest_firewall_options", Title: "Guest or host firewall options", Tier: ReadOnly, Kind: Read,
			Desc: "VM/CT (vmid) or host (node only) firewall options, with digest."},
			"GET", "/options"),
		planned(Custom(Spec{Name: "pve_update_guest_firewall_options", Title: "Change guest or host firewall options", Tier: Full, Kind: Set,
			Desc: "Change VM/CT or host firewall options; guests need cluster firewall on and NIC firewall=1."},
			fwCalls("PUT", "/options"), func(ctx context.Context, env *Env, in fwOptionsIn) (Output, error) {
				if err := fwOptionsInputErr(in); err != nil {
					return Output{}, err
				}
				return fwCall(ctx, env, "PUT", "/options", &in)
			}), slices.Concat(fwCalls("GET", "/options"), []Call{{"GET", "/cluster/firewall/options"}}), guestFwOptionsPlan),
		Custom(Spec{Name: "pve_get_guest_firewall_log", Title: "Guest or host firewall log", Tier: ReadOnly, Kind: Read,
			Desc: "VM/CT or node (node only) firewall log lines {n,t}, oldest first; since = recent."},
			fwCalls("GET", "/log"), func(ctx context.Context, env *Env, in fwLogIn) (Output, error) {
				return fwCall(ctx, env, "GET", "/log", &in)
			}),
	}
}

// fwOptionsInputErr refuses guest-only options for a host firewall.
func fwOptionsInputErr(in fwOptionsIn) error {
	if in.VMID == 0 && (in.PolicyIn != "" || in.PolicyOut != "") {
		return errors.New("policy_in/policy_out are guest options; a node's host firewall uses the cluster policies (pve_update_firewall_options)")
	}
	return nil
}

// fwCreateRule adds a rule as createRule does for the cluster firewall:
// Proxmox inserts at the top, so another position is reached with a
// digest-guarded move of the new rule.
func fwCreateRule(ctx context.Context, env *Env, in fwCreateRuleIn) (Output, error) {
	if _, err := fwCall(ctx, env, "POST", "/rules", &in); err != nil {
		return Output{}, err
	}
	// The node is known now; the reads and the move go to the same level.
	return placeNewRule(in.createRuleIn, "pve_list_guest_firewall_rules",
		func() (Output, error) {
			scope := in.fwScopeIn
			return fwCall(ctx, env, "GET", "/rules", &scope)
		},
		func(m ruleMove) error {
			move := struct {
				fwScopeIn
				ruleMove
			}{in.fwScopeIn, m}
			_, err := fwCall(ctx, env, "PUT", "/rules/{pos}", &move)
			return err
		}), nil
}
