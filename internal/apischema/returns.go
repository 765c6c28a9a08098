package apischema

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
)

// Value is one node of an endpoint's returns schema (Proxmox's JSON-schema
// dialect: optional instead of required lists, 0/1 booleans).
type Value struct {
	Type       string            `json:"type"`
	Optional   any               `json:"optional"`
	Properties map[string]*Value `json:"properties"`
	Items      *Value            `json:"items"`
	Enum       []any             `json:"enum"`
	// AdditionalProperties is 0, 1 or a schema for the undeclared keys.
	AdditionalProperties json.RawMessage `json:"additionalProperties"`
	Description          string          `json:"description"`
}

// IsOptional reports whether the property may be absent.
func (v *Value) IsOptional() bool { return truthy(v.Optional) }

// Property finds a declared property by the name an answer uses: net0
// matches net[n].
func (v *Value) Property(name string) *Value {
	if p, ok := v.Properties[name]; ok {
		return p
	}
	if m := indexed.FindStringSubmatch(name); m != nil {
		if p, ok := v.Properties[m[1]+"[n]"]; ok {
			return p
		}
	}
	return nil
}

// extra returns what the schema says of keys it does not declare: allowed
// (and the schema they must follow, or nil for any value).
func (v *Value) extra() (bool, *Value) {
	raw := strings.TrimSpace(string(v.AdditionalProperties))
	switch {
	case raw == "" || raw == "null":
		// Proxmox allows undeclared keys unless told otherwise, but an
		// answer must not carry fields the schema does not document:
		// undeclared keys are allowed only where nothing is declared.
		return len(v.Properties) == 0, nil
	case raw == "0" || raw == "false":
		return false, nil
	case strings.HasPrefix(raw, "{"):
		var s Value
		if json.Unmarshal(v.AdditionalProperties, &s) == nil {
			return true, &s
		}
	}
	return true, nil
}

// CheckReturn validates an answer's data (the JSON under "data") against
// the endpoint's returns schema. It returns one line per problem, sorted;
// none when the data conforms. Undeclared fields are problems wherever the
// schema declares properties.
func (e *Endpoint) CheckReturn(data json.RawMessage) []string {
	if e.Returns == nil {
		return nil
	}
	var v any
	if len(data) == 0 {
		data = json.RawMessage("null")
	}
	d := json.NewDecoder(strings.NewReader(string(data)))
	d.UseNumber()
	if err := d.Decode(&v); err != nil {
		return []string{"data is not JSON: " + err.Error()}
	}
	if _, ok := nullable[e.Method+" "+e.Path]; ok && v == nil {
		return nil
	}
	if _, ok := stringIntegers[e.Method+" "+e.Path]; ok && e.Returns.Type == "integer" {
		if str, isStr := v.(string); isStr && str != "" && strings.Trim(str, "0123456789") == "" {
			return nil
		}
	}
	var errs []string
	fields, stub := Undocumented(e.Method, e.Path)
	top := &known{stub: stub, fields: map[string]bool{}}
	for _, f := range fields {
		top.fields[f] = true
	}
	check("data", e.Returns, v, &errs, top)
	sort.Strings(errs)
	return errs
}

// known is what Proxmox sends beyond the schema at the answer's top level
// (see undocumented.go).
type known struct {
	stub   bool
	fields map[string]bool
}

func check(path string, s *Value, v any, errs *[]string, top *known) {
	bad := func(format string, args ...any) {
		*errs = append(*errs, path+": "+fmt.Sprintf(format, args...))
	}
	switch s.Type {
	case "null":
		if v != nil {
			bad("want null, got %s", kind(v))
		}
		return
	case "string":
		if _, ok := v.(string); !ok {
			bad("want string, got %s", kind(v))
			return
		}
	case "integer":
		n, ok := v.(json.Number)
		if !ok {
			bad("want integer, got %s", kind(v))
			return
		}
		if f, err := n.Float64(); err != nil || f != math.Trunc(f) {
			bad("want integer, got %s", n)
			return
		}
	case "number":
		if _, ok := v.(json.Number); !ok {
			bad("want number, got %s", kind(v))
			return
		}
	case "boolean":
		switch x := v.(type) {
		case bool:
		case json.Number:
			if x != "0" && x != "1" {
				bad("want boolean (0/1), got %s", x)
				return
			}
		default:
			bad("want boolean, got %s", kind(v))
			return
		}
	case "array":
		a, ok := v.([]any)
		if !ok {
			bad("want array, got %s", kind(v))
			return
		}
		if s.Items != nil {
			for i, x := range a {
				check(fmt.Sprintf("%s[%d]", path, i), s.Items, x, errs, top)
			}
		}
		return
	case "object":
		if _, ok := v.(map[string]any); !ok {
			bad("want object, got %s", kind(v))
			return
		}
	}
	if len(s.Enum) > 0 && v != nil {
		str := fmt.Sprint(v)
		if !slices.ContainsFunc(s.Enum, func(e any) bool { return fmt.Sprint(e) == str }) {
			bad("%q not in enum %v", str, s.Enum)
		}
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return
	}
	for name, p := range s.Properties {
		if _, has := obj[name]; !has && !p.IsOptional() && !strings.HasSuffix(name, "[n]") {
			bad("required field %s missing", name)
		}
	}
	allowed, extraSchema := s.extra()
	for k, x := range obj {
		if p := s.Property(k); p != nil {
			check(path+"."+k, p, x, errs, nil)
			continue
		}
		if top != nil && (top.stub || top.fields[k]) {
			continue
		}
		if !allowed {
			bad("field %s not in the returns schema", k)
			continue
		}
		if extraSchema != nil {
			check(path+"."+k, extraSchema, x, errs, nil)
		}
	}
}

func kind(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return fmt.Sprintf("string %q", x)
	case json.Number:
		return "number " + x.String()
	case bool:
		return "boolean"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

// AnswerChecker returns a pvesim Options.Answered callback that fails t for
// every answer whose data does not conform to its endpoint's returns
// schema (each problem once per route), or nil when the schema is not
// available (the schema tests say so).
func AnswerChecker(t testing.TB) func(method, template string, data json.RawMessage) {
	s, err := Get()
	if err != nil {
		return nil
	}
	var mu sync.Mutex
	seen := map[string]bool{}
	return func(method, template string, data json.RawMessage) {
		ep := s.Endpoint(method, template)
		if ep == nil {
			return // TestRoutesMatchOfficialSchema reports it
		}
		for _, p := range ep.CheckReturn(data) {
			key := method + " " + template + " " + p
			mu.Lock()
			dup := seen[key]
			seen[key] = true
			mu.Unlock()
			if !dup {
				t.Errorf("simulator answer does not match the API schema: %s %s: %s", method, template, p)
			}
		}
	}
}
