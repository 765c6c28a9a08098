package pvesim

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// Patterns compile at first use now, so a broken one would panic in some
// handler instead of at init: every lazyRegexp pattern of the package's
// files must compile, and each must be a literal this test can read.
func TestLazyRegexpsCompile(t *testing.T) {
	matches, _ := filepath.Glob("*.go")
	fset := token.NewFileSet()
	n := 0
	for _, m := range matches {
		if strings.HasSuffix(m, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, m, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(node ast.Node) bool {
			call, ok := node.(*ast.CallExpr)
			if !ok {
				return true
			}
			if id, ok := call.Fun.(*ast.Ident); !ok || id.Name != "lazyRegexp" {
				return true
			}
			lit, ok := call.Args[0].(*ast.BasicLit)
			if !ok {
				t.Errorf("%s: lazyRegexp of a non-literal", fset.Position(call.Pos()))
				return true
			}
			expr, _ := strconv.Unquote(lit.Value)
			if _, err := regexp.Compile(expr); err != nil {
				t.Errorf("%s: %v", fset.Position(call.Pos()), err)
			}
			n++
			return true
		})
	}
	if n < 30 {
		t.Errorf("found %d patterns: the walk is broken", n)
	}
}
