package tools

import (
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/jsonschema-go/jsonschema"
	"github.com/pve-mcp/pve-mcp/internal/apischema"
	"github.com/pve-mcp/pve-mcp/pve"
)

// TestToolsMatchOfficialSchema proves every Proxmox call a tool can make is
// valid against the official API schema: the endpoint exists, each input
// field sent to it is a parameter of it, with a compatible type, an enum no
// wider than Proxmox's and bounds no looser than Proxmox's.
func TestToolsMatchOfficialSchema(t *testing.T) {
	api := apischema.Load(t)
	for _, tool := range All() {
		t.Run(tool.Name, func(t *testing.T) {
			var eps []*apischema.Endpoint
			for _, c := range tool.Calls {
				ep := api.Endpoint(c.Method, c.Path)
				if ep == nil {
					t.Fatalf("%s %s is not in the API schema", c.Method, c.Path)
				}
				if c == resourcesCall && needsNodeLookup(tool.Input, tool.Calls) {
					continue // the node lookup sends type=vm, never the tool's fields
				}
				if slices.Contains(tool.confirmReads, c) || slices.Contains(tool.planReads, c) {
					continue // the confirmation's and the planner's reads send none of the tool's fields
				}
				eps = append(eps, ep)
			}
			startsTask := false
			for _, c := range tool.Calls {
				startsTask = startsTask || api.ReturnsUPID(c.Method, c.Path)
			}
			if startsTask != tool.Task {
				t.Errorf("Spec.Task = %v, but its calls %s start a task (endpoints.tsv)", tool.Task, map[bool]string{true: "do", false: "do not"}[startsTask])
			}
			for _, f := range pve.Fields(tool.Input) {
				if f.Extra || (f.API == "" && !isPlaceholderOf(f.JSON, eps)) {
					continue
				}
				found := false
				for _, ep := range eps {
					if ep.IsPlaceholder(f.JSON) {
						found = true
						continue
					}
					p := ep.Param(f.API)
					if p == nil {
						continue
					}
					found = true
					if err := compatible(tool.Input, f, p); err != nil {
						t.Errorf("field %s -> %s %s parameter %s: %v", f.JSON, ep.Method, ep.Path, f.API, err)
					}
				}
				if !found {
					t.Errorf("field %s (sent as %q) is a parameter of none of %v", f.JSON, f.API, tool.Calls)
				}
			}
		})
	}
}

func isPlaceholderOf(name string, eps []*apischema.Endpoint) bool {
	for _, ep := range eps {
		if ep.IsPlaceholder(name) {
			return true
		}
	}
	return false
}

func compatible(in reflect.Type, f pve.Field, p *apischema.Param) error {
	t := f.Type
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	var got string
	switch t.Kind() {
	case reflect.String:
		got = "string"
	case reflect.Bool:
		got = "boolean"
	case reflect.Int, reflect.Int64, reflect.Int32:
		got = "integer"
	case reflect.Float64:
		got = "number"
	case reflect.Slice:
		got = "array"
		if f.Join {
			got = "string"
		}
	default:
		return fmt.Errorf("unsupported Go type %s", t)
	}
	ok := got == p.Type || (got == "integer" && p.Type == "number") || (got == "string" && p.Type == "") ||
		(got == "integer" && p.Type == "string" && p.DefaultKey == "integer") // memory: "[current=]<integer>"
	if got == "array" && p.Type == "string" && strings.HasSuffix(p.Format, "-list") {
		ok = false // send -list formats with ,join
	}
	if !ok {
		return fmt.Errorf("Go %s sends %s, Proxmox wants %s", t, got, p.Type)
	}
	sf := fieldByJSON(in, f.JSON)
	if enum, has := sf.Tag.Lookup("enum"); has && len(p.Enum) > 0 {
		for _, v := range strings.Split(enum, "|") {
			if !slices.Contains(p.Enum, v) {
				return fmt.Errorf("enum value %q is not in Proxmox's enum %v", v, p.Enum)
			}
		}
	}
	if v, has := sf.Tag.Lookup("min"); has && p.Min != nil {
		var n float64
		fmt.Sscan(v, &n)
		if n < *p.Min {
			return fmt.Errorf("min %v is below Proxmox's minimum %v", n, *p.Min)
		}
	}
	if v, has := sf.Tag.Lookup("max"); has && p.Max != nil {
		var n float64
		fmt.Sscan(v, &n)
		if n > *p.Max {
			return fmt.Errorf("max %v is above Proxmox's maximum %v", n, *p.Max)
		}
	}
	if v, has := sf.Tag.Lookup("minlen"); has && p.MinLength != nil {
		var n float64
		fmt.Sscan(v, &n)
		if n < *p.MinLength {
			return fmt.Errorf("minlen %v is below Proxmox's minLength %v", n, *p.MinLength)
		}
	}
	if v, has := sf.Tag.Lookup("maxlen"); has && p.MaxLength != nil {
		var n float64
		fmt.Sscan(v, &n)
		if n > *p.MaxLength {
			return fmt.Errorf("maxlen %v is above Proxmox's maxLength %v", n, *p.MaxLength)
		}
	}
	return nil
}

func fieldByJSON(t reflect.Type, name string) reflect.StructField {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	for _, f := range pve.Fields(t) {
		if f.JSON == name {
			return t.FieldByIndex(f.Index)
		}
	}
	return reflect.StructField{}
}

// TestToolsAsStrictAsSchema is the other half of TestToolsMatchOfficialSchema:
// where Proxmox constrains a parameter (enum, minimum, maximum, pattern,
// minLength, maxLength), the
// tool's input schema constrains it too, so an agent cannot build a call
// Proxmox would refuse. A long enum may be written as a pattern; then the
// pattern must accept every value and refuse the next number past a
// numbered family's end (scsi31, mp256) and zero-padded forms (scsi01).
func TestToolsAsStrictAsSchema(t *testing.T) {
	api := apischema.Load(t)
	for _, tool := range All() {
		for _, c := range tool.Calls {
			ep := api.Endpoint(c.Method, c.Path)
			if ep == nil || (c == resourcesCall && needsNodeLookup(tool.Input, tool.Calls)) || slices.Contains(tool.confirmReads, c) || slices.Contains(tool.planReads, c) {
				continue
			}
			for _, f := range pve.Fields(tool.Input) {
				if f.Extra || f.Join {
					continue
				}
				name := f.API
				if ep.IsPlaceholder(f.JSON) {
					name = f.JSON
				}
				p := ep.Param(name)
				if p == nil {
					continue
				}
				sf := fieldByJSON(tool.Input, f.JSON)
				_, hasEnum := sf.Tag.Lookup("enum")
				pattern, hasPattern := sf.Tag.Lookup("pattern")
				where := fmt.Sprintf("%s.%s (%s %s %s)", tool.Name, f.JSON, c.Method, c.Path, name)
				if len(p.Enum) > 0 && !hasEnum {
					if !hasPattern {
						t.Errorf("%s: Proxmox allows only %d values; the tool needs an enum or pattern", where, len(p.Enum))
					} else if err := patternIsEnum(pattern, p.Enum); err != nil {
						t.Errorf("%s: %v", where, err)
					}
				}
				if p.Pattern != "" && !hasPattern && !hasEnum {
					t.Errorf("%s: Proxmox checks pattern %s; the tool has none", where, p.Pattern)
				}
				if _, has := sf.Tag.Lookup("min"); p.Min != nil && !has && !hasEnum {
					t.Errorf("%s: Proxmox's minimum is %v; the tool has none", where, *p.Min)
				}
				if _, has := sf.Tag.Lookup("max"); p.Max != nil && !has && !hasEnum {
					t.Errorf("%s: Proxmox's maximum is %v; the tool has none", where, *p.Max)
				}
				if _, has := sf.Tag.Lookup("minlen"); p.MinLength != nil && !has && !hasEnum {
					t.Errorf("%s: Proxmox's minLength is %v; the tool has none (minlen tag)", where, *p.MinLength)
				}
				if _, has := sf.Tag.Lookup("maxlen"); p.MaxLength != nil && !has && !hasEnum {
					t.Errorf("%s: Proxmox's maxLength is %v; the tool has none (maxlen tag)", where, *p.MaxLength)
				}
			}
		}
	}
}

var numbered = regexp.MustCompile(`^(\D+)(\d+)$`)

// patternIsEnum checks that pattern accepts exactly the enum among the
// values and their near misses.
func patternIsEnum(pattern string, enum []string) error {
	re, err := regexp.Compile(pattern)
	if err != nil {
		return err
	}
	var misses []string
	for _, v := range enum {
		if !re.MatchString(v) {
			return fmt.Errorf("pattern %s refuses Proxmox's value %q", pattern, v)
		}
		if m := numbered.FindStringSubmatch(v); m != nil {
			n, _ := strconv.Atoi(m[2])
			misses = append(misses, m[1]+strconv.Itoa(n+1), m[1]+"0"+m[2])
		}
	}
	misses = append(misses, "", "x", enum[0]+"x", " "+enum[0])
	for _, v := range misses {
		if !slices.Contains(enum, v) && re.MatchString(v) {
			return fmt.Errorf("pattern %s accepts %q, which Proxmox refuses", pattern, v)
		}
	}
	return nil
}

// Lengths Proxmox sets are checked before any call: a 3-character password
// Proxmox would refuse never reaches it, and the agent learns the bound.
func TestLengthsEnforced(t *testing.T) {
	e := newTestEnv(t, Selection{Tier: Full})
	msg := e.fails("pve_create_user", map[string]any{"userid": "carol@pve", "password": "abc"})
	if !strings.Contains(msg, "password") || !strings.Contains(strings.ToLower(msg), "length") {
		t.Errorf("short password: %s", msg)
	}
	msg = e.fails("pve_create_qemu_snapshot", map[string]any{"vmid": 100, "snapname": "s" + strings.Repeat("x", 40)})
	if !strings.Contains(msg, "snapname") {
		t.Errorf("long snapname: %s", msg)
	}
	if r := e.sim.Find("POST", "/access/users"); r != nil {
		t.Fatalf("a refused call reached Proxmox: %+v", r)
	}
	def, err := toolNamed(t, "pve_create_user").MCP()
	if err != nil {
		t.Fatal(err)
	}
	pw := def.InputSchema.(*jsonschema.Schema).Properties["password"]
	if pw.MinLength == nil || *pw.MinLength != 8 || pw.MaxLength == nil || *pw.MaxLength != 64 {
		t.Errorf("password schema %+v", pw)
	}
}

func toolNamed(t *testing.T, name string) *Tool {
	for _, tool := range All() {
		if tool.Name == name {
			return tool
		}
	}
	t.Fatalf("no tool %s", name)
	return nil
}
