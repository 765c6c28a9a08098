package boot

import (
	"runtime/debug"
)

// gcPercent is the runners' GOGC unless the environment sets one. Start-up
// allocates a little over the runtime's first 4 MB heap goal (most of it
// short-lived encoding buffers in the MCP SDK), so at the default of 100 a
// collection runs before the first tools/list answer: a third of the
// instructions from exec to that answer (bench/ "instructions"). At 200 the
// first goal is 8 MB and none runs; the steady-state heap stays a few MB
// (bench/ "memory" checks the peak RSS).
const gcPercent = 200

func tuneGC(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
}
