package tools

import (
	"strings"
	"testing"

	"github.com/google/jsonschema-go/jsonschema"
)

// No tool schema declares a type array: clients and model APIs that refuse
// them (the MCP Inspector's strict check warned on 17 tools) take every tool.
func TestSchemasHaveNoTypeArrays(t *testing.T) {
	for _, tool := range All() {
		def, err := tool.MCP()
		if err != nil {
			t.Fatal(err)
		}
		if bad := typeArrays(def.InputSchema.(*jsonschema.Schema), "input"); len(bad) > 0 {
			t.Errorf("%s: type arrays at %s", tool.Name, strings.Join(bad, ", "))
		}
	}
}

// The extra maps still take exactly strings, numbers and booleans.
func TestExtraValuesStayScalar(t *testing.T) {
	e := fullEnv(t)
	for _, bad := range []any{[]any{"a"}, map[string]any{"a": 1}, nil} {
		msg := e.fails("pve_update_cluster_options", map[string]any{"extra": map[string]any{"keyboard": bad}})
		if !strings.Contains(msg, "extra") {
			t.Errorf("extra value %v: error %q does not name extra", bad, msg)
		}
	}
	e.ok("pve_update_cluster_options", map[string]any{"extra": map[string]any{"max_workers": 4}})
	e.ok("pve_update_cluster_options", map[string]any{"extra": map[string]any{"language": "en"}})
}
