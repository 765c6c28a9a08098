// Package apischema reads the official Proxmox VE API schema (apidoc.json)
// for tests. The file is never part of this repository: tests find it at
// $PVE_API_SCHEMA or ../shared/pve-api/apidoc.json beside the checkout, and
// skip with a clear message when neither exists.
package apischema

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
)

// Param is one parameter of an endpoint.
type Param struct {
	Name     string
	Type     string
	Optional bool
	Enum     []string
	Min, Max *float64
	// MinLength and MaxLength bound a string's length.
	MinLength, MaxLength *float64
	Pattern              string
	Format               string
	// DefaultKey is the type of a property string's default key
	// (memory is "[current=]<integer>": a bare integer is valid), or "".
	DefaultKey string
}

// Endpoint is one (method, path) of the API.
type Endpoint struct {
	Method, Path string
	Params       map[string]*Param
	ReturnsType  string
	// Returns is the schema of the answer's data (nil when absent).
	Returns *Value
}

// Schema indexes the API by "METHOD /path/{template}".
type Schema struct {
	Endpoints map[string]*Endpoint
	// upid holds the endpoints that return a task UPID, from endpoints.tsv
	// beside apidoc.json (the schema has no async flag; see SOURCE.md).
	upid map[string]bool
}

// ReturnsUPID reports whether an endpoint starts a task and returns its UPID.
func (s *Schema) ReturnsUPID(method, path string) bool { return s.upid[method+" "+path] }

var (
	once   sync.Once
	loaded *Schema
	path   string
	err    error
)

// Path returns where the schema was looked for and found ("" if not found).
func find() string {
	if p := os.Getenv("PVE_API_SCHEMA"); p != "" {
		return p
	}
	dir, _ := os.Getwd()
	for i := 0; i < 6; i++ {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "..", "shared", "pve-api", "apidoc.json")
		}
		dir = filepath.Dir(dir)
	}
	return ""
}

// Get returns the schema, or an error when it is not available, for
// helpers that check what they can without skipping a test.
func Get() (*Schema, error) {
	once.Do(func() {
		path = find()
		loaded, err = read(path)
	})
	return loaded, err
}

// Load returns the schema or skips the test when it is not available. With
// PVE_API_SCHEMA_REQUIRED=1 (set by .ci/run) a missing schema fails instead.
func Load(t testing.TB) *Schema {
	t.Helper()
	if _, err := Get(); err != nil {
		msg := fmt.Sprintf("official Proxmox API schema not available (%v): set PVE_API_SCHEMA to apidoc.json to run this test", err)
		if os.Getenv("PVE_API_SCHEMA_REQUIRED") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return loaded
}

type node struct {
	Path     string                     `json:"path"`
	Info     map[string]json.RawMessage `json:"info"`
	Children []node                     `json:"children"`
}

type info struct {
	Parameters struct {
		Properties map[string]struct {
			Type     string `json:"type"`
			Optional any    `json:"optional"`
			Enum     []any  `json:"enum"`
			Minimum  any    `json:"minimum"`
			Maximum  any    `json:"maximum"`
			Pattern  string `json:"pattern"`
			Format   any    `json:"format"`
			MinLen   any    `json:"minLength"`
			MaxLen   any    `json:"maxLength"`
		} `json:"properties"`
	} `json:"parameters"`
	Returns *Value `json:"returns"`
}

func read(p string) (*Schema, error) {
	if p == "" {
		return nil, fmt.Errorf("no go.mod found above the working directory")
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, err
	}
	var roots []node
	if err := json.Unmarshal(b, &roots); err != nil {
		return nil, fmt.Errorf("%s: %v", p, err)
	}
	s := &Schema{Endpoints: map[string]*Endpoint{}}
	var walk func(n node) error
	walk = func(n node) error {
		for method, raw := range n.Info {
			var in info
			if err := json.Unmarshal(raw, &in); err != nil {
				return fmt.Errorf("%s %s: %v", method, n.Path, err)
			}
			e := &Endpoint{Method: method, Path: n.Path, Params: map[string]*Param{}, Returns: in.Returns}
			if in.Returns != nil {
				e.ReturnsType = in.Returns.Type
			}
			for name, pp := range in.Parameters.Properties {
				f, _ := pp.Format.(string)
				defaultKey := ""
				if m, ok := pp.Format.(map[string]any); ok {
					for _, sub := range m {
						if sm, ok := sub.(map[string]any); ok && truthy(sm["default_key"]) {
							defaultKey, _ = sm["type"].(string)
						}
					}
				}
				var enum []string
				for _, v := range pp.Enum {
					enum = append(enum, fmt.Sprint(v))
				}
				e.Params[name] = &Param{Name: name, Type: pp.Type, Optional: truthy(pp.Optional), Enum: enum,
					Min: number(pp.Minimum), Max: number(pp.Maximum), MinLength: number(pp.MinLen), MaxLength: number(pp.MaxLen), Pattern: pp.Pattern, Format: f, DefaultKey: defaultKey}
			}
			s.Endpoints[method+" "+n.Path] = e
		}
		for _, c := range n.Children {
			if err := walk(c); err != nil {
				return err
			}
		}
		return nil
	}
	for _, r := range roots {
		if err := walk(r); err != nil {
			return nil, err
		}
	}
	tsv, err := os.ReadFile(filepath.Join(filepath.Dir(p), "endpoints.tsv"))
	if err != nil {
		return nil, fmt.Errorf("endpoints.tsv beside the schema: %v", err)
	}
	s.upid = map[string]bool{}
	for _, line := range strings.Split(string(tsv), "\n") {
		f := strings.Split(line, "\t")
		if len(f) >= 5 && f[4] == "yes" {
			s.upid[f[0]+" "+f[1]] = true
		}
	}
	return s, nil
}

// number reads a bound the schema writes as a number or a numeric string.
func number(v any) *float64 {
	switch x := v.(type) {
	case float64:
		return &x
	case string:
		var f float64
		if _, err := fmt.Sscan(x, &f); err == nil {
			return &f
		}
	}
	return nil
}

func truthy(v any) bool {
	switch x := v.(type) {
	case bool:
		return x
	case float64:
		return x != 0
	case string:
		return x == "1" || x == "true"
	}
	return false
}

// Endpoint returns the endpoint or nil.
func (s *Schema) Endpoint(method, path string) *Endpoint {
	return s.Endpoints[method+" "+path]
}

var indexed = regexp.MustCompile(`^(.*?)(\d+)$`)

// Param finds a parameter by the name a request uses: net0 matches net[n].
func (e *Endpoint) Param(name string) *Param {
	if p, ok := e.Params[name]; ok {
		return p
	}
	if m := indexed.FindStringSubmatch(name); m != nil {
		if p, ok := e.Params[m[1]+"[n]"]; ok {
			return p
		}
	}
	return nil
}

// IsPlaceholder reports whether name is a {placeholder} of the endpoint's path.
func (e *Endpoint) IsPlaceholder(name string) bool {
	return strings.Contains(e.Path, "{"+name+"}")
}
