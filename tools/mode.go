package tools

import (
	"fmt"
	"strings"
)

// Mode says how a server presents its tools in tools/list.
type Mode int

const (
	// ModeAuto is ModeAll for a small selection, else ModeCompact.
	ModeAuto Mode = iota
	// ModeAll lists every selected tool (the reference server's behaviour).
	ModeAll
	// ModeCompact lists a few core tools, pve_search_tools and one
	// dispatcher per safety class; every other selected tool is found by
	// search and called through its dispatcher.
	ModeCompact
)

// AutoAllMax is the largest selection ModeAuto lists in full. Some clients
// cap a server at about 40 tools, and past that the list costs more context
// than the compact surface plus a search.
const AutoAllMax = 40

var modeNames = []string{"auto", "all", "compact"}

func (m Mode) String() string {
	if m < 0 || int(m) >= len(modeNames) {
		return fmt.Sprintf("Mode(%d)", int(m))
	}
	return modeNames[m]
}

// ParseMode reads PVE_TOOL_MODE; empty is auto.
func ParseMode(s string) (Mode, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return ModeAuto, nil
	}
	for i, n := range modeNames {
		if strings.EqualFold(s, n) {
			return Mode(i), nil
		}
	}
	return 0, fmt.Errorf("unknown tool mode %q: valid modes are %s", s, strings.Join(modeNames, ", "))
}

// For resolves auto for a selection of n tools: it never returns ModeAuto.
func (m Mode) For(n int) Mode {
	if m != ModeAuto {
		return m
	}
	if n <= AutoAllMax {
		return ModeAll
	}
	return ModeCompact
}
