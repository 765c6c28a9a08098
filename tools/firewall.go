package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
)

// The firewall tools work on the cluster-wide firewall (cluster.fw).

type firewallOptionsIn struct {
	Enable        *int     `json:"enable,omitempty" jsonschema:"1 on, 0 off" min:"0" max:"1"`
	PolicyIn      string   `json:"policy_in,omitempty" jsonschema:"Incoming default" enum:"ACCEPT|REJECT|DROP"`
	PolicyOut     string   `json:"policy_out,omitempty" jsonschema:"Outgoing default" enum:"ACCEPT|REJECT|DROP"`
	PolicyForward string   `json:"policy_forward,omitempty" jsonschema:"Forwarded default" enum:"ACCEPT|DROP"`
	Ebtables      *bool    `json:"ebtables,omitempty" jsonschema:"Use ebtables"`
	LogRatelimit  string   `json:"log_ratelimit,omitempty" jsonschema:"e.g. enable=1,rate=1/second,burst=5"`
	Delete        []string `json:"delete,omitempty" pve:"delete,join" jsonschema:"Options to reset"`
	Digest        string   `json:"digest,omitempty" jsonschema:"Digest; fails if changed since" maxlen:"64"`
}

// ruleProps are the rule settings create and update share (cluster and
// guest firewall alike).
type ruleProps struct {
	Macro    string `json:"macro,omitempty" jsonschema:"Macro, e.g. SSH" maxlen:"128"`
	Source   string `json:"source,omitempty" jsonschema:"IP, CIDR, range, alias or +ipset; comma list" maxlen:"512"`
	Dest     string `json:"dest,omitempty" jsonschema:"Like source" maxlen:"512"`
	Proto    string `json:"proto,omitempty" jsonschema:"Protocol, e.g. tcp"`
	DPort    string `json:"dport,omitempty" jsonschema:"Ports, e.g. 80,443 or 80:90 (needs proto)"`
	SPort    string `json:"sport,omitempty" jsonschema:"Like dport"`
	ICMPType string `json:"icmp_type,omitempty" pve:"icmp-type" jsonschema:"e.g. echo-request"`
	Iface    string `json:"iface,omitempty" jsonschema:"Only this interface" minlen:"2" maxlen:"20"`
	Log      string `json:"log,omitempty" jsonschema:"Log level" enum:"emerg|alert|crit|err|warning|notice|info|debug|nolog"`
	Enable   *int   `json:"enable,omitempty" jsonschema:"1 active; default 0 (inactive)" min:"0" max:"1"`
	Comment  string `json:"comment,omitempty" jsonschema:"Comment"`
}

type createRuleIn struct {
	Type   string `json:"type" jsonschema:"Direction, or group (security group)" enum:"in|out|forward|group"`
	Action string `json:"action" jsonschema:"ACCEPT, DROP, REJECT or group name" pattern:"^[A-Za-z][A-Za-z0-9\\-_]+$" minlen:"2" maxlen:"20"`
	ruleProps
	Pos *int `json:"pos,omitempty" pve:"-" jsonschema:"Position; default 0 (first)" min:"0"`
}

type rulePosIn struct {
	Pos    int    `json:"pos" jsonschema:"Rule position" min:"0"`
	Digest string `json:"digest,omitempty" jsonschema:"Digest; fails if rules changed since" maxlen:"64"`
}

type updateRuleIn struct {
	rulePosIn
	Type   string `json:"type,omitempty" jsonschema:"Direction" enum:"in|out|forward|group"`
	Action string `json:"action,omitempty" jsonschema:"ACCEPT, DROP, REJECT or group name" pattern:"^[A-Za-z][A-Za-z0-9\\-_]+$" minlen:"2" maxlen:"20"`
	ruleProps
	MoveTo *int     `json:"moveto,omitempty" jsonschema:"Move before the rule at this position (past end: last); other settings ignored" min:"0"`
	Delete []string `json:"delete,omitempty" pve:"delete,join" jsonschema:"Settings to remove"`
}

var (
	listRulesCall  = Call{"GET", "/cluster/firewall/rules"}
	createRuleCall = Call{"POST", "/cluster/firewall/rules"}
	updateRuleCall = Call{"PUT", "/cluster/firewall/rules/{pos}"}
)

func firewallTools() []*Tool {
	return []*Tool{
		Endpoint[EmptyIn](Spec{Name: "pve_get_firewall_options", Title: "Cluster firewall options", Tier: ReadOnly, Kind: Read,
			Desc: "Cluster firewall options (enable, policies, log limit) and digest."}, "GET", "/cluster/firewall/options"),
		Endpoint[EmptyIn](Spec{Name: "pve_list_firewall_rules", Title: "List cluster firewall rules", Tier: ReadOnly, Kind: Read,
			Desc: "List cluster firewall rules in order (pos), with digests."}, "GET", "/cluster/firewall/rules"),
		Endpoint[EmptyIn](Spec{Name: "pve_list_firewall_aliases", Title: "List firewall aliases", Tier: ReadOnly, Kind: Read,
			Desc: "List cluster firewall aliases (named IPs/networks)."}, "GET", "/cluster/firewall/aliases"),
		Endpoint[EmptyIn](Spec{Name: "pve_list_firewall_ipsets", Title: "List firewall IP sets", Tier: ReadOnly, Kind: Read,
			Desc: "List cluster firewall IP sets (+name in rules)."}, "GET", "/cluster/firewall/ipset"),
		planned(Endpoint[firewallOptionsIn](Spec{Name: "pve_update_firewall_options", Title: "Change cluster firewall options", Tier: Full, Kind: Set,
			Desc: "Change cluster firewall options; first check rules keep your own access."}, "PUT", "/cluster/firewall/options"), []Call{{"GET", "/cluster/firewall/options"}},
			settingsPlanner[firewallOptionsIn](Call{"GET", "/cluster/firewall/options"}, Call{"PUT", "/cluster/firewall/options"})),
		planned(Custom(Spec{Name: "pve_create_firewall_rule", Title: "Create cluster firewall rule", Keywords: []string{"open", "port", "allow", "block", "accept", "drop", "reject"}, Tier: Full, Kind: Act,
			Desc: "Add a cluster firewall rule (first, or at pos); returns it with its position."},
			[]Call{createRuleCall, listRulesCall, updateRuleCall}, createRule), slices.Concat(ruleCheckReads, []Call{{"GET", "/cluster/firewall/options"}}), createRulePlan),
		planned(Endpoint[updateRuleIn](Spec{Name: "pve_update_firewall_rule", Title: "Change cluster firewall rule", Tier: Full, Kind: Set,
			Desc: "Change given settings of the cluster firewall rule at pos, or move it."}, "PUT", "/cluster/firewall/rules/{pos}"), slices.Concat([]Call{listRulesCall}, ruleCheckReads), updateRulePlan),
		planned(Endpoint[rulePosIn](Spec{Name: "pve_delete_firewall_rule", Title: "Delete cluster firewall rule", Tier: Full, Kind: Destroy,
			Desc: "Delete the cluster firewall rule at pos; later rules move up."}, "DELETE", "/cluster/firewall/rules/{pos}"), []Call{listRulesCall}, deleteRulePlan),
	}
}

type listedRule struct {
	Pos     int    `json:"pos"`
	Digest  string `json:"digest"`
	Type    string `json:"type"`
	Action  string `json:"action"`
	Macro   string `json:"macro"`
	Source  string `json:"source"`
	Dest    string `json:"dest"`
	Proto   string `json:"proto"`
	DPort   string `json:"dport"`
	Comment string `json:"comment"`
}

// createRule adds a rule. Proxmox always inserts new rules at the top and
// ignores pos, so a wanted position is reached with a digest-guarded move
// of the new rule.
func createRule(ctx context.Context, env *Env, in createRuleIn) (Output, error) {
	if _, err := env.Call(ctx, createRuleCall, &in); err != nil {
		return Output{}, err
	}
	return placeNewRule(in, "pve_list_firewall_rules",
		func() (Output, error) { return env.Call(ctx, listRulesCall, &EmptyIn{}) },
		func(move ruleMove) error {
			_, err := env.Call(ctx, updateRuleCall, &move)
			return err
		}), nil
}

// ruleMove moves the rule at Pos; Digest guards against concurrent edits.
type ruleMove struct {
	Pos    int    `json:"pos"`
	MoveTo int    `json:"moveto"`
	Digest string `json:"digest"`
}

// placeNewRule finishes a rule creation at any firewall level: it checks
// the rule Proxmox put at position 0 is the new one, moves it to in.Pos if
// asked, and answers with the rule as it now stands. Every failure after
// the create is a note, not an error: the rule exists either way.
func placeNewRule(in createRuleIn, listTool string, list func() (Output, error), move func(ruleMove) error) Output {
	read := func() ([]json.RawMessage, error) {
		var rules []json.RawMessage
		out, err := list()
		if err == nil {
			err = json.Unmarshal(out.Data, &rules)
		}
		return rules, err
	}
	rules, err := read()
	if err != nil || len(rules) == 0 {
		return Output{Note: fmt.Sprintf("Rule created at position 0; reading the rules back failed: %v", err)}
	}
	var first listedRule
	if err := json.Unmarshal(rules[0], &first); err != nil || !sameRule(first, in) {
		return Output{Note: "Rule created, but the rule now at position 0 is not it (changed concurrently?); check " + listTool + "."}
	}
	want := 0
	if in.Pos != nil {
		want = min(*in.Pos, len(rules)-1)
	}
	if want == 0 {
		return Output{Data: rules[0]}
	}
	// Proxmox puts a moved rule before the rule now at moveto, counted
	// with the moved rule still in place: moveto = want+1.
	if err := move(ruleMove{Pos: 0, MoveTo: want + 1, Digest: first.Digest}); err != nil {
		return Output{Data: rules[0], Note: fmt.Sprintf("Rule created at position 0; moving it to %d failed: %v", want, err)}
	}
	rules, err = read()
	if err != nil || want >= len(rules) {
		return Output{Note: fmt.Sprintf("Rule created and moved to position %d.", want)}
	}
	return Output{Data: rules[want]}
}

func sameRule(r listedRule, in createRuleIn) bool {
	return r.Type == in.Type && r.Action == in.Action && r.Macro == in.Macro && r.Source == in.Source &&
		r.Dest == in.Dest && r.Proto == in.Proto && r.DPort == in.DPort && r.Comment == in.Comment
}
