package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sync"

	"github.com/google/jsonschema-go/jsonschema"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// coreTools are listed directly in compact mode: what most conversations
// start with (find a guest, check the cluster, look at a guest, power it,
// follow the task). Each keeps its own name, so a client's per-tool
// permission for them works as in mode all. At most 12, by issue 11.
var coreTools = []string{
	"pve_find_guests",
	"pve_get_cluster_summary",
	"pve_get_qemu_status",
	"pve_get_lxc_status",
	"pve_start_qemu_vm",
	"pve_shutdown_qemu_vm",
	"pve_stop_qemu_vm",
	"pve_start_lxc_container",
	"pve_shutdown_lxc_container",
	"pve_stop_lxc_container",
	"pve_wait_task",
}

// Class is a tool's safety class: which dispatcher runs it in compact mode.
// Clients grant permissions per tool name ("always allow"), so one
// dispatcher per class keeps such a grant meaning what it says.
type Class int

const (
	ClassRead    Class = iota // reads only
	ClassChange               // changes, none of them destructive
	ClassDestroy              // may lose data or interrupt a service
)

// Class returns the tool's safety class, from its Kind.
func (t *Tool) Class() Class {
	switch t.Kind {
	case Read:
		return ClassRead
	case Destroy:
		return ClassDestroy
	}
	return ClassChange
}

// dispatcher is one class's catch-all tool.
type dispatcher struct {
	name, title, desc string
	class             Class
	kind              Kind   // annotations, as if it were one of its tools
	word              string // the class in search filters and errors
}

var dispatchers = []dispatcher{
	{"pve_read", "Run a read tool", "Run a read-only tool from pve_search_tools: {tool, arguments}.", ClassRead, Read, "read"},
	{"pve_change", "Run a change tool", "Run a non-destructive tool from pve_search_tools: {tool, arguments}.", ClassChange, Act, "change"},
	{"pve_destroy", "Run a destructive tool", "Run a destructive tool (delete, stop, rollback...) from pve_search_tools: {tool, arguments}.", ClassDestroy, Destroy, "destroy"},
}

// dispatcherOf returns the dispatcher of a class.
func dispatcherOf(c Class) dispatcher {
	return dispatchers[c]
}

// IsDispatcher reports whether name is one of the compact mode's dispatchers.
func IsDispatcher(name string) bool {
	for _, d := range dispatchers {
		if d.name == name {
			return true
		}
	}
	return false
}

// DispatchedCall returns the inner tool and arguments of a dispatcher call,
// for the audit log; ok is false when args are not a dispatcher's.
func DispatchedCall(args json.RawMessage) (tool string, inner json.RawMessage, ok bool) {
	var in struct {
		Tool      string          `json:"tool"`
		Arguments json.RawMessage `json:"arguments"`
	}
	if json.Unmarshal(args, &in) != nil || in.Tool == "" {
		return "", nil, false
	}
	return in.Tool, in.Arguments, true
}

// dispatchSchema is every dispatcher's input: built by hand (no reflection
// at startup) and resolved once.
var dispatchSchema = &jsonschema.Schema{
	Type: "object",
	Properties: map[string]*jsonschema.Schema{
		"tool":      {Type: "string", Description: "Tool name", Pattern: `^pve_[a-z0-9_]+$`, MaxLength: jsonschema.Ptr(64)},
		"arguments": {Type: "object"}, // the tool's own; its schema comes with the search
	},
	Required:             []string{"tool"},
	AdditionalProperties: &jsonschema.Schema{Not: &jsonschema.Schema{}},
}

// dispatchConfirmSchema is dispatchSchema with confirm, for a dispatcher
// whose tools ask for confirmation (confirm.go).
var dispatchConfirmSchema = func() *jsonschema.Schema {
	s := *dispatchSchema
	s.Properties = maps.Clone(dispatchSchema.Properties)
	s.Properties[confirmArg] = confirmProperty()
	return &s
}()

var dispatchResolved = sync.OnceValues(func() (*jsonschema.Resolved, error) {
	return dispatchConfirmSchema.Resolve(nil)
})

// dispatchSchemaJSON is dispatchSchema as servers register it (see Tool.wire).
var dispatchSchemaJSON = sync.OnceValues(func() (json.RawMessage, error) {
	return json.Marshal(dispatchSchema)
})

var dispatchConfirmSchemaJSON = sync.OnceValues(func() (json.RawMessage, error) {
	return json.Marshal(dispatchConfirmSchema)
})

// Listed returns the tools a server in mode m lists directly, of the
// selection: all of them, or in compact mode the selected core tools.
func Listed(selected []*Tool, m Mode) []*Tool {
	if m.For(len(selected)) != ModeCompact {
		return selected
	}
	var out []*Tool
	for _, t := range selected {
		if slices.Contains(coreTools, t.Name) {
			out = append(out, t)
		}
	}
	return out
}

// MetaTools returns the names of the tools compact mode adds for a
// selection: the search and the dispatchers of the classes it holds.
func MetaTools(selected []*Tool) []string {
	names := []string{searchToolName}
	for _, d := range dispatchers {
		if slices.ContainsFunc(selected, func(t *Tool) bool { return t.Class() == d.class }) {
			names = append(names, d.name)
		}
	}
	return names
}

// addCompact registers compact mode's search and dispatchers on s. The
// selection is fixed when the server is built: nothing is kept between
// requests, so any instance answers any call the same way.
func addCompact(s *mcp.Server, env *Env, selected []*Tool) error {
	plain, err := dispatchSchemaJSON()
	if err != nil {
		return err
	}
	withConfirm, err := dispatchConfirmSchemaJSON()
	if err != nil {
		return err
	}
	byName := make(map[string]*Tool, len(selected))
	for _, t := range selected {
		byName[t.Name] = t
	}
	if err := addSearch(s, env, selected); err != nil {
		return err
	}
	for _, d := range dispatchers {
		var openWorld, any bool
		for _, t := range selected {
			if t.Class() == d.class {
				any = true
				openWorld = openWorld || t.OpenWorld
			}
		}
		if !any {
			continue
		}
		schema := plain
		if env.Confirm.Policy.Covers(d.kind) {
			schema = withConfirm
		}
		def := &mcp.Tool{
			Name:        d.name,
			Title:       d.title,
			Description: d.desc,
			InputSchema: schema,
			Annotations: annotations(d.kind, openWorld),
		}
		d := d
		s.AddTool(def, func(ctx context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			ctx = withCall(ctx, req, d.name, false)
			return d.dispatch(withProgress(ctx, req), env, byName, req.Params.Arguments), nil
		})
	}
	return nil
}

// dispatch runs the named tool exactly as a direct call would: the same
// validation, messages and result. It refuses a tool of another class and
// names the dispatcher to use.
func (d dispatcher) dispatch(ctx context.Context, env *Env, byName map[string]*Tool, raw json.RawMessage) *mcp.CallToolResult {
	resolved, err := dispatchResolved()
	if err != nil {
		return env.errorResult(err)
	}
	var args map[string]any
	if len(raw) > 0 && string(raw) != "null" {
		if err := json.Unmarshal(raw, &args); err != nil {
			return env.errorResult(fmt.Errorf("arguments must be a JSON object: %v", err))
		}
	}
	if args == nil {
		args = map[string]any{}
	}
	if args["arguments"] == nil {
		delete(args, "arguments") // null: the tool takes no arguments
	}
	token, hasConfirm := args[confirmArg]
	if hasConfirm && !env.Confirm.Policy.Covers(d.kind) {
		return env.errorResult(fmt.Errorf("validating %s's arguments: unexpected property %q: its tools do not ask for confirmation here", d.name, confirmArg))
	}
	if err := resolved.Validate(args); err != nil {
		return env.errorResult(fmt.Errorf("validating %s's arguments: %v (give {\"tool\": NAME, \"arguments\": {...}})", d.name, err))
	}
	name, inner, _ := DispatchedCall(raw)
	t := byName[name]
	if t == nil {
		return env.errorResult(fmt.Errorf("unknown tool %q: find tools and their arguments with pve_search_tools", name))
	}
	if c := t.Class(); c != d.class {
		right := dispatcherOf(c)
		return env.errorResult(fmt.Errorf("%s is a %s tool: call it through %s, not %s", name, right.word, right.name, d.name))
	}
	if hasConfirm {
		// The tool takes the token as its own argument (takeConfirm).
		var a map[string]any
		if len(inner) > 0 && string(inner) != "null" {
			if err := json.Unmarshal(inner, &a); err != nil {
				return env.errorResult(fmt.Errorf("arguments must be a JSON object: %v", err))
			}
		}
		if a == nil {
			a = map[string]any{}
		}
		a[confirmArg] = token
		b, err := json.Marshal(a)
		if err != nil {
			return env.errorResult(err)
		}
		inner = b
	}
	return t.run(ctx, env, inner)
}

// callable reports whether a tool can do anything on this server: the
// guest-exec tools refuse every call while PVE_GUEST_EXEC is off, so search
// does not offer them.
func (env *Env) callable(t *Tool) bool {
	return !t.GuestExec || env.GuestExec.Enabled
}
