package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/google/jsonschema-go/jsonschema"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/pve-mcp/pve-mcp/pve"
)

// Dry run (issue 13, part 2): a tool that changes something and declares a
// planner accepts dry_run: true. It then sends only reads (GET) to Proxmox
// and answers a Plan: what the real call would send, the state it would
// change from and to, what it would destroy, and the preconditions that
// would make Proxmox refuse it. A dry run changes nothing, so it never asks
// for confirmation.

// dryRunArg is the argument that asks for a plan.
const dryRunArg = "dry_run"

// Planner states what a call with input in would do, from reads only.
type Planner[In any] func(ctx context.Context, env *Env, in In) (*Plan, error)

// planned gives t a planner; reads are the GETs it makes beyond those t
// already declares (for the schema test). It must be called before the
// tool is first listed.
func planned[In any](t *Tool, reads []Call, p Planner[In]) *Tool {
	if t.Kind == Read {
		panic("tool " + t.Name + ": a read-only tool has nothing to plan")
	}
	t.planner = p
	for _, c := range reads {
		if c.Method != "GET" {
			panic("tool " + t.Name + ": a planner only reads")
		}
		if !slices.Contains(t.Calls, c) {
			t.Calls = append(t.Calls, c)
			t.planReads = append(t.planReads, c)
		}
	}
	return t
}

// DryRun reports whether the tool accepts dry_run.
func (t *Tool) DryRun() bool { return t.planner != nil && t.Kind != Read }

func dryRunProperty() *jsonschema.Schema {
	return &jsonschema.Schema{Type: "boolean"} // explained once, in the instructions
}

// dryRunInstructions are added to the server instructions while any tool
// takes dry_run.
const dryRunInstructions = " dry_run: true changes nothing and answers a plan from live reads: the request, current and expected state, what would be destroyed, and would_fail (why Proxmox would refuse)."

// isDryRun reports whether raw asks for a dry run.
func isDryRun(raw json.RawMessage) bool {
	var a struct {
		DryRun bool `json:"dry_run"`
	}
	return len(raw) > 0 && json.Unmarshal(raw, &a) == nil && a.DryRun
}

// Plan is a dry run's answer.
type Plan struct {
	// DryRun is always true: nothing was changed.
	DryRun bool `json:"dry_run"`
	// Request is what the real call would send: method, path, parameters.
	Request string `json:"request,omitempty"`
	// WouldFail lists the preconditions that fail now: Proxmox would
	// refuse the call (or, for a bulk action, the guests named).
	WouldFail []string `json:"would_fail,omitempty"`
	// Notes are what else to know: HA takes the request, pending changes.
	Notes []string `json:"notes,omitempty"`
	// Guests are the guests the call acts on, now and after.
	Guests []GuestPlan `json:"guests,omitempty"`
	// Changes are the settings that would change, current to proposed.
	Changes []Change `json:"changes,omitempty"`
	// Digest is the config digest now; the real call checks it when
	// given one (pass it as digest to be sure nothing changed between).
	Digest string `json:"digest,omitempty"`
	// Destroys is everything that would go, one item a line.
	Destroys []string `json:"destroys,omitempty"`
	// Rules is the rule list the call leaves (firewall, HA), one rule a
	// line, the new or changed one marked (ruleLines, dryrun_firewall.go).
	Rules []string `json:"rules,omitempty"`
	// Pending is a node's staged network changes (the diff from
	// /etc/network/interfaces to interfaces.new), one changed line each.
	Pending []string `json:"pending,omitempty"`
	// Target is the summary confirmation shows of the guest (confirm_guest.go).
	Target *guest `json:"target,omitempty"`
}

// GuestPlan is one guest's state now and expected after the call.
type GuestPlan struct {
	VMID  int    `json:"vmid"`
	Name  string `json:"name,omitempty"`
	Type  string `json:"type,omitempty"`
	Node  string `json:"node,omitempty"`
	Now   string `json:"now"`
	After string `json:"after"`
	// Skipped: the action leaves this guest as it is (a bulk action's rule).
	Skipped bool   `json:"skipped,omitempty"`
	Lock    string `json:"lock,omitempty"`
	HA      string `json:"ha,omitempty"`
	// Problems would make the call fail for this guest.
	Problems []string `json:"problems,omitempty"`
}

// Change is one setting, now and proposed; Now is absent for a setting not
// set, and Removed marks one the call deletes.
type Change struct {
	Key     string  `json:"key"`
	Now     *string `json:"now,omitempty"`
	To      string  `json:"to,omitempty"`
	Removed bool    `json:"removed,omitempty"`
}

func (p *Plan) fail(format string, args ...any) {
	p.WouldFail = append(p.WouldFail, fmt.Sprintf(format, args...))
}
func (p *Plan) note(format string, args ...any) {
	p.Notes = append(p.Notes, fmt.Sprintf(format, args...))
}

// planOutput is a plan as a tool's result, with the note that says so.
func planOutput(p *Plan) (Output, error) {
	p.DryRun = true
	out, err := JSON(p)
	if err != nil {
		return out, err
	}
	out.Note = dryRunNote
	if len(p.WouldFail) > 0 {
		out.Note += " The real call would fail (see would_fail)."
	}
	return out, nil
}

// dryRunNote ends the text of every dry run's answer.
const dryRunNote = "DRY RUN: nothing was changed."

// IsDryRunAnswer reports whether res is a dry run's plan (nothing done),
// for the audit log.
func IsDryRunAnswer(res *mcp.CallToolResult) bool {
	if res == nil || res.IsError || len(res.Content) == 0 {
		return false
	}
	tc, ok := res.Content[0].(*mcp.TextContent)
	return ok && strings.Contains(tc.Text, "\n"+dryRunNote)
}

// planSchema is the second shape of a planner tool's output schema.
func planSchema() *jsonschema.Schema {
	return &jsonschema.Schema{Required: []string{dryRunArg}}
}

// requestOf renders what the real call would send: method, path, and the
// parameters (secrets hidden), with the node looked up as the call would.
func (env *Env) requestOf(ctx context.Context, call Call, in any) (string, error) {
	placeholders := placeholdersOf([]Call{call})
	path, params, err := pve.Encode(in, placeholders)
	if err != nil {
		return "", err
	}
	if err := env.resolveNode(ctx, placeholders, path); err != nil {
		return "", err
	}
	built, err := pve.BuildPath(call.Path, path)
	if err != nil {
		return "", err
	}
	s := call.Method + " " + built
	if len(params) > 0 {
		s += " " + hideSecrets(params).Encode()
	}
	return s, nil
}

// hideSecrets returns params with passwords and keys replaced.
func hideSecrets(params pve.Values) pve.Values {
	out := pve.Values{}
	for k, v := range params {
		if secretKey(k) {
			v = []string{"(hidden)"}
		}
		out[k] = v
	}
	return out
}

func secretKey(k string) bool {
	k = strings.ToLower(k)
	return strings.Contains(k, "password") || strings.Contains(k, "secret") || strings.Contains(k, "key") && k != "keyboard"
}
