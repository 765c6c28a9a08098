package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"sync"

	"github.com/google/jsonschema-go/jsonschema"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/pve-mcp/pve-mcp/pve"
)

// Kind says what a tool does to the cluster. It decides the MCP annotations,
// so they cannot drift from what the tool is declared to be.
type Kind int

const (
	// Read only reads: readOnlyHint, idempotent.
	Read Kind = iota
	// Act changes state and repeating it is not harmless (start, clone, create).
	Act
	// Set changes state to a given value; repeating it changes nothing more.
	Set
	// Destroy may lose data or interrupt a service (delete, stop, reset, rollback).
	Destroy
)

// Call is one Proxmox endpoint a tool may call: the method and the path
// template as the API schema writes it. The schema test checks every one.
type Call struct {
	Method string
	Path   string
}

// Spec is what every tool declaration states.
type Spec struct {
	Name string
	// Title is what clients show people: a few words, no final period.
	Title string
	Tier  Tier
	Kind  Kind
	// OpenWorld is set for tools that make Proxmox reach outside the cluster
	// (downloads from a URL, registry pulls).
	OpenWorld bool
	// Task marks tools that start a Proxmox task: they accept "wait" and
	// can return the task's outcome instead of its UPID.
	Task bool
	// GuestExec marks the tools that run only where PVE_GUEST_EXEC allows
	// it; compact mode's search does not offer them while it is off.
	GuestExec bool
	// Fields, on a tool that lists, are the item fields it answers with
	// unless the agent passes verbose: what it needs to pick an item and act
	// on it. The rest (I/O counters, fingerprints, pids) costs context on
	// every call for little use.
	Fields []string
	// Keywords are words operators use for the tool that its name and
	// description lack ("boot", "free space"). Only compact mode's search
	// reads them, so they cost nothing in tools/list.
	Keywords []string
	// AcrossClusters marks the tools that, with several clusters and no
	// `cluster` given, look at every cluster the caller may use (finding
	// guests, the summary) instead of the default one.
	AcrossClusters bool
	// ManyClusters marks a tool that exists only while the deployment has
	// several clusters (pve_list_clusters).
	ManyClusters bool
	// Desc is the description clients show the model: what it does, what it
	// returns, when to use it. Every word is paid for in every conversation.
	Desc string
}

// Handler runs a tool with decoded, schema-validated input.
type Handler[In any] func(ctx context.Context, env *Env, in In) (Output, error)

// Tool is one declared tool. Build it with Endpoint or Custom.
type Tool struct {
	Spec
	Category Category
	// Calls lists every Proxmox endpoint the tool may call.
	Calls []Call
	Input reflect.Type

	// run validates raw arguments, calls the handler and builds the result.
	// A direct call and a dispatcher (compact mode) both go through it, so
	// both apply the same checks and answer the same result.
	run    func(ctx context.Context, env *Env, raw json.RawMessage) *mcp.CallToolResult
	once   sync.Once
	mcpDef *mcp.Tool
	err    error

	// wires[0] lacks the output schema (compact mode's list, search
	// answers); wires[1] has it (mode all).
	wires [2]struct {
		once sync.Once
		def  *mcp.Tool
		err  error
	}

	resolveOnce sync.Once
	resolved    *jsonschema.Resolved
	resolveErr  error

	// The listings with the confirm property (see confirm.go), without and
	// with the output schema as in wires, and the reads the confirmation
	// adds to Calls.
	confirmWires [2]struct {
		once sync.Once
		def  *mcp.Tool
		err  error
	}
	confirmReads []Call

	// clusterWires are the listings with `cluster` (clusters.go), by the
	// clusters and options they were built for.
	clusterWires sync.Map

	// planner, when set (planned, dryrun.go), is the tool's Planner[In]:
	// the tool then takes dry_run. planReads are the GETs it adds to Calls:
	// they send the planner's own parameters, not the tool's fields.
	planner   any
	planReads []Call
}

// decode validates a call's arguments against the tool's input schema and
// decodes them. The schema is resolved on the tool's first call, not when
// servers are built: most tools of a process are never called, and
// resolving all of them up front was a third of cold start (see bench/).
func (t *Tool) decode(raw json.RawMessage, in any) error {
	t.resolveOnce.Do(func() {
		def, err := t.MCP()
		if err != nil {
			t.resolveErr = err
			return
		}
		t.resolved, t.resolveErr = def.InputSchema.(*jsonschema.Schema).Resolve(&jsonschema.ResolveOptions{ValidateDefaults: true})
	})
	if t.resolveErr != nil {
		return t.resolveErr
	}
	args := map[string]any{}
	if len(raw) > 0 && string(raw) != "null" {
		if err := json.Unmarshal(raw, &args); err != nil {
			return fmt.Errorf("arguments must be a JSON object: %v", err)
		}
	}
	if err := t.resolved.Validate(args); err != nil {
		return fmt.Errorf("validating \"arguments\": %v", err)
	}
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	if err := json.Unmarshal(raw, in); err != nil {
		return fmt.Errorf("decoding \"arguments\": %v", err)
	}
	return nil
}

// Endpoint declares a tool that is exactly one Proxmox call: input fields
// named like the path's placeholders fill the path, the others are sent as
// parameters. When the path has {node} and {vmid} and the agent leaves node
// out, the node is looked up from /cluster/resources.
func Endpoint[In any](spec Spec, method, path string) *Tool {
	call := Call{Method: method, Path: path}
	return Custom[In](spec, []Call{call}, func(ctx context.Context, env *Env, in In) (Output, error) {
		return env.Call(ctx, call, &in)
	})
}

// Custom declares a tool with its own handler. calls must list every Proxmox
// endpoint the handler may reach, so the schema test can check them.
func Custom[In any](spec Spec, calls []Call, h Handler[In]) *Tool {
	t := &Tool{Spec: spec, Calls: calls, Input: reflect.TypeFor[In]()}
	if needsNodeLookup(t.Input, calls) {
		t.Calls = append(t.Calls, resourcesCall)
	}
	t.confirmReads = confirmCallsOf(spec.Kind, t.Input, t.Calls)
	t.Calls = append(t.Calls, t.confirmReads...)
	t.run = func(ctx context.Context, env *Env, raw json.RawMessage) *mcp.CallToolResult {
		env, raw, err := env.onCluster(ctx, t, raw) // clusters.go
		if err != nil {
			return env.errorResult(err)
		}
		raw, token, err := env.takeConfirm(t, raw)
		if err != nil {
			return env.errorResult(err)
		}
		var in In
		if err := t.decode(raw, &in); err != nil {
			return env.errorResult(err)
		}
		if t.DryRun() && isDryRun(raw) {
			// Only reads: nothing to confirm.
			plan, err := t.planner.(Planner[In])(ctx, env, in)
			if err != nil {
				return env.errorResult(fmt.Errorf("dry run of %s: %w", t.Name, err))
			}
			out, err := planOutput(plan)
			if err != nil {
				return env.errorResult(err)
			}
			return env.result(out)
		}
		if env.needsConfirm(t) {
			if res := env.confirmGate(ctx, t, raw, token); res != nil {
				return res
			}
		}
		var common commonArgs
		if spec.Task || len(spec.Fields) > 0 {
			common = commonArgsOf(raw)
		}
		if spec.Task {
			ctx = withWait(ctx, common.waitTime())
		}
		out, err := h(ctx, env, in)
		if err != nil {
			return env.errorResult(err)
		}
		if len(spec.Fields) > 0 && !common.Verbose {
			out = brief(out, spec.Fields)
		}
		return env.result(out)
	}
	return t
}

// register adds the tool to s under its own name.
func (t *Tool) register(s *mcp.Server, env *Env, def *mcp.Tool) {
	s.AddTool(def, func(ctx context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		ctx = withCall(ctx, req, "", def.OutputSchema != nil)
		return t.run(withProgress(ctx, req), env, req.Params.Arguments), nil
	})
}

// MCP returns the tool as clients see it in tools/list. It is built once per
// process and shared by every server, so per-request servers stay cheap.
func (t *Tool) MCP() (*mcp.Tool, error) {
	t.once.Do(func() {
		var schema *jsonschema.Schema
		schema, t.err = inputSchema(t.Input)
		if t.err != nil {
			t.err = fmt.Errorf("tool %s: %w", t.Name, t.err)
			return
		}
		if t.Task {
			if _, clash := schema.Properties["wait"]; clash {
				t.err = fmt.Errorf("tool %s: input already has a wait field", t.Name)
				return
			}
			schema.Properties["wait"] = waitProperty()
		}
		if len(t.Fields) > 0 {
			if _, clash := schema.Properties["verbose"]; clash {
				t.err = fmt.Errorf("tool %s: input already has a verbose field", t.Name)
				return
			}
			if schema.Properties == nil {
				schema.Properties = map[string]*jsonschema.Schema{}
			}
			schema.Properties["verbose"] = verboseProperty()
		}
		if t.DryRun() {
			if _, clash := schema.Properties[dryRunArg]; clash {
				t.err = fmt.Errorf("tool %s: input already has a %s field", t.Name, dryRunArg)
				return
			}
			if schema.Properties == nil {
				schema.Properties = map[string]*jsonschema.Schema{}
			}
			schema.Properties[dryRunArg] = dryRunProperty()
		}
		t.mcpDef = &mcp.Tool{
			Name:        t.Name,
			Title:       t.Title,
			Description: t.Desc,
			InputSchema: schema,
			Annotations: annotations(t.Kind, t.OpenWorld),
		}
		t.mcpDef.OutputSchema = t.outputSchema() // see output.go
	})
	return t.mcpDef, t.err
}

// wire is the tool as servers register it: MCP's definition with its
// schemas already encoded, with or without the output schema. Every server
// of the process shares it, so a schema is encoded once, not by each
// server's AddTool and again by each tools/list (encoding the schemas was
// most of a listing's cost, and of start-up).
func (t *Tool) wire(withOutput bool) (*mcp.Tool, error) {
	w := &t.wires[0]
	if withOutput {
		w = &t.wires[1]
	}
	w.once.Do(func() {
		def, err := t.MCP()
		if err != nil {
			w.err = err
			return
		}
		w.def, w.err = encodedSchema(def, withOutput)
	})
	return w.def, w.err
}

// encodedSchema returns a copy of def whose schemas are their JSON; the
// output schema is dropped unless withOutput.
func encodedSchema(def *mcp.Tool, withOutput bool) (*mcp.Tool, error) {
	raw, err := json.Marshal(def.InputSchema)
	if err != nil {
		return nil, fmt.Errorf("tool %s: encoding its input schema: %w", def.Name, err)
	}
	w := *def
	w.InputSchema = json.RawMessage(raw)
	w.OutputSchema = nil
	if withOutput && def.OutputSchema != nil {
		out, err := json.Marshal(def.OutputSchema)
		if err != nil {
			return nil, fmt.Errorf("tool %s: encoding its output schema: %w", def.Name, err)
		}
		w.OutputSchema = json.RawMessage(out)
	}
	return &w, nil
}

func annotations(k Kind, openWorld bool) *mcp.ToolAnnotations {
	f, tr := false, true
	a := &mcp.ToolAnnotations{OpenWorldHint: &f}
	if openWorld {
		a.OpenWorldHint = &tr
	}
	switch k {
	case Read:
		a.ReadOnlyHint, a.IdempotentHint = true, true
	case Act:
		a.DestructiveHint = &f
	case Set:
		a.DestructiveHint, a.IdempotentHint = &f, true
	case Destroy:
		a.DestructiveHint = &tr
	}
	return a
}

// placeholdersOf collects the placeholders of every call, in order, once each.
func placeholdersOf(calls []Call) []string {
	var out []string
	seen := map[string]bool{}
	for _, c := range calls {
		for _, p := range pve.Placeholders(c.Path) {
			if !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
		}
	}
	return out
}

// needsNodeLookup reports whether the tool lets the agent omit node for a guest.
func needsNodeLookup(in reflect.Type, calls []Call) bool {
	ph := strings.Join(placeholdersOf(calls), ",")
	if !strings.Contains(ph, "node") || !strings.Contains(ph, "vmid") {
		return false
	}
	for _, f := range pve.Fields(in) {
		if f.JSON == "node" {
			return f.Optional
		}
	}
	return false
}
