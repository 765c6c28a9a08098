package pvesim

import (
	"regexp"
	"sync"
)

// lazyRegexp defers compiling a pattern to its first use. The package's
// forty patterns, compiled at init, cost every binary importing pvesim
// (the stdio runner imports it for -demo) milliseconds of start-up,
// though most runs never reach a simulated endpoint.
func lazyRegexp(expr string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
}
