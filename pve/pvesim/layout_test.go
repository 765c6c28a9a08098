package pvesim

import (
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// layerOf places each source file of the simulator in its layer. Calls
// flow downward only: route files (one per subtree, see subtrees) call the
// router, the helpers they share and the state model, never each other; the
// state model never calls a route file. A new file must be placed here.
// stubImporter answers every import with an empty package.
type stubImporter struct{}

func (stubImporter) Import(path string) (*types.Package, error) {
	p := types.NewPackage(path, filepath.Base(path))
	p.MarkComplete()
	return p, nil
}

func layerOf(file string) (int, bool) {
	switch {
	case slices.Contains(bottomFiles, file):
		return 0, true // request, errors, value formats, parameter checks
	case file == "state.go" || strings.HasPrefix(file, "state_"):
		return 1, true // the cluster state model
	case file == "guest_ops.go" || file == "guest_disks.go" || file == "restore.go":
		return 2, true // operations the qemu and lxc routes share
	case file == "sim.go":
		return 3, true // the router
	case file == "routes.go" || file == "demo.go":
		return 5, true // the tables and the demo server
	}
	for _, sub := range subtrees {
		if file == sub.name+".go" {
			return 4, true // one file per API subtree
		}
	}
	return 0, false
}

// bottomFiles are the lowest layer: what every other file may use.
var bottomFiles = []string{"call.go", "params.go", "status.go", "doc.go", "formats.go", "digests.go", "collections.go", "regexps.go"}

const routeLayer = 4

// parseOwnFiles parses the package's source files, tests left out.
func parseOwnFiles(t *testing.T) (*token.FileSet, []*ast.File) {
	t.Helper()
	fset := token.NewFileSet()
	matches, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var files []*ast.File
	for _, m := range matches {
		if strings.HasSuffix(m, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, m, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	return fset, files
}

// TestCallsFlowDownward type-checks the package's own files and fails on a
// call from a file to one in a higher layer, or between two subtree files.
func TestCallsFlowDownward(t *testing.T) {
	fset, files := parseOwnFiles(t)
	for _, f := range files {
		m := filepath.Base(fset.Position(f.Pos()).Filename)
		if _, ok := layerOf(m); !ok {
			t.Errorf("%s: not placed in a layer (see layerOf)", m)
		}
	}
	info := &types.Info{Uses: map[*ast.Ident]types.Object{}, Defs: map[*ast.Ident]types.Object{}}
	// Only the package's own names matter, so imports are stubbed (type
	// errors about them are expected and ignored); type-checking the
	// standard library from source would cost seconds.
	conf := types.Config{Importer: stubImporter{}, Error: func(error) {}}
	conf.Check("pvesim", fset, files, info)
	fileOf := map[types.Object]string{}
	for _, f := range files {
		for _, d := range f.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok {
				fileOf[info.Defs[fd.Name]] = filepath.Base(fset.Position(fd.Pos()).Filename)
			}
		}
	}
	calls := 0
	for _, f := range files {
		from := filepath.Base(fset.Position(f.Pos()).Filename)
		lf, _ := layerOf(from)
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Body == nil {
				continue
			}
			ast.Inspect(fd.Body, func(n ast.Node) bool {
				id, ok := n.(*ast.Ident)
				if !ok {
					return true
				}
				to, ok := fileOf[info.Uses[id]]
				if !ok || to == from {
					return true
				}
				calls++
				lt, _ := layerOf(to)
				switch {
				case lt > lf:
					t.Errorf("%s: %s calls %s in %s, a higher layer", fset.Position(id.Pos()), fd.Name.Name, id.Name, to)
				case lt == routeLayer && lf == routeLayer:
					t.Errorf("%s: %s calls %s in %s, another subtree's file", fset.Position(id.Pos()), fd.Name.Name, id.Name, to)
				}
				return true
			})
		}
	}
	if calls < 100 {
		t.Errorf("found only %d cross-file calls: the walk is broken", calls)
	}
}
