package pvesim

import (
	"go/ast"
	"regexp"
	"strconv"
	"testing"
)

// Patterns compile at first use now, so a broken one would panic in some
// handler instead of at init: every lazyRegexp pattern of the package's
// files must compile, and each must be a literal this test can read.
func TestLazyRegexpsCompile(t *testing.T) {
	fset, files := parseOwnFiles(t)
	n := 0
	for _, f := range files {
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
