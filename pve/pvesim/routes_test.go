package pvesim

import (
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/pve-mcp/pve-mcp/internal/apischema"
)

// tableRoute is one route as the route table declares it, with the
// subtree entry that declared it.
type tableRoute struct {
	subtree, method, path string
}

// walkRouteTable registers each entry of the route table on its own and
// returns what each declared.
func walkRouteTable(t *testing.T) []tableRoute {
	t.Helper()
	s := New(Options{TokenID: "a@pve!t", TokenSecret: "x"})
	var out []tableRoute
	for _, sub := range subtrees {
		s.routes = nil
		sub.routes(s)
		if len(s.routes) == 0 {
			t.Errorf("subtree %s declares no route", sub.name)
		}
		for _, r := range s.routes {
			out = append(out, tableRoute{sub.name, r.method, r.template})
		}
	}
	return out
}

// overlap reports whether some request path matches both templates.
func overlap(a, b string) bool {
	as, bs := strings.Split(strings.Trim(a, "/"), "/"), strings.Split(strings.Trim(b, "/"), "/")
	if len(as) != len(bs) {
		return false
	}
	for i := range as {
		if as[i] != bs[i] && !strings.HasPrefix(as[i], "{") && !strings.HasPrefix(bs[i], "{") {
			return false
		}
	}
	return true
}

// TestRouteTable walks the route table: it is the only place routes come
// from, every declared method+path exists in the official API schema, and
// no two routes can answer the same request (so the table's order never
// decides which handler runs).
func TestRouteTable(t *testing.T) {
	api := apischema.Load(t)
	table := walkRouteTable(t)

	served := map[string]bool{}
	for _, r := range New(Options{TokenID: "a@pve!t", TokenSecret: "x"}).Routes() {
		served[r.Method+" "+r.Path] = true
	}
	if len(served) != len(table) {
		t.Errorf("New serves %d routes, the route table declares %d", len(served), len(table))
	}

	names := map[string]bool{}
	for _, sub := range subtrees {
		if names[sub.name] {
			t.Errorf("subtree %s listed twice", sub.name)
		}
		names[sub.name] = true
	}

	for i, r := range table {
		if !served[r.method+" "+r.path] {
			t.Errorf("%s %s (subtree %s): declared but not served", r.method, r.path, r.subtree)
		}
		if api.Endpoint(r.method, r.path) == nil {
			t.Errorf("%s %s (subtree %s): not in the API schema", r.method, r.path, r.subtree)
		}
		for _, o := range table[i+1:] {
			if o.method == r.method && overlap(o.path, r.path) {
				t.Errorf("%s %s (subtree %s) collides with %s (subtree %s)", r.method, r.path, r.subtree, o.path, o.subtree)
			}
		}
	}
	for _, r := range table {
		if owners := ownersOf(r.path); !slices.Contains(owners, r.subtree) {
			t.Errorf("%s %s is declared by %s, but the table gives its path to %v", r.method, r.path, r.subtree, owners)
		}
	}
	if len(table) < 150 {
		t.Errorf("route table walk found only %d routes", len(table))
	}
	t.Logf("%d routes in %d subtrees; the schema has %d endpoints", len(table), len(subtrees), len(api.Endpoints))
}

// ownersOf returns the subtree entries owning the longest prefix of path.
func ownersOf(path string) []string {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	best, owners := 0, []string(nil)
	for _, sub := range subtrees {
		for _, p := range sub.paths {
			ps := strings.Split(strings.Trim(p, "/"), "/")
			if len(ps) > len(segs) || !slices.Equal(ps, segs[:len(ps)]) {
				continue
			}
			switch {
			case len(ps) > best:
				best, owners = len(ps), []string{sub.name}
			case len(ps) == best && !slices.Contains(owners, sub.name):
				owners = append(owners, sub.name)
			}
		}
	}
	return owners
}

// TestRouteTableFiles: each entry's routes are registered in the file the
// entry is named for, so "which file serves /cluster/ha?" has one answer.
func TestRouteTableFiles(t *testing.T) {
	for _, sub := range subtrees {
		fn := runtime.FuncForPC(reflect.ValueOf(sub.routes).Pointer())
		file, _ := fn.FileLine(fn.Entry())
		if got := filepath.Base(file); got != sub.name+".go" {
			t.Errorf("subtree %s: routes registered by %s in %s, want %s.go", sub.name, fn.Name(), got, sub.name)
		}
	}
}

func TestOverlap(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"/nodes/{node}/qemu", "/nodes/{node}/qemu", true},
		{"/nodes/{node}/qemu/{vmid}", "/nodes/{node}/qemu/status", true},
		{"/nodes/{node}/qemu", "/nodes/{node}/lxc", false},
		{"/pools", "/pools/{poolid}", false},
	} {
		if got := overlap(tc.a, tc.b); got != tc.want {
			t.Errorf("overlap(%q, %q) = %v", tc.a, tc.b, got)
		}
	}
}
