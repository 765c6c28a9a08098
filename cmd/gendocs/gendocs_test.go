package main

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/pve-mcp/pve-mcp/config"
	"github.com/pve-mcp/pve-mcp/tools"
)

// TestReadmeIsCurrent fails when the README's generated tables differ from
// what the registry and config.Vars say. Fix: go run ./cmd/gendocs
func TestReadmeIsCurrent(t *testing.T) {
	old, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	got, err := Render(string(old))
	if err != nil {
		t.Fatal(err)
	}
	if got != string(old) {
		t.Fatal("README.md is stale: run `go run ./cmd/gendocs` (task docs) and commit the result")
	}
}

func TestToolsSectionListsEveryToolOnce(t *testing.T) {
	doc, err := ToolsSection()
	if err != nil {
		t.Fatal(err)
	}
	for _, tool := range tools.All() {
		row := "| `" + tool.Name + "` | "
		if n := strings.Count(doc, row); n != 1 {
			t.Errorf("%s appears in %d table rows, want 1", tool.Name, n)
		}
		tier := tool.Tier.String()
		if tool.ManyClusters {
			tier += ", only with several clusters"
		}
		if !strings.Contains(doc, row+cell(tool.Title)+" | "+cell(tool.Desc)+" | "+tier+" |") {
			t.Errorf("%s: row lacks its title, description or tier", tool.Name)
		}
	}
	if rows := strings.Count(doc, "| `pve_"); rows != len(tools.All()) {
		t.Errorf("%d tool rows, registry has %d tools", rows, len(tools.All()))
	}
	for tier := tools.ReadOnly; tier <= tools.Full; tier++ {
		sel, err := tools.Select(tools.Selection{Tier: tier})
		if err != nil {
			t.Fatal(err)
		}
		want := "| `" + tier.String() + "` | " + strconv.Itoa(len(sel)) + " |"
		if !strings.Contains(doc, want) {
			t.Errorf("tier table lacks %q", want)
		}
	}
}

func TestConfigSectionListsEveryVar(t *testing.T) {
	doc := ConfigSection()
	for _, v := range slices.Concat(config.Vars, config.AuthVars, config.SecretVars, config.ClusterVars) {
		if strings.Count(doc, "| `"+v.Name+"` |") != 1 {
			t.Errorf("%s missing or repeated", v.Name)
		}
	}
}

func TestReplaceBetween(t *testing.T) {
	const s, e = "<!-- START X -->", "<!-- END X -->"
	got, err := replaceBetween("a\n"+s+"\nold\n"+e+"\nb", s, e, "new\n")
	if err != nil || got != "a\n"+s+"\nnew\n"+e+"\nb" {
		t.Errorf("got %q, %v", got, err)
	}
	for _, bad := range []string{"no markers", e + s, s + e + s + e} {
		if _, err := replaceBetween(bad, s, e, "x"); err == nil {
			t.Errorf("replaceBetween(%q) succeeded", bad)
		}
	}
	if c := cell("a |\n b"); c != `a \| b` {
		t.Errorf("cell = %q", c)
	}
}

// TestDropDescriptions: every description text goes, a parameter that is
// itself named "description" stays, and the words-free list is smaller.
func TestDropDescriptions(t *testing.T) {
	in := `{"name":"x","description":"Tool words","inputSchema":{"type":"object","properties":{` +
		`"description":{"type":"string","description":"Notes"},` +
		`"vmids":{"type":"array","items":{"type":"integer","description":"inner"},"description":"Guests"}}}}`
	var v any
	if err := json.Unmarshal([]byte(in), &v); err != nil {
		t.Fatal(err)
	}
	out, _ := json.Marshal(dropDescriptions(v))
	want := `{"inputSchema":{"properties":{"description":{"type":"string"},"vmids":{"items":{"type":"integer"},"type":"array"}},"type":"object"},"name":"x"}`
	if string(out) != want {
		t.Errorf("got  %s\nwant %s", out, want)
	}
	for _, tier := range []tools.Tier{tools.ReadOnly, tools.Full} {
		_, size, err := listSize(tier)
		if err != nil {
			t.Fatal(err)
		}
		bare, err := listSizeWithoutWords(tier)
		if err != nil {
			t.Fatal(err)
		}
		if bare <= 0 || bare >= size {
			t.Errorf("%s: %d bytes without descriptions, %d with", tier, bare, size)
		}
	}
}

// The README's count of the tools that take dry_run is the registry's.
func TestReadmeDryRunCount(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, tool := range tools.All() {
		if tool.DryRun() {
			n++
		}
	}
	if want := fmt.Sprintf("takes `dry_run` (%d at tier full)", n); !strings.Contains(string(readme), want) {
		t.Errorf("README lacks %q", want)
	}
}
