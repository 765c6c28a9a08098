package tools

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/pve-mcp/pve-mcp/internal/apischema"
	"github.com/pve-mcp/pve-mcp/internal/mcptest"
	"github.com/pve-mcp/pve-mcp/pve"
	"github.com/pve-mcp/pve-mcp/pve/pvesim"
)

// fleetFixture is two simulated clusters, lab (the default, tier full) and
// office (ceiling read-execute), with a server over both.
type fleetFixture struct {
	*testEnv
	lab, office       *pvesim.Sim
	labURL, officeURL *httptest.Server
	fleet             *Fleet
}

func newFleetFixture(t *testing.T) *fleetFixture {
	return newFleetFixtureWith(t, nil, nil)
}

// newFleetFixtureWith builds the fixture; tune may change the fleet and the
// env (reach, confirmation, identities) before the server is built.
func newFleetFixtureWith(t *testing.T, tune func(*fleetFixture), opts *pvesim.Options) *fleetFixture {
	t.Helper()
	f := &fleetFixture{}
	mk := func(site string) (*pvesim.Sim, *httptest.Server, *pve.Client) {
		o := pvesim.Options{}
		if opts != nil {
			o = *opts
		}
		o.TokenID, o.TokenSecret, o.Site = testTokenID, testTokenSecret, site
		o.Answered = apischema.AnswerChecker(t)
		sim := pvesim.New(o)
		ts := httptest.NewServer(sim)
		t.Cleanup(ts.Close)
		c, err := pve.New(pve.Config{BaseURL: ts.URL, TokenID: testTokenID, TokenSecret: testTokenSecret})
		if err != nil {
			t.Fatal(err)
		}
		return sim, ts, c
	}
	var labC, officeC *pve.Client
	f.lab, f.labURL, labC = mk("")
	f.office, f.officeURL, officeC = mk("office")
	f.fleet = &Fleet{Default: "lab", Clusters: []*NamedCluster{
		{Name: "lab", Ceiling: Full, PVE: labC},
		{Name: "office", Ceiling: ReadExecute, PVE: officeC},
	}}
	env := &Env{PVE: labC, Fleet: f.fleet, Confirm: Confirmation{Policy: ConfirmOff}}
	f.testEnv = &testEnv{t: t, sim: f.lab, env: env}
	if tune != nil {
		tune(f)
	}
	sel, err := Select(Selection{Tier: Full, ManyClusters: true})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := NewServer(f.env, sel)
	if err != nil {
		t.Fatal(err)
	}
	f.session = mcptest.Connect(t, srv, nil, nil)
	return f
}

// listed returns the tools/list entry of name, or nil.
func (f *fleetFixture) listed(name string) *mcp.Tool {
	f.t.Helper()
	res, err := f.session.ListTools(context.Background(), nil)
	if err != nil {
		f.t.Fatal(err)
	}
	for _, t := range res.Tools {
		if t.Name == name {
			return t
		}
	}
	return nil
}

// clusterEnum is the cluster property of a listed tool: its choices and
// whether it is required.
func clusterEnum(t *testing.T, tool *mcp.Tool) (names []string, required bool) {
	t.Helper()
	b, _ := json.Marshal(tool.InputSchema)
	var s struct {
		Properties map[string]struct {
			Enum []string `json:"enum"`
		} `json:"properties"`
		Required []string `json:"required"`
	}
	json.Unmarshal(b, &s)
	p, ok := s.Properties["cluster"]
	if !ok {
		return nil, false
	}
	return p.Enum, slices.Contains(s.Required, "cluster")
}

func TestClusterArgument(t *testing.T) {
	f := newFleetFixture(t)
	cases := []struct {
		name, tool string
		args       map[string]any
		want       string // in the text; "" with wantErr
		wantErr    string
		reaches    string // the cluster whose simulator must see the call
	}{
		{"no cluster goes to the default", "pve_get_qemu_status", map[string]any{"vmid": 100}, `"name":"web01"`, "", "lab"},
		{"the named cluster", "pve_get_qemu_status", map[string]any{"vmid": 100, "cluster": "office"}, `"name":"erp01"`, "", "office"},
		{"an unknown cluster", "pve_get_qemu_status", map[string]any{"vmid": 100, "cluster": "mars"}, "", `unknown cluster "mars": use one of lab, office`, ""},
		{"a cluster not a string", "pve_get_qemu_status", map[string]any{"vmid": 100, "cluster": 7}, "", "cluster must be a string", ""},
		{"above the cluster's ceiling", "pve_delete_qemu_vm", map[string]any{"vmid": 111, "cluster": "office"}, "", "cluster office allows only read-execute tools and pve_delete_qemu_vm is full; it may run on lab", ""},
		{"a guest only the other cluster has", "pve_get_lxc_status", map[string]any{"vmid": 300}, "", "no VM or container with vmid 300", ""},
		{"the same guest on its cluster", "pve_get_lxc_status", map[string]any{"vmid": 300, "cluster": "office"}, `"name":"dns-office"`, "", "office"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f.lab.ResetRequests()
			f.office.ResetRequests()
			res := f.call(c.tool, c.args)
			txt := resultText(res)
			if c.wantErr != "" {
				if !res.IsError || !strings.Contains(txt, c.wantErr) {
					t.Fatalf("%s(%v) = %q, want an error with %q", c.tool, c.args, txt, c.wantErr)
				}
				if c.wantErr != "" && !strings.Contains(c.wantErr, "no VM") && len(f.lab.Requests())+len(f.office.Requests()) > 0 {
					t.Errorf("a refused call reached Proxmox: lab %v office %v", f.lab.Requests(), f.office.Requests())
				}
				return
			}
			if res.IsError || !strings.Contains(txt, c.want) {
				t.Fatalf("%s(%v) = %q, want %q", c.tool, c.args, txt, c.want)
			}
			other := map[string]*pvesim.Sim{"lab": f.office, "office": f.lab}[c.reaches]
			if n := len(other.Requests()); n > 0 {
				t.Errorf("the call reached the other cluster too: %v", other.Requests())
			}
		})
	}
}

func TestClusterSchemas(t *testing.T) {
	cases := []struct {
		name     string
		reach    []string
		tool     string
		want     []string
		required bool
		absent   bool
	}{
		{"a read reaches both", nil, "pve_get_qemu_status", []string{"lab", "office"}, false, false},
		{"a full-tier tool only the lab", nil, "pve_delete_qemu_vm", []string{"lab"}, false, false},
		{"a caller limited to office must name it", []string{"office"}, "pve_get_qemu_status", []string{"office"}, true, false},
		{"the tools across clusters never require it", []string{"office"}, "pve_find_guests", []string{"office"}, false, false},
		{"a tool above every reachable ceiling is gone", []string{"office"}, "pve_delete_qemu_vm", nil, false, true},
		{"pve_list_clusters takes none", nil, "pve_list_clusters", nil, false, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFleetFixtureWith(t, func(f *fleetFixture) { f.env.Reach = c.reach }, nil)
			tool := f.listed(c.tool)
			if c.absent {
				if tool != nil {
					t.Fatalf("%s is listed", c.tool)
				}
				return
			}
			if tool == nil {
				t.Fatalf("%s is not listed", c.tool)
			}
			got, required := clusterEnum(t, tool)
			if !slices.Equal(got, c.want) || required != c.required {
				t.Errorf("cluster = %v (required %v), want %v (required %v)", got, required, c.want, c.required)
			}
		})
	}
}

// With one cluster nothing changes: no tool takes cluster, and
// pve_list_clusters does not exist.
func TestOneClusterAddsNothing(t *testing.T) {
	e := fullEnv(t)
	res, err := e.session.ListTools(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tool := range res.Tools {
		if names, _ := clusterEnum(t, tool); names != nil || tool.Name == "pve_list_clusters" {
			t.Fatalf("%s takes cluster with one cluster configured", tool.Name)
		}
	}
}

func TestAcrossClusters(t *testing.T) {
	f := newFleetFixture(t)
	var hits []guestHit
	f.okJSON("pve_find_guests", map[string]any{"status": "running", "type": "qemu"}, &hits)
	byCluster := map[string][]int{}
	for _, h := range hits {
		byCluster[h.Cluster] = append(byCluster[h.Cluster], h.VMID)
	}
	if !slices.Contains(byCluster["lab"], 100) || !slices.Contains(byCluster["office"], 100) || !slices.Contains(byCluster["office"], 110) {
		t.Fatalf("find across clusters = %v, want VM 100 on both and 110 on office", byCluster)
	}
	// Naming a cluster searches it alone, without the cluster field.
	txt := f.ok("pve_find_guests", map[string]any{"cluster": "office", "name": "erp"})
	if !strings.Contains(txt, "erp01") || strings.Contains(txt, `"cluster"`) || strings.Contains(txt, "web01") {
		t.Fatalf("find on office = %s", txt)
	}

	var all clustersSummary
	f.okJSON("pve_get_cluster_summary", nil, &all)
	if len(all.Clusters) != 2 || all.Clusters[0].Name != "lab" || all.Clusters[1].Name != "office" || len(all.Clusters[1].NodesOnline) != 2 {
		t.Fatalf("summary across clusters = %+v", all)
	}

	// A cluster that does not answer never stops the others.
	f.officeURL.Close()
	txt = f.ok("pve_find_guests", map[string]any{"name": "web01"})
	if !strings.Contains(txt, `"cluster":"lab"`) || !strings.Contains(txt, "Not searched, the cluster did not answer: cluster office: cannot reach Proxmox") {
		t.Fatalf("find with office down = %s", txt)
	}
	all = clustersSummary{}
	f.okJSON("pve_get_cluster_summary", nil, &all)
	if len(all.Clusters) != 1 || len(all.Unreachable) != 1 || all.Unreachable[0].Cluster != "office" {
		t.Fatalf("summary with office down = %+v", all)
	}
	res := f.call("pve_get_qemu_status", map[string]any{"vmid": 100, "cluster": "office"})
	if !res.IsError {
		t.Fatalf("a call to the cluster that is down succeeded: %s", resultText(res))
	}
	var list []clusterInfo
	f.okJSON("pve_list_clusters", nil, &list)
	if len(list) != 2 || !list[0].Answers || !list[0].Default || list[0].Version == "" || list[1].Answers || list[1].Error == "" || list[1].Ceiling != "read-execute" {
		t.Fatalf("pve_list_clusters with office down = %+v", list)
	}
}

// A caller with its own Proxmox token acts with it; one without is refused
// unless the cluster shares its token.
func TestCallerIdentity(t *testing.T) {
	const alice, aliceSecret = "alice@pve!mcp", "a11ce000-0000-4000-8000-000000000000"
	cases := []struct {
		name     string
		mapped   bool
		shared   bool
		wantErr  string
		wantUser string
	}{
		{"own token", true, false, "", alice},
		{"no token, shared allowed", false, true, "", testTokenID},
		{"no token, refused", false, false, "caller stdio has no Proxmox token of its own on cluster office", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFleetFixtureWith(t, func(f *fleetFixture) {
				office := f.fleet.Get("office")
				office.Shared = c.shared
				office.ActAs = func(ctx context.Context, caller string) (*pve.Client, bool, error) {
					if !c.mapped || caller != "stdio" {
						return nil, false, nil
					}
					own, err := office.PVE.WithToken(alice, aliceSecret, nil)
					return own, err == nil, err
				}
			}, &pvesim.Options{Tokens: map[string]string{alice: aliceSecret}})
			f.office.ResetRequests()
			res := f.call("pve_start_qemu_vm", map[string]any{"vmid": 111, "cluster": "office"})
			txt := resultText(res)
			if c.wantErr != "" {
				if !res.IsError || !strings.Contains(txt, c.wantErr) {
					t.Fatalf("got %q, want an error with %q", txt, c.wantErr)
				}
				if n := len(f.office.Requests()); n > 0 {
					t.Errorf("a refused caller reached Proxmox: %v", f.office.Requests())
				}
				return
			}
			if res.IsError {
				t.Fatal(txt)
			}
			for _, r := range f.office.Requests() {
				if r.TokenID != c.wantUser {
					t.Errorf("%s %s made with %q, want %q", r.Method, r.Path, r.TokenID, c.wantUser)
				}
			}
			if !strings.Contains(txt, ":"+c.wantUser+":") {
				t.Errorf("the task does not name %s: %s", c.wantUser, txt)
			}
			// The lab has no identities: its calls use the cluster token.
			f.lab.ResetRequests()
			f.ok("pve_get_qemu_status", map[string]any{"vmid": 100})
			for _, r := range f.lab.Requests() {
				if r.TokenID != testTokenID {
					t.Errorf("lab call made with %q", r.TokenID)
				}
			}
		})
	}
}

// A confirmation given for one cluster cannot be spent on another.
func TestConfirmationIsBoundToItsCluster(t *testing.T) {
	f := newFleetFixtureWith(t, func(f *fleetFixture) {
		f.fleet.Get("office").Ceiling = Full
		f.env.Confirm = Confirmation{Policy: ConfirmDestructive, Key: []byte("0123456789abcdef0123456789abcdef")}
	}, nil)
	res := f.call("pve_stop_qemu_vm", map[string]any{"vmid": 100, "cluster": "lab"})
	txt := resultText(res)
	_, rest, _ := strings.Cut(txt, `"confirm": "`)
	token, _, _ := strings.Cut(rest, `"`)
	if token == "" || !strings.Contains(txt, "Cluster: lab") {
		t.Fatalf("no confirmation token: %s", resultText(res))
	}
	f.office.ResetRequests()
	res = f.call("pve_stop_qemu_vm", map[string]any{"vmid": 100, "cluster": "office", "confirm": token})
	if !res.IsError || !strings.Contains(resultText(res), "confirm") {
		t.Fatalf("lab's confirmation stopped office's VM 100: %s", resultText(res))
	}
	for _, r := range f.office.Requests() {
		if r.Method != "GET" {
			t.Errorf("office received %s %s", r.Method, r.Path)
		}
	}
	res = f.call("pve_stop_qemu_vm", map[string]any{"vmid": 100, "cluster": "lab", "confirm": token})
	if res.IsError {
		t.Fatalf("the token was refused on its own cluster: %s", resultText(res))
	}
}

// In compact mode the search shows cluster in the tools' input, and a call
// through a dispatcher is bound to its cluster as a direct call is.
func TestClustersInCompactMode(t *testing.T) {
	f := newFleetFixture(t)
	sel, err := Select(Selection{Tier: Full, ManyClusters: true})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := NewServerFor(f.env, sel, ModeCompact)
	if err != nil {
		t.Fatal(err)
	}
	cs := mcptest.Connect(t, srv, nil, nil)
	call := func(name string, args map[string]any) string {
		t.Helper()
		res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: name, Arguments: args})
		if err != nil {
			t.Fatal(err)
		}
		if res.IsError {
			t.Fatalf("%s: %s", name, resultText(res))
		}
		return resultText(res)
	}
	if txt := call("pve_search_tools", map[string]any{"query": "delete a VM", "limit": 1}); !strings.Contains(txt, `"cluster":{"type":"string","enum":["lab"]}`) {
		t.Errorf("search answer lacks the cluster property: %s", txt)
	}
	if txt := call("pve_read", map[string]any{"tool": "pve_get_qemu_status", "arguments": map[string]any{"vmid": 100, "cluster": "office"}}); !strings.Contains(txt, `"name":"erp01"`) {
		t.Errorf("dispatched call to office = %s", txt)
	}
	if !strings.Contains(cs.InitializeResult().Instructions, "cluster: which Proxmox cluster") {
		t.Errorf("instructions do not explain cluster")
	}
}

// A cluster list of one: no cluster argument, but its ceiling still holds.
func TestOneListedClusterKeepsItsCeiling(t *testing.T) {
	e := fullEnv(t)
	env := &Env{PVE: e.env.PVE, Confirm: Confirmation{Policy: ConfirmOff},
		Fleet: &Fleet{Default: "solo", Clusters: []*NamedCluster{{Name: "solo", Ceiling: ReadOnly, PVE: e.env.PVE}}}}
	all, err := Select(Selection{Tier: Full})
	if err != nil {
		t.Fatal(err)
	}
	for _, tool := range env.Usable(all) {
		if tool.Tier > ReadOnly {
			t.Errorf("%s (%s) is usable on a read-only cluster", tool.Name, tool.Tier)
		}
	}
	if n := len(env.Usable(all)); n == 0 {
		t.Fatal("no tool usable")
	}
}

// With several clusters a resource takes ?cluster=NAME; without it, the
// default cluster answers.
func TestResourcesByCluster(t *testing.T) {
	f := newFleetFixture(t)
	cases := []struct {
		uri, want, wantErr string
	}{
		{"pve://guest/100/config", `"name":"web01"`, ""},
		{"pve://guest/100/config?cluster=office", `"name":"erp01"`, ""},
		{"pve://guest/110/config?cluster=office", `"name":"files01"`, ""},
		{"pve://cluster/resources?cluster=office", `"node":"office1"`, ""},
		{"pve://guest/100/config?cluster=mars", "", `unknown cluster "mars"`},
		{"pve://guest/100/config?node=pve1", "", "not found"},
	}
	for _, c := range cases {
		res, err := f.session.ReadResource(context.Background(), &mcp.ReadResourceParams{URI: c.uri})
		if c.wantErr != "" {
			if err == nil || !strings.Contains(strings.ToLower(err.Error()), c.wantErr) {
				t.Errorf("%s: err = %v, want %q", c.uri, err, c.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.uri, err)
			continue
		}
		if txt := res.Contents[0].Text; !strings.Contains(txt, c.want) {
			t.Errorf("%s = %.200s, want %q", c.uri, txt, c.want)
		}
	}
}

// A completion naming a cluster that does not exist is refused, also with
// a cluster list of one whose callers have their own tokens.
func TestCompletionOnUnknownCluster(t *testing.T) {
	e := fullEnv(t)
	env := &Env{PVE: e.env.PVE, Confirm: Confirmation{Policy: ConfirmOff}, Fleet: &Fleet{Default: "solo", Clusters: []*NamedCluster{{
		Name: "solo", Ceiling: Full, PVE: e.env.PVE, Shared: true,
		ActAs: func(context.Context, string) (*pve.Client, bool, error) { return nil, false, nil },
	}}}}
	sel, _ := Select(Selection{Tier: Full})
	srv, err := NewServer(env, sel)
	if err != nil {
		t.Fatal(err)
	}
	cs := mcptest.Connect(t, srv, nil, nil)
	_, err = cs.Complete(context.Background(), &mcp.CompleteParams{
		Ref:      &mcp.CompleteReference{Type: "ref/prompt", Name: "guest_wont_start"},
		Argument: mcp.CompleteParamsArgument{Name: "vmid", Value: "1"},
		Context:  &mcp.CompleteContext{Arguments: map[string]string{"cluster": "nope"}},
	})
	if err == nil || !strings.Contains(err.Error(), `unknown cluster "nope"`) {
		t.Fatalf("err = %v, want an unknown-cluster error", err)
	}
}

// With several clusters a started task says its cluster, so the agent
// follows it there.
func TestTasksNameTheirCluster(t *testing.T) {
	f := newFleetFixture(t)
	res := f.call("pve_start_qemu_vm", map[string]any{"vmid": 111, "cluster": "office"})
	sc, _ := json.Marshal(res.StructuredContent)
	if res.IsError || !strings.Contains(string(sc), `"cluster":"office"`) || !strings.Contains(resultText(res), "passing cluster office") {
		t.Fatalf("started task = %s / %s", sc, resultText(res))
	}
}
