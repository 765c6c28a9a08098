package tools

import (
	"context"
	"fmt"
	"math"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

const searchToolName = "pve_search_tools"

// Search limits: the answer carries full input schemas, so a few is the
// useful default and 20 the most one answer should cost.
const (
	searchDefault  = 5
	searchMax      = 20
	searchQueryMax = 300
	browseMax      = 60
)

type searchIn struct {
	Query    string `json:"query,omitempty" jsonschema:"A few words; empty lists categories"`
	Category string `json:"category,omitempty" jsonschema:"Only this category" enum:"nodes|qemu|lxc|storage|cluster|access|pools|network|firewall|backup|tasks|ha"`
	Kind     string `json:"kind,omitempty" jsonschema:"Safety class" enum:"read|change|destroy"`
	Limit    int    `json:"limit,omitempty" jsonschema:"Results (default 5)" min:"1" max:"20"`
}

// searchTool declares pve_search_tools. It is registered per server with
// that server's selection (see addSearch), so it is built here, not in a
// category's list.
var searchTool = sync.OnceValue(func() *Tool {
	return &Tool{
		Spec: Spec{
			Name:  searchToolName,
			Title: "Search tools",
			Kind:  Read,
			Desc:  "Find tools for a task: the best matches with input schemas. Call one through the dispatcher in via.",
		},
		Input: reflect.TypeFor[searchIn](),
	}
})

// searchHit is one tool as a search answers it: enough to call it.
type searchHit struct {
	Name        string               `json:"name"`
	Title       string               `json:"title,omitempty"`
	Description string               `json:"description"`
	Via         string               `json:"via"`
	Annotations *mcp.ToolAnnotations `json:"annotations,omitempty"`
	InputSchema any                  `json:"inputSchema,omitempty"`
}

// categoryCount is one line of the answer to an empty query.
type categoryCount struct {
	Category Category `json:"category"`
	Tools    int      `json:"tools"`
	About    string   `json:"about"`
}

// addSearch registers pve_search_tools over the tools of one selection.
func addSearch(s *mcp.Server, env *Env, selected []*Tool) error {
	st := searchTool()
	def, err := st.wire(false)
	if err != nil {
		return err
	}
	var visible []*Tool
	for _, t := range selected {
		if env.callable(t) {
			visible = append(visible, t)
		}
	}
	s.AddTool(def, func(ctx context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		var in searchIn
		if err := st.decode(req.Params.Arguments, &in); err != nil {
			return env.errorResult(err), nil
		}
		out, err := searchAnswer(env, visible, in)
		if err != nil {
			return env.errorResult(err), nil
		}
		return env.result(out), nil
	})
	return nil
}

// searchAnswer answers one search over the caller's tools.
func searchAnswer(env *Env, visible []*Tool, in searchIn) (Output, error) {
	if len(in.Query) > searchQueryMax {
		return Output{}, fmt.Errorf("query is %d characters; say it in at most %d", len(in.Query), searchQueryMax)
	}
	pool := make([]*Tool, 0, len(visible))
	for _, t := range visible {
		if (in.Category == "" || string(t.Category) == in.Category) && (in.Kind == "" || dispatcherOf(t.Class()).word == in.Kind) {
			pool = append(pool, t)
		}
	}
	if strings.TrimSpace(in.Query) == "" {
		if in.Category == "" && in.Kind == "" {
			return JSON(categoryCounts(visible))
		}
		return browse(pool)
	}
	limit := in.Limit
	if limit <= 0 {
		limit = searchDefault
	}
	ranked := toolIndex().rank(in.Query, pool)
	if len(ranked) == 0 {
		out, err := JSON([]searchHit{})
		out.Note = "No tool matches; try other words, or an empty query for the categories."
		return out, err
	}
	hits := make([]searchHit, 0, min(limit, len(ranked)))
	for _, t := range ranked[:min(limit, len(ranked))] {
		def, err := env.searchDef(t)
		if err != nil {
			return Output{}, err
		}
		hits = append(hits, searchHit{
			Name: t.Name, Title: t.Title, Description: t.Desc, Via: dispatcherOf(t.Class()).name,
			Annotations: def.Annotations, InputSchema: def.InputSchema,
		})
	}
	return JSON(hits)
}

// categoryCounts lists the categories the caller has tools in.
func categoryCounts(visible []*Tool) []categoryCount {
	var out []categoryCount
	for _, c := range Categories {
		n := 0
		for _, t := range visible {
			if t.Category == c {
				n++
			}
		}
		if n > 0 {
			out = append(out, categoryCount{Category: c, Tools: n, About: CategoryDocs[c]})
		}
	}
	return out
}

// browse lists a category's (or class's) tools without schemas: a map of
// what exists; a search by name then gives the schema.
func browse(pool []*Tool) (Output, error) {
	hits := make([]searchHit, 0, min(len(pool), browseMax))
	for _, t := range pool[:min(len(pool), browseMax)] {
		hits = append(hits, searchHit{Name: t.Name, Title: t.Title, Description: t.Desc, Via: dispatcherOf(t.Class()).name})
	}
	out, err := JSON(hits)
	out.Note = "Search with a tool's name to get its input schema."
	if len(pool) > browseMax {
		out.Note = fmt.Sprintf("%d more; narrow with words or kind. ", len(pool)-browseMax) + out.Note
	}
	return out, err
}

// index is a BM25 index over every declared tool. Term statistics come from
// the whole registry, so a caller's ranking does not depend on which other
// tools the deployment hides.
type index struct {
	docs   map[*Tool]map[string]float64 // weighted term frequencies
	action map[*Tool]string             // the first term of the title: what it does
	length map[*Tool]float64
	avgLen float64
	df     map[string]int
	n      int
}

// BM25 parameters (the usual ones) and the weight of each part of a tool.
const (
	bm25K1       = 1.2
	bm25B        = 0.75
	weightName   = 3
	weightTitle  = 2
	weightDesc   = 1
	weightParams = 0.5
	// exactName puts a tool whose name is the query first.
	exactName = 1000
	// actionBonus rewards a tool whose title starts with the query's first word.
	actionBonus = 1.0
	// pluralList is the weight of "list" that a plural in the query adds.
	pluralList = 0.5
)

// phrases are word pairs that mean one thing, joined before splitting.
var phrases = strings.NewReplacer("log in", "login", "log on", "login", "sign in", "login",
	"shut down", "shutdown", "power off", "poweroff", "power on", "poweron", "turn off", "poweroff", "turn on", "poweron",
	"high availability", "ha", "cloud init", "cloudinit", "cloud-init", "cloudinit", "roll back", "rollback")

var toolIndex = sync.OnceValue(func() *index { return newIndex(All()) })

func newIndex(tools []*Tool) *index {
	ix := &index{docs: map[*Tool]map[string]float64{}, action: map[*Tool]string{}, length: map[*Tool]float64{}, df: map[string]int{}, n: len(tools)}
	total := 0.0
	for _, t := range tools {
		tf := map[string]float64{}
		add := func(text string, w float64) {
			for _, term := range terms(phrases.Replace(strings.ToLower(text))) {
				tf[term] += w
			}
		}
		add(strings.ReplaceAll(strings.TrimPrefix(t.Name, "pve_"), "_", " "), weightName)
		add(t.Title, weightTitle)
		add(t.Desc, weightDesc)
		add(strings.Join(t.Keywords, " "), weightDesc)
		add(string(t.Category), weightDesc)
		for _, p := range paramNames(t) {
			add(strings.NewReplacer("_", " ", "-", " ").Replace(p), weightParams)
		}
		l := 0.0
		for term, f := range tf {
			ix.df[term]++
			l += f
		}
		ix.docs[t], ix.length[t] = tf, l
		if ts := terms(phrases.Replace(strings.ToLower(t.Title))); len(ts) > 0 {
			ix.action[t] = ts[0]
		}
		total += l
	}
	if len(tools) > 0 {
		ix.avgLen = total / float64(len(tools))
	}
	return ix
}

// paramNames are the JSON names of a tool's inputs.
func paramNames(t *Tool) []string {
	in := t.Input
	for in != nil && in.Kind() == reflect.Pointer {
		in = in.Elem()
	}
	if in == nil || in.Kind() != reflect.Struct {
		return nil
	}
	var out []string
	for _, f := range reflect.VisibleFields(in) {
		if f.Anonymous {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name != "" && name != "-" {
			out = append(out, name)
		}
	}
	return out
}

// rank returns the tools of pool that share a term with the query, best first.
func (ix *index) rank(query string, pool []*Tool) []*Tool {
	q := strings.ToLower(strings.TrimSpace(query))
	weights := map[string]float64{}
	qterms := terms(phrases.Replace(q))
	for _, term := range qterms {
		for syn, w := range expand(term) {
			weights[syn] = max(weights[syn], w)
		}
	}
	// A plural noun ("containers", "recent tasks") asks for a list.
	for _, w := range strings.Fields(q) {
		if len(w) > 3 && strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") && !stopWords[w] {
			weights["list"] = max(weights["list"], pluralList)
		}
	}
	type scored struct {
		t     *Tool
		score float64
	}
	var out []scored
	for _, t := range pool {
		tf := ix.docs[t]
		score := 0.0
		for term, w := range weights {
			f := tf[term]
			if f == 0 {
				continue
			}
			idf := math.Log(1 + (float64(ix.n)-float64(ix.df[term])+0.5)/(float64(ix.df[term])+0.5))
			norm := f * (bm25K1 + 1) / (f + bm25K1*(1-bm25B+bm25B*ix.length[t]/ix.avgLen))
			score += w * idf * norm
		}
		// A request that starts with a verb ("snapshot a VM") wants the
		// tool that does that, not one that merely mentions it.
		if score > 0 && len(qterms) > 0 && ix.action[t] == qterms[0] {
			score += actionBonus
		}
		if q == t.Name || "pve_"+q == t.Name {
			score += exactName
		}
		if score > 0 {
			out = append(out, scored{t, score})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].score > out[j].score })
	ranked := make([]*Tool, len(out))
	for i, s := range out {
		ranked[i] = s.t
	}
	return ranked
}

// terms splits text into normalized search terms: lower case, stop words
// dropped, plurals and verb endings cut, synonyms folded into one term.
func terms(text string) []string {
	words := strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9')
	})
	out := make([]string, 0, len(words))
	for _, w := range words {
		if stopWords[w] || strings.Trim(w, "0123456789") == "" {
			continue
		}
		if c, ok := synonyms[w]; ok {
			out = append(out, c)
			continue
		}
		w = stem(w)
		if c, ok := synonyms[w]; ok {
			w = c
		}
		out = append(out, w)
	}
	return out
}

// stem cuts common English endings so "snapshots", "snapshotting" and
// "snapshot" meet. It is deliberately crude: both sides of a match go
// through it, so it needs to be consistent, not correct.
func stem(w string) string {
	switch {
	case len(w) > 4 && strings.HasSuffix(w, "ies"):
		return w[:len(w)-3] + "y"
	case len(w) > 3 && strings.HasSuffix(w, "sses"):
		return w[:len(w)-2]
	case len(w) > 5 && strings.HasSuffix(w, "ing"):
		return undouble(w[:len(w)-3])
	case len(w) > 4 && strings.HasSuffix(w, "ed"):
		return undouble(w[:len(w)-2])
	case len(w) > 3 && strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") && !strings.HasSuffix(w, "us"):
		return w[:len(w)-1]
	}
	return w
}

func undouble(w string) string {
	if n := len(w); n > 2 && w[n-1] == w[n-2] && !strings.ContainsRune("lsz", rune(w[n-1])) {
		return w[:n-1]
	}
	return w
}

// expand gives the terms a query term should match, with weights: a
// guest is a VM or a container, so "guest" finds both.
func expand(term string) map[string]float64 {
	out := map[string]float64{term: 1}
	for _, r := range related[term] {
		out[r] = max(out[r], 0.6)
	}
	return out
}

// synonyms fold the words operators use into the term the tools use.
var synonyms = func() map[string]string {
	groups := map[string][]string{
		"qemu":       {"vm", "vms", "kvm", "virtual", "machine", "machines"},
		"lxc":        {"container", "containers", "ct", "cts"},
		"guest":      {"guests"},
		"backup":     {"backups", "vzdump", "dump", "dumps", "archive", "archives"},
		"delete":     {"remove", "destroy", "drop", "erase", "rm", "wipe", "purge"},
		"start":      {"boot", "launch", "poweron"},
		"shutdown":   {"poweroff", "halt"},
		"stop":       {"kill"},
		"reboot":     {"restart", "reboots"},
		"snapshot":   {"snapshots", "snap", "snaps", "checkpoint", "checkpoints"},
		"user":       {"users", "account", "accounts", "login", "logins"},
		"permission": {"permissions", "privilege", "privileges", "rights", "allowed", "authorized", "access"},
		"node":       {"nodes", "host", "hosts", "hypervisor", "hypervisors", "server", "servers"},
		"task":       {"tasks", "upid", "operation", "operations", "progress"},
		"log":        {"logs", "journal", "syslog"},
		"ip":         {"ips", "address", "addresses", "ipv4", "ipv6"},
		"interface":  {"interfaces", "nic", "nics", "iface", "ifaces"},
		"config":     {"configuration", "settings", "setting", "configured"},
		"create":     {"new", "add", "make", "provision", "deploy"},
		"update":     {"change", "modify", "edit", "set", "alter", "adjust", "tweak"},
		"apt":        {"updates", "upgrade", "upgrades", "package", "packages", "patch", "patches"},
		"memory":     {"ram", "mem"},
		"disk":       {"disks", "drive", "drives", "hdd", "ssd", "nvme"},
		"storage":    {"storages", "datastore", "datastores"},
		"ha":         {"availability", "failover"},
		"firewall":   {"fw", "iptables"},
		"migrate":    {"migration", "relocate"},
		"template":   {"templates", "image", "images", "appliance", "appliances"},
		"resize":     {"grow", "enlarge", "extend", "expand", "bigger"},
		"rollback":   {"revert"},
		"clone":      {"copy", "duplicate"},
		"group":      {"groups", "team", "teams"},
		"role":       {"roles"},
		"rule":       {"rules"},
		"pool":       {"pools"},
		"usage":      {"utilization", "utilisation", "use", "uses", "using", "used", "free", "space", "capacity", "full"},
		"health":     {"healthy", "overview", "problems", "issues", "wrong"},
		"status":     {"state", "running", "up", "down", "alive"},
	}
	m := map[string]string{}
	for canon, words := range groups {
		for _, w := range words {
			m[w] = canon
		}
	}
	return m
}()

// related are terms a query term also matches, at a lower weight.
var related = map[string][]string{
	"guest": {"qemu", "lxc"},
	"qemu":  {"guest"},
	"lxc":   {"guest"},
	"stop":  {"shutdown"},
}

var stopWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields("a an the of on in at to for from by with is are was be been my me i we our you your it its this that these those what which who whom how why when where do does did can could should would will please show tell give get see view display there their them any some all each one every here just now currently current") {
		m[w] = true
	}
	return m
}()

// SearchNames returns the names of the best limit tools of visible for a
// query, as pve_search_tools ranks them (for tests and the bench).
func SearchNames(visible []*Tool, query string, limit int) []string {
	ranked := toolIndex().rank(query, visible)
	names := make([]string, 0, limit)
	for _, t := range ranked[:min(limit, len(ranked))] {
		names = append(names, t.Name)
	}
	return slices.Clip(names)
}
