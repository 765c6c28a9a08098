package main

import (
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"time"
)

// startupInstructions: callgrind's count of the instructions cmd/local
// -demo executes from exec to its exit after initialize and one tools/list,
// once per tool mode. Unlike wall time it is the same on a busy machine.
func startupInstructions(r *report, bins *binaries) error {
	if _, err := exec.LookPath("valgrind"); err != nil {
		r.note("valgrind is not installed: skipped (apt-get install valgrind)")
		return nil
	}
	bin, err := bins.get("./cmd/local")
	if err != nil {
		return err
	}
	collected := regexp.MustCompile(`Collected : (\d+)`)
	for _, m := range []struct{ mode, key, target string }{
		{"auto", "startup_minstr_compact", "<= 40 M"},
		{"all", "startup_minstr_all", ""},
	} {
		cmd := exec.Command("valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", bin, "-demo")
		// Go preempts goroutines with signals, which callgrind cannot follow,
		// and reads the clock with RDTSCP, which valgrind 3.19 cannot decode.
		s, err := startCommand(cmd, "PVE_TOOL_MODE="+m.mode, "GODEBUG=asyncpreemptoff=1,cpu.rdtscp=off")
		if err != nil {
			return err
		}
		err = s.initialize()
		var line []byte
		if err == nil {
			line, err = s.send("tools/list", map[string]any{}, true)
		}
		s.stopWithin(2 * time.Minute)
		<-s.stderr.done
		if err != nil {
			return fmt.Errorf("PVE_TOOL_MODE=%s under callgrind: %w", m.mode, err)
		}
		var n int64
		for _, l := range s.stderr.snapshot() {
			if sm := collected.FindStringSubmatch(l); sm != nil {
				n, _ = strconv.ParseInt(sm[1], 10, 64)
			}
		}
		if n == 0 {
			return fmt.Errorf("PVE_TOOL_MODE=%s: no callgrind total in its output", m.mode)
		}
		minstr := float64(n) / 1e6
		r.note("PVE_TOOL_MODE=%s: %.1f M instructions, start to exit after initialize and tools/list (%d bytes)", m.mode, minstr, len(line))
		r.figure(m.key, minstr, "M", m.target, m.target == "" || minstr <= 40)
	}
	return nil
}
