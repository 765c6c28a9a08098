package tools

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

func TestBrief(t *testing.T) {
	keep := []string{"vmid", "name", "status"}
	for _, c := range []struct {
		name, in, note string
		want, wantNote string
	}{
		{"keeps the main fields in their declared order; names the rest once, sorted",
			`[{"vmid":100,"name":"a","netin":1,"pid":7},{"vmid":101,"status":"stopped","netin":2}]`, "",
			`[{"vmid":100,"name":"a"},{"vmid":101,"status":"stopped"}]`, "verbose:true adds netin, pid"},
		{"keeps an earlier note first",
			`[{"vmid":100,"pid":7}]`, "Skipped offline nodes: pve3",
			`[{"vmid":100}]`, "Skipped offline nodes: pve3\nverbose:true adds pid"},
		{"nothing to drop: untouched, no note",
			`[{"vmid":100, "name":"a"}]`, "",
			`[{"vmid":100, "name":"a"}]`, ""},
		{"empty list", `[]`, "", `[]`, ""},
		{"not a list (a task result)", `{"upid":"UPID:x","pid":3}`, "", `{"upid":"UPID:x","pid":3}`, ""},
		{"a list of strings", `["a","b"]`, "", `["a","b"]`, ""},
		{"no data", ``, "", ``, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := brief(Output{Data: json.RawMessage(c.in), Note: c.note}, keep)
			if string(got.Data) != c.want || got.Note != c.wantNote {
				t.Errorf("got %s / %q\nwant %s / %q", got.Data, got.Note, c.want, c.wantNote)
			}
		})
	}
}

// TestListsAnswerMainFields: every tool with Fields offers verbose, answers
// with its fields only by default, and with Proxmox's whole items on verbose.
func TestListsAnswerMainFields(t *testing.T) {
	args := map[string]map[string]any{
		"pve_list_node_disks":          {"node": "pve1"},
		"pve_list_node_services":       {"node": "pve1"},
		"pve_list_appliance_templates": {"node": "pve1"},
		"pve_list_node_updates":        {"node": "pve1"},
	}
	e := fullEnv(t)
	n := 0
	for _, tool := range All() {
		if len(tool.Fields) == 0 {
			continue
		}
		n++
		t.Run(tool.Name, func(t *testing.T) {
			def, err := tool.MCP()
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(mustJSON(t, def.InputSchema), `"verbose":{"type":"boolean"`) {
				t.Errorf("schema has no verbose: %s", mustJSON(t, def.InputSchema))
			}
			var short, all []map[string]any
			txt := e.okJSON(tool.Name, args[tool.Name], &short)
			full := map[string]any{"verbose": true}
			for k, v := range args[tool.Name] {
				full[k] = v
			}
			e.okJSON(tool.Name, full, &all)
			if len(short) == 0 || len(short) != len(all) {
				t.Fatalf("%d items brief, %d verbose", len(short), len(all))
			}
			extra := 0
			for i := range short {
				for k := range short[i] {
					if !slices.Contains(tool.Fields, k) {
						t.Errorf("item %d: %s is not one of the main fields", i, k)
					}
				}
				extra += len(all[i]) - len(short[i])
			}
			if extra == 0 {
				t.Error("verbose added no field: the demo data should show what brief leaves out")
			}
			if !strings.Contains(txt, "verbose:true adds ") {
				t.Errorf("brief answer does not say what verbose adds: %s", txt)
			}
		})
	}
	if n < 8 {
		t.Errorf("%d tools declare Fields, want at least 8", n)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
