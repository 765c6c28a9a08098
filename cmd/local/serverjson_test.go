package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/jsonschema-go/jsonschema"
)

// registryModule is the MCP Registry's Go module whose server.json schema
// ../../server.json is validated against. It comes from the Go module proxy
// (`go mod download`, no dependency of pve-mcp): the schema is the registry
// project's own, offline once downloaded.
const registryModule = "github.com/modelcontextprotocol/registry@v1.8.9"

// serverJSONSchema is the schema's path inside the module: the draft that
// release documents as the current one (2025-12-11) plus relaxations.
const serverJSONSchema = "docs/reference/server-json/draft/server.schema.json"

func registrySchema(t *testing.T) *jsonschema.Resolved {
	t.Helper()
	cmd := exec.Command("go", "mod", "download", "-json", registryModule)
	cmd.Dir = t.TempDir() // outside this module: go.mod stays as it is
	cmd.Env = append(os.Environ(), "GOFLAGS=")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go mod download %s: %v\n%s", registryModule, err, out)
	}
	var mod struct{ Dir, Error string }
	if err := json.Unmarshal(out, &mod); err != nil || mod.Dir == "" {
		t.Fatalf("go mod download %s: %s %s", registryModule, mod.Error, out)
	}
	raw, err := os.ReadFile(filepath.Join(mod.Dir, serverJSONSchema))
	if err != nil {
		t.Fatal(err)
	}
	var s jsonschema.Schema
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatalf("%s: %v", serverJSONSchema, err)
	}
	rs, err := s.Resolve(nil)
	if err != nil {
		t.Fatalf("%s: %v", serverJSONSchema, err)
	}
	return rs
}

// server.json, the MCP Registry entry, is valid against the registry's
// schema and says what the code does.
func TestServerJSON(t *testing.T) {
	raw, err := os.ReadFile("../../server.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	rs := registrySchema(t)
	if err := rs.Validate(doc); err != nil {
		t.Fatalf("server.json against %s: %v", serverJSONSchema, err)
	}
	// The validator works: a broken entry is refused.
	for name, broken := range map[string]func(m map[string]any){
		"no name":          func(m map[string]any) { delete(m, "name") },
		"name without '/'": func(m map[string]any) { m["name"] = "pve-mcp" },
		"long description": func(m map[string]any) { m["description"] = strings.Repeat("x", 101) },
	} {
		var m map[string]any
		json.Unmarshal(raw, &m)
		broken(m)
		if rs.Validate(m) == nil {
			t.Errorf("%s: accepted", name)
		}
	}

	var sj struct {
		Schema   string `json:"$schema"`
		Name     string
		Version  string
		Packages []struct {
			RegistryType, Identifier string
			Transport                struct{ Type, URL string }
			EnvironmentVariables     []struct{ Name string }
		}
	}
	if err := json.Unmarshal(raw, &sj); err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^\d+\.\d+\.\d+$`).MatchString(sj.Version) {
		t.Errorf("version %q: want semantic x.y.z", sj.Version)
	}
	if sj.Name != "io.github.pve-mcp/pve-mcp" {
		t.Errorf("name %q: the registry's GitHub namespace for github.com/pve-mcp", sj.Name)
	}
	for _, p := range sj.Packages {
		if p.RegistryType == "oci" && !strings.HasSuffix(p.Identifier, ":"+sj.Version) {
			t.Errorf("image %s is not version %s", p.Identifier, sj.Version)
		}
		if p.Transport.Type == "streamable-http" && !strings.HasSuffix(p.Transport.URL, "/mcp") {
			t.Errorf("transport URL %s: the server serves /mcp", p.Transport.URL)
		}
	}
}
