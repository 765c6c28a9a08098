package tools

import (
	"slices"
	"testing"

	"github.com/pve-mcp/pve-mcp/internal/apischema"
)

// TestOutputSchemasMatchReturns: what a tool declares it returns is what
// Proxmox's own schema says the endpoint returns: a task where it returns
// a UPID, a list where it returns an array, nothing where it returns null,
// and every declared field exists there with a compatible type (or is one
// Proxmox sends beyond its schema, see internal/apischema/undocumented.go).
// Answers the tools build themselves are checked by the tool tests, which
// validate every result against its output schema.
func TestOutputSchemasMatchReturns(t *testing.T) {
	api := apischema.Load(t)
	checked, own := 0, 0
	for _, tool := range All() {
		o := tool.outputOf()
		shapes := []output{o}
		if o.either != nil {
			shapes = append(shapes, *o.either)
		}
		for _, s := range shapes {
			if s.own {
				own++
				continue
			}
			checked++
			call := tool.Calls[0]
			if s.call != nil {
				call = *s.call
				if !slices.Contains(tool.Calls, call) {
					t.Errorf("%s: answer declared from %s %s, which is not among its calls", tool.Name, call.Method, call.Path)
				}
			}
			ep := api.Endpoint(call.Method, call.Path)
			if ep == nil {
				t.Errorf("%s: %s %s not in the API schema", tool.Name, call.Method, call.Path)
				continue
			}
			where := tool.Name + " (" + call.Method + " " + call.Path + ")"
			switch s.kind {
			case outTask:
				if !api.ReturnsUPID(call.Method, call.Path) {
					t.Errorf("%s: declared a task, but the endpoint returns %q, not a UPID", where, ep.ReturnsType)
				}
			case outNone:
				if ep.ReturnsType != "null" && ep.ReturnsType != "" {
					t.Errorf("%s: declared nothing, but the endpoint returns %q", where, ep.ReturnsType)
				}
			case outValue:
				if ep.ReturnsType != s.value {
					t.Errorf("%s: declared a %s, but the endpoint returns %q", where, s.value, ep.ReturnsType)
				}
			case outList:
				if ep.ReturnsType != "array" {
					t.Errorf("%s: declared a list, but the endpoint returns %q", where, ep.ReturnsType)
					continue
				}
				checkFields(t, tool, where, call, s.fields, ep.Returns.Items)
			case outObject:
				if ep.ReturnsType != "object" {
					t.Errorf("%s: declared an object, but the endpoint returns %q", where, ep.ReturnsType)
					continue
				}
				checkFields(t, tool, where, call, s.fields, ep.Returns)
			}
		}
	}
	t.Logf("%d tool answers checked against the API schema's returns, %d built by the tools (checked by the tool tests)", checked, own)
}

// checkFields checks declared fields against the returns schema of an item
// or object.
func checkFields(t *testing.T, tool *Tool, where string, call Call, fields []string, ret *apischema.Value) {
	t.Helper()
	extra, stub := apischema.Undocumented(call.Method, call.Path)
	// A returns schema that declares no properties (rrddata, aplinfo) is
	// loose: nothing to check the fields against.
	stub = stub || ret == nil || len(ret.Properties) == 0
	spans := slices.Contains(tool.Calls, nodesCall) // lists across nodes add node to each item
	for _, f := range fields {
		var p *apischema.Value
		if ret != nil {
			p = ret.Property(f)
		}
		ours := tool.fieldSchema(f)
		if ours.Type == "" && len(ours.AnyOf) == 0 {
			t.Errorf("%s: field %s has no type in fieldTypes", where, f)
			continue
		}
		if p == nil {
			if !stub && !slices.Contains(extra, f) && !(spans && f == "node") {
				t.Errorf("%s: field %s is not in the endpoint's returns schema", where, f)
			}
			continue
		}
		want := ours.Type
		if len(ours.AnyOf) > 0 {
			want = "boolean"
		}
		if !compatibleType(want, p.Type) {
			t.Errorf("%s: field %s declared %s, the API schema says %s", where, f, want, p.Type)
		}
	}
}

// compatibleType: a declared type takes every value of the schema's type.
func compatibleType(ours, theirs string) bool {
	return ours == theirs || (ours == "number" && theirs == "integer") || theirs == "" || theirs == "any"
}

// TestOutputsNameKnownTools: every entry of outputs is a declared tool.
func TestOutputsNameKnownTools(t *testing.T) {
	known := map[string]bool{}
	for _, tool := range All() {
		known[tool.Name] = true
	}
	for name := range outputs {
		if !known[name] {
			t.Errorf("outputs declares %s, which is no tool", name)
		}
	}
}
