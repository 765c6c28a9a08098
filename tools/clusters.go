package tools

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/jsonschema-go/jsonschema"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/pve-mcp/pve-mcp/pve"
)

// Several clusters (issue 15). A deployment may talk to more than one
// Proxmox cluster. With one, nothing changes: no tool takes a cluster and
// every call goes to it. With several, every tool takes `cluster`, an enum
// of the clusters the caller may use for that tool (its tier within each
// cluster's ceiling); a call without one goes to the default cluster, and
// the tools that find guests and sum up the cluster look at all of them.
// Each call is bound to its cluster before anything else happens, so its
// reads, confirmation, dry run and Proxmox call all reach the same cluster,
// with the caller's own Proxmox token where one is configured.

// clusterArg is the argument that names a call's cluster.
const clusterArg = "cluster"

// NamedCluster is one Proxmox cluster a deployment talks to.
type NamedCluster struct {
	Name string
	// Ceiling is the most any caller may do on it.
	Ceiling Tier
	// PVE is the client with the cluster's own token.
	PVE *pve.Client
	// ActAs, when set, returns the client acting as caller with the
	// caller's own Proxmox token; ok is false when the caller has none here.
	ActAs func(ctx context.Context, caller string) (c *pve.Client, ok bool, err error)
	// Shared lets a caller without a token of its own act with PVE.
	Shared bool
	// Redactors, when set, returns the redactors of the callers' own
	// clients made so far (their secrets are redacted with the cluster's).
	Redactors func() []*pve.Redactor
}

// Fleet is every cluster of a deployment.
type Fleet struct {
	Clusters []*NamedCluster
	// Default receives the calls that name no cluster ("": they must).
	Default string
}

// Multi reports whether there is more than one cluster, so tools take `cluster`.
func (f *Fleet) Multi() bool { return f != nil && len(f.Clusters) > 1 }

// Get returns the named cluster, or nil.
func (f *Fleet) Get(name string) *NamedCluster {
	for _, c := range f.Clusters {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// Names lists the clusters in configuration order (none without a list).
func (f *Fleet) Names() []string {
	if f == nil {
		return nil
	}
	var out []string
	for _, c := range f.Clusters {
		out = append(out, c.Name)
	}
	return out
}

// Redactor holds every cluster's current credentials, for text (an audit
// line) that may come from any of them.
func (f *Fleet) Redactor() *pve.Redactor {
	rs := make([]*pve.Redactor, 0, len(f.Clusters))
	for _, c := range f.Clusters {
		rs = append(rs, c.PVE.Redactor())
		if c.Redactors != nil {
			rs = append(rs, c.Redactors()...)
		}
	}
	return pve.JoinRedactors(rs...)
}

// client returns the client that acts for caller on c.
func (c *NamedCluster) client(ctx context.Context, caller string) (*pve.Client, error) {
	if c.ActAs == nil {
		return c.PVE, nil
	}
	own, ok, err := c.ActAs(ctx, caller)
	switch {
	case err != nil:
		return nil, fmt.Errorf("cluster %s: reading the Proxmox token of caller %s failed: %w", c.Name, caller, err)
	case ok:
		return own, nil
	case c.Shared:
		return c.PVE, nil
	}
	return nil, fmt.Errorf("caller %s has no Proxmox token of its own on cluster %s, and the cluster does not let such callers use its shared token (PVE_CLUSTERS: add the caller under \"callers\", or set \"unmapped_callers\": \"cluster_token\")", caller, c.Name)
}

// reachable lists the clusters t may run on for this server's callers.
func (env *Env) reachable(t *Tool) []string { return env.reachableAt(t.Tier) }

// reachableAt lists the clusters this server's callers may use whose
// ceiling allows tier.
func (env *Env) reachableAt(tier Tier) []string {
	var out []string
	for _, c := range env.Fleet.Clusters {
		if c.Ceiling >= tier && (env.Reach == nil || slices.Contains(env.Reach, c.Name)) {
			out = append(out, c.Name)
		}
	}
	return out
}

// clusterRequired reports whether a call of t, which may run on allowed,
// must name its cluster: the default is not among them (or there is
// none), and t does not look at every cluster when none is named.
func (env *Env) clusterRequired(t *Tool, allowed []string) bool {
	return !t.AcrossClusters && !slices.Contains(allowed, env.Fleet.Default)
}

// multiCluster is the bound cluster when there are several, else "": what
// a result names so the agent follows up on the right cluster.
func (env *Env) multiCluster() string {
	if env.Fleet.Multi() {
		return env.cluster
	}
	return ""
}

// Bound reports the cluster a bound Env talks to ("" : not bound, or the
// deployment has one cluster).
func (env *Env) Bound() string { return env.cluster }

// onCluster binds a call of t to its cluster: it takes `cluster` out of
// raw, checks the caller may use that cluster for t, and returns an Env
// whose PVE is that cluster's client for the caller. A tool that looks at
// every cluster gets the unbound env when the call names none.
func (env *Env) onCluster(ctx context.Context, t *Tool, raw json.RawMessage) (*Env, json.RawMessage, error) {
	f := env.Fleet
	if f == nil || (!f.Multi() && f.Clusters[0].ActAs == nil) || t.ManyClusters {
		return env, raw, nil // a tool about the clusters themselves is bound to none
	}
	name := f.Clusters[0].Name
	if f.Multi() {
		given, rest, err := takeCluster(raw)
		if err != nil {
			return env, raw, err
		}
		raw = rest
		allowed := env.reachable(t)
		switch {
		case given == "" && t.AcrossClusters:
			return env, raw, nil
		case given == "" && env.clusterRequired(t, allowed):
			return env, raw, fmt.Errorf("cluster is required for %s: one of %s", t.Name, strings.Join(allowed, ", "))
		case given == "":
			given = f.Default
		}
		if !slices.Contains(allowed, given) {
			return env, raw, env.clusterRefusal(t, given, allowed)
		}
		name = given
	}
	bound, err := env.bindTo(ctx, f.Get(name), callOf(ctx).caller)
	return bound, raw, err
}

// forRequest binds a read that is not a tool call (a resource, a
// completion) to a cluster: the named one, else the default, else the
// caller's first; as its caller, like a tool call.
func (env *Env) forRequest(ctx context.Context, extra *mcp.RequestExtra, cluster string) (*Env, error) {
	f := env.Fleet
	if f == nil || (!f.Multi() && f.Clusters[0].ActAs == nil) {
		return env, nil
	}
	reach := env.reachableAt(ReadOnly)
	name := cluster
	switch {
	case name != "":
	case slices.Contains(reach, f.Default) || !f.Multi():
		name = cmp.Or(f.Default, f.Clusters[0].Name)
	case len(reach) > 0:
		name = reach[0]
	}
	c := f.Get(name)
	if c == nil || !slices.Contains(reach, name) {
		return env, fmt.Errorf("unknown cluster %q: use one of %s", name, strings.Join(reach, ", "))
	}
	return env.bindTo(ctx, c, callerOf(extra))
}

// clusterRecord notes the clusters a request's calls were bound to.
type clusterRecord struct {
	mu   sync.Mutex
	name string
}

type clusterRecordKey struct{}

// RecordCluster returns a ctx in which binding a call to a cluster is
// noted, and a func that reports it: "" when nothing was bound, the
// cluster's name, or "*" when several were (a call across clusters). The
// audit log names a request's cluster from it.
func RecordCluster(ctx context.Context) (context.Context, func() string) {
	r := &clusterRecord{}
	return context.WithValue(ctx, clusterRecordKey{}, r), func() string {
		r.mu.Lock()
		defer r.mu.Unlock()
		return r.name
	}
}

func recordCluster(ctx context.Context, name string) {
	r, ok := ctx.Value(clusterRecordKey{}).(*clusterRecord)
	if !ok {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	switch r.name {
	case "", name:
		r.name = name
	default:
		r.name = "*"
	}
}

// bindTo returns env talking to c as caller.
func (env *Env) bindTo(ctx context.Context, c *NamedCluster, caller string) (*Env, error) {
	recordCluster(ctx, c.Name)
	client, err := c.client(ctx, caller)
	if err != nil {
		return env, err
	}
	bound := *env
	bound.PVE, bound.cluster = client, c.Name
	return &bound, nil
}

// clusterRefusal says why t may not run on cluster name.
func (env *Env) clusterRefusal(t *Tool, name string, allowed []string) error {
	c := env.Fleet.Get(name)
	if c == nil || (env.Reach != nil && !slices.Contains(env.Reach, name)) {
		return fmt.Errorf("unknown cluster %q: use one of %s (pve_list_clusters lists them)", name, strings.Join(allowed, ", "))
	}
	msg := fmt.Sprintf("cluster %s allows only %s tools and %s is %s", name, c.Ceiling, t.Name, t.Tier)
	if len(allowed) > 0 {
		msg += "; it may run on " + strings.Join(allowed, ", ")
	}
	return errors.New(msg)
}

// takeCluster removes `cluster` from a call's arguments; raw is returned
// as it came when it has none.
func takeCluster(raw json.RawMessage) (string, json.RawMessage, error) {
	if !strings.Contains(string(raw), `"`+clusterArg+`"`) && !strings.Contains(string(raw), `\u`) {
		return "", raw, nil // the usual call: no cluster, nothing escaped
	}
	var args map[string]json.RawMessage
	if err := json.Unmarshal(raw, &args); err != nil {
		return "", raw, nil // not an object: the schema check says so
	}
	v, ok := args[clusterArg]
	if !ok {
		return "", raw, nil
	}
	var name string
	if err := json.Unmarshal(v, &name); err != nil {
		return "", raw, fmt.Errorf("validating \"arguments\": cluster must be a string naming a cluster")
	}
	delete(args, clusterArg)
	rest, err := json.Marshal(args)
	if err != nil {
		return "", raw, err
	}
	return name, rest, nil
}

// acrossAll reports whether a call of a tool marked AcrossClusters looks
// at every cluster: there are several and the call named none.
func (env *Env) acrossAll() bool { return env.Fleet.Multi() && env.cluster == "" }

// eachCluster runs fn on every cluster the call's caller may read, at
// once, and returns each one's outcome in configuration order. A cluster
// that fails (down, refused) never stops the others.
func (env *Env) eachCluster(ctx context.Context, fn func(ctx context.Context, env *Env) (any, error)) []ClusterOutcome {
	names := env.reachableAt(ReadOnly)
	out := make([]ClusterOutcome, len(names))
	var wg sync.WaitGroup
	for i, name := range names {
		out[i].Cluster = name
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				if p := recover(); p != nil {
					out[i].Err = fmt.Errorf("internal error")
				}
			}()
			// One cluster that hangs must not hold the others' answer for
			// the whole PVE_TIMEOUT.
			ctx, cancel := context.WithTimeout(ctx, acrossTimeout)
			defer cancel()
			bound, err := env.bindTo(ctx, env.Fleet.Get(name), callOf(ctx).caller)
			if err != nil {
				out[i].Err = err
				return
			}
			v, err := fn(ctx, bound)
			if err != nil {
				out[i].Err = fmt.Errorf("%s", bound.errText(err))
				return
			}
			out[i].Value = v
		}()
	}
	wg.Wait()
	return out
}

// acrossTimeout bounds each cluster's part of a call across clusters.
const acrossTimeout = 10 * time.Second

// ClusterOutcome is one cluster's part of a call across clusters.
type ClusterOutcome struct {
	Cluster string
	Value   any
	Err     error
}

// clusterProperty is the `cluster` argument of a tool with these clusters
// to choose from; what it means is said once, in the server instructions.
func clusterProperty(names []string) *jsonschema.Schema {
	enum := make([]any, len(names))
	for i, n := range names {
		enum[i] = n
	}
	return &jsonschema.Schema{Type: "string", Enum: enum}
}

// clusterInstructions explain `cluster` once, while tools take it; the
// default is named only to callers who may use it.
func clusterInstructions(env *Env) string {
	f := env.Fleet
	s := " cluster: which Proxmox cluster a tool acts on (pve_list_clusters lists them)"
	if f.Default != "" && (env.Reach == nil || slices.Contains(env.Reach, f.Default)) {
		s += "; without it, " + f.Default + ", except that finding guests and the summary look at every cluster"
	} else {
		s += "; required, except that finding guests and the summary look at every cluster without it"
	}
	return s + "."
}

// withClusterProperty returns a copy of def whose input takes `cluster`.
func withClusterProperty(def *mcp.Tool, names []string, required bool) (*mcp.Tool, error) {
	in, ok := def.InputSchema.(*jsonschema.Schema)
	if !ok {
		return nil, fmt.Errorf("tool %s: input schema is not built", def.Name)
	}
	if _, clash := in.Properties[clusterArg]; clash {
		return nil, fmt.Errorf("tool %s: input already has a %s field", def.Name, clusterArg)
	}
	s := *in
	s.Properties = make(map[string]*jsonschema.Schema, len(in.Properties)+1)
	for k, v := range in.Properties {
		s.Properties[k] = v
	}
	s.Properties[clusterArg] = clusterProperty(names)
	if required {
		s.Required = append(slices.Clone(in.Required), clusterArg)
	}
	w := *def
	w.InputSchema = &s
	return &w, nil
}

// clusterWire is t as listed with several clusters: with `cluster` (the
// clusters t may run on for this server's callers) and, when confirm, the
// confirm property. Servers whose callers share the clusters share it.
func (t *Tool) clusterWire(env *Env, withOutput, confirm bool) (*mcp.Tool, error) {
	names := env.reachable(t)
	required := env.clusterRequired(t, names)
	key := fmt.Sprintf("%t|%t|%t|%s", withOutput, confirm, required, strings.Join(names, ","))
	if w, ok := t.clusterWires.Load(key); ok {
		return w.(*mcp.Tool), nil
	}
	def, err := t.MCP()
	if err == nil && confirm {
		def, err = withConfirmProperty(def)
	}
	if err == nil {
		def, err = withClusterProperty(def, names, required)
	}
	if err == nil {
		def, err = encodedSchema(def, withOutput)
	}
	if err != nil {
		return nil, err
	}
	w, _ := t.clusterWires.LoadOrStore(key, def)
	return w.(*mcp.Tool), nil
}

// searchDef is t as a search answer shows it: the input an agent passes
// through a dispatcher, with `cluster` when tools take it.
func (env *Env) searchDef(t *Tool) (*mcp.Tool, error) {
	if env.Fleet.Multi() && !t.ManyClusters {
		return t.clusterWire(env, false, false)
	}
	return t.wire(false)
}

// tokenScope is what a confirmation token names as its tool: the tool,
// and the cluster when the call is bound to one, so a yes given for VM 100
// on one cluster cannot be spent on VM 100 of another.
func (env *Env) tokenScope(t *Tool) string {
	if env.cluster == "" || !env.Fleet.Multi() {
		return t.Name
	}
	return t.Name + "@" + env.cluster
}

// Usable narrows a selection to what this server's callers can run: a
// tool no reachable cluster's ceiling allows is dropped, and the tools
// that exist only with several clusters are dropped with one.
func (env *Env) Usable(selected []*Tool) []*Tool {
	multi := env.Fleet.Multi()
	var out []*Tool
	for _, t := range selected {
		switch {
		case t.ManyClusters && !multi:
		case env.Fleet != nil && len(env.reachable(t)) == 0: // above every ceiling, even of a single listed cluster
		default:
			out = append(out, t)
		}
	}
	return out
}

// ClusterOfCall names the cluster a call of the named tool with args goes
// to, for the audit log: the one it names, else the default; "*" for a
// tool that then looks at every cluster (or is about all of them), and ""
// without a cluster list.
func (f *Fleet) ClusterOfCall(tool string, args json.RawMessage) string {
	if f == nil {
		return ""
	}
	var t *Tool
	for _, x := range All() {
		if x.Name == tool {
			t = x
			break
		}
	}
	switch {
	case t == nil && tool != "resources/read" && tool != "completion/complete":
		return "" // a meta tool or a prompt: no cluster is reached
	case !f.Multi():
		return f.Clusters[0].Name
	}
	var a struct {
		Cluster string `json:"cluster"`
	}
	switch {
	case json.Unmarshal(args, &a) == nil && a.Cluster != "":
		return a.Cluster
	case t != nil && (t.AcrossClusters || t.ManyClusters):
		return "*"
	}
	return f.Default
}
