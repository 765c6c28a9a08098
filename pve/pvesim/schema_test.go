package pvesim

import (
	"slices"
	"testing"

	"github.com/pve-mcp/pve-mcp/internal/apischema"
)

// TestRoutesMatchOfficialSchema keeps the simulator honest: every endpoint
// it serves exists in the official schema, and every parameter it declares
// exists there with the same type and the same required/optional status.
// The simulator's 400s are therefore Proxmox's 400s.
func TestRoutesMatchOfficialSchema(t *testing.T) {
	api := apischema.Load(t)
	s := New(Options{TokenID: "a@pve!t", TokenSecret: "x"})
	for _, r := range s.Routes() {
		ep := api.Endpoint(r.Method, r.Path)
		if ep == nil {
			t.Errorf("%s %s: not in the API schema", r.Method, r.Path)
			continue
		}
		for _, p := range r.Params {
			ap := ep.Params[p.Name]
			if ap == nil {
				t.Errorf("%s %s: parameter %s not in the API schema", r.Method, r.Path, p.Name)
				continue
			}
			typ := ap.Type
			if typ == "" {
				typ = "string"
			}
			if p.Type != typ {
				t.Errorf("%s %s: %s declared %s, schema says %s", r.Method, r.Path, p.Name, p.Type, ap.Type)
			}
			// A path placeholder is required whatever the schema says.
			if p.Optional != ap.Optional && !ep.IsPlaceholder(p.Name) {
				t.Errorf("%s %s: %s optional=%v, schema says optional=%v", r.Method, r.Path, p.Name, p.Optional, ap.Optional)
			}
			for _, e := range p.Enum {
				if len(ap.Enum) > 0 && !slices.Contains(ap.Enum, e) {
					t.Errorf("%s %s: %s enum value %q not in schema enum %v", r.Method, r.Path, p.Name, e, ap.Enum)
				}
			}
		}
		for name, ap := range ep.Params {
			if !ap.Optional && !ep.IsPlaceholder(name) && !slices.ContainsFunc(r.Params, func(p ParamInfo) bool { return p.Name == name }) {
				t.Errorf("%s %s: required parameter %s not declared", r.Method, r.Path, name)
			}
		}
	}
}
