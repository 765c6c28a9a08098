package tools

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

func resourceNames(t *testing.T, cs *mcp.ClientSession) (res, tmpl, prompts []string) {
	t.Helper()
	ctx := context.Background()
	caps := cs.InitializeResult().Capabilities
	if caps.Resources != nil {
		r, err := cs.ListResources(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range r.Resources {
			res = append(res, x.URI)
		}
		rt, err := cs.ListResourceTemplates(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range rt.ResourceTemplates {
			tmpl = append(tmpl, x.URITemplate)
		}
	}
	if caps.Prompts != nil {
		p, err := cs.ListPrompts(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range p.Prompts {
			prompts = append(prompts, x.Name)
		}
	}
	slices.Sort(res)
	slices.Sort(tmpl)
	slices.Sort(prompts)
	return
}

// Resources, templates and prompts follow the caller's tools: a runbook
// that ends in a migration is not offered to a read-only caller, and a
// server of one category offers only that category's reads.
func TestExtrasFollowTheSelection(t *testing.T) {
	allTemplates := []string{"pve://guest/{vmid}/config", "pve://guest/{vmid}/snapshot/{snapname}/config",
		"pve://guest/{vmid}/snapshots", "pve://node/{node}/status", "pve://task/{+upid}/log"}
	for _, c := range []struct {
		sel              Selection
		res, tmpl, promp []string
		completions      bool
	}{
		{Selection{Tier: Full}, []string{"pve://cluster/resources"}, allTemplates,
			[]string{"backup_coverage_audit", "drain_node", "failed_backup_job", "guest_wont_start", "storage_nearly_full"}, true},
		{Selection{Tier: ReadOnly}, []string{"pve://cluster/resources"}, allTemplates,
			[]string{"backup_coverage_audit", "storage_nearly_full"}, true},
		{Selection{Tier: Full, Categories: []Category{Nodes}}, nil, []string{"pve://node/{node}/status"}, nil, true},
		{Selection{Tier: Full, Categories: []Category{Access}}, nil, nil, nil, false},
	} {
		e := newTestEnv(t, c.sel)
		res, tmpl, prompts := resourceNames(t, e.session)
		if !slices.Equal(res, c.res) || !slices.Equal(tmpl, c.tmpl) || !slices.Equal(prompts, c.promp) {
			t.Errorf("%+v: resources %v templates %v prompts %v, want %v %v %v", c.sel, res, tmpl, prompts, c.res, c.tmpl, c.promp)
		}
		if got := e.session.InitializeResult().Capabilities.Completions != nil; got != c.completions {
			t.Errorf("%+v: completions advertised %v, want %v", c.sel, got, c.completions)
		}
	}
}

func readResource(t *testing.T, e *testEnv, uri string) (string, error) {
	t.Helper()
	r, err := e.session.ReadResource(context.Background(), &mcp.ReadResourceParams{URI: uri})
	if err != nil {
		return "", err
	}
	if len(r.Contents) != 1 || r.Contents[0].URI != uri || r.Contents[0].MIMEType != "application/json" {
		t.Fatalf("%s: contents %+v", uri, r.Contents)
	}
	return r.Contents[0].Text, nil
}

func TestReadResources(t *testing.T) {
	e := fullEnv(t)
	var tasks []map[string]any
	e.okJSON("pve_list_tasks", map[string]any{"node": "pve1", "limit": 1}, &tasks)
	upid := tasks[0]["upid"].(string)
	for uri, want := range map[string]string{
		"pve://cluster/resources":                     `"id":"qemu/100"`,
		"pve://node/pve2/status":                      `"pveversion"`,
		"pve://guest/100/config":                      `"name":"web01"`,
		"pve://guest/200/config":                      `"hostname":"dns01"`,
		"pve://guest/101/snapshots":                   `"name":"pre-upgrade"`,
		"pve://guest/101/snapshot/pre-upgrade/config": `"memory":"8192"`,
		"pve://task/" + upid + "/log":                 `"t":`,
		"pve://task/" + strings.ReplaceAll(strings.ReplaceAll(upid, ":", "%3A"), "@", "%40") + "/log": `"t":`,
	} {
		txt, err := readResource(t, e, uri)
		if err != nil || !strings.Contains(txt, want) {
			t.Errorf("%s: %v %.200s, want %s", uri, err, txt, want)
		}
		if strings.Contains(txt, testTokenID) {
			t.Errorf("%s: token id not redacted", uri)
		}
	}
	for _, uri := range []string{"pve://guest/999/config", "pve://guest/101/snapshot/nope/config", "pve://node/pve9/status"} {
		if _, err := readResource(t, e, uri); err == nil {
			t.Errorf("%s: read succeeded", uri)
		}
	}
}

func TestPrompts(t *testing.T) {
	e := fullEnv(t)
	ctx := context.Background()
	r, err := e.session.GetPrompt(ctx, &mcp.GetPromptParams{Name: "guest_wont_start", Arguments: map[string]string{"vmid": "102"}})
	if err != nil {
		t.Fatal(err)
	}
	txt := r.Messages[0].Content.(*mcp.TextContent).Text
	if !strings.Contains(txt, "Guest 102 does not start") || strings.Contains(txt, "{vmid}") || !strings.Contains(txt, "{vmid: 102, errors: true, limit: 5}") {
		t.Errorf("rendered runbook: %s", txt)
	}
	r, err = e.session.GetPrompt(ctx, &mcp.GetPromptParams{Name: "drain_node", Arguments: map[string]string{"node": "pve3"}})
	if err != nil || !strings.Contains(r.Messages[0].Content.(*mcp.TextContent).Text, "to the online nodes with the most free memory") {
		t.Errorf("optional argument fallback: %v %v", err, r)
	}
	if _, err := e.session.GetPrompt(ctx, &mcp.GetPromptParams{Name: "guest_wont_start"}); err == nil {
		t.Error("a required argument missing was accepted")
	}
}

// Every tool a runbook names exists, and no placeholder is left unfilled.
func TestRunbooksNameRealTools(t *testing.T) {
	known := map[string]bool{}
	for _, tool := range All() {
		known[tool.Name] = true
	}
	left := regexp.MustCompile(`\{\w+(\|[^}]*)?\}`)
	for _, r := range runbooks {
		for _, n := range r.needs() {
			if !known[n] {
				t.Errorf("runbook %s names %s, which is no tool", r.name, n)
			}
		}
		args := map[string]string{}
		for _, a := range r.args {
			args[a.Name] = "X"
		}
		for _, m := range left.FindAllString(r.render(args), -1) {
			if !strings.Contains(m, ":") {
				t.Errorf("runbook %s leaves %s unfilled", r.name, m)
			}
		}
	}
}

func TestCompletions(t *testing.T) {
	e := fullEnv(t)
	complete := func(ref *mcp.CompleteReference, arg, value string, ctxArgs map[string]string) []string {
		t.Helper()
		p := &mcp.CompleteParams{Ref: ref, Argument: mcp.CompleteParamsArgument{Name: arg, Value: value}}
		if ctxArgs != nil {
			p.Context = &mcp.CompleteContext{Arguments: ctxArgs}
		}
		r, err := e.session.Complete(context.Background(), p)
		if err != nil {
			t.Fatalf("complete %s %s: %v", arg, value, err)
		}
		return r.Completion.Values
	}
	prompt := &mcp.CompleteReference{Type: "ref/prompt", Name: "guest_wont_start"}
	if got := complete(prompt, "vmid", "10", nil); !slices.Equal(got, []string{"100", "101", "102", "103", "104"}) {
		t.Errorf("vmid 10: %v", got)
	}
	node := &mcp.CompleteReference{Type: "ref/resource", URI: "pve://node/{node}/status"}
	if got := complete(node, "node", "pve", nil); !slices.Equal(got, []string{"pve1", "pve2", "pve3"}) {
		t.Errorf("node: %v", got)
	}
	storage := &mcp.CompleteReference{Type: "ref/prompt", Name: "storage_nearly_full"}
	if got := complete(storage, "storage", "local", nil); !slices.Contains(got, "local") || !slices.Contains(got, "local-lvm") {
		t.Errorf("storage: %v", got)
	}
	snap := &mcp.CompleteReference{Type: "ref/resource", URI: "pve://guest/{vmid}/snapshot/{snapname}/config"}
	if got := complete(snap, "snapname", "", map[string]string{"vmid": "101"}); !slices.Equal(got, []string{"pre-upgrade"}) {
		t.Errorf("snapshots of 101: %v", got)
	}
	if got := complete(snap, "snapname", "", nil); len(got) != 0 {
		t.Errorf("snapshots without a vmid: %v", got)
	}
	unknown := &mcp.CompleteReference{Type: "ref/prompt", Name: "no_such_prompt"}
	if got := complete(unknown, "vmid", "", nil); len(got) != 0 {
		t.Errorf("unknown prompt completed: %v", got)
	}
}
