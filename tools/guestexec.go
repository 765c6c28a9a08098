package tools

import (
	"fmt"
	"regexp"
	"strings"
)

// GuestExecPolicy decides whether the guest-agent exec and file-write tools
// may run a command. They are off unless PVE_GUEST_EXEC=allow, and then a
// command line must match one of the PVE_GUEST_EXEC_ALLOW patterns (each
// anchored to the whole command line).
type GuestExecPolicy struct {
	Enabled bool
	Allow   []*regexp.Regexp
}

// ParseGuestExecAllow compiles a list of patterns separated by newlines or
// ";;" (commas and semicolons are common inside regexes, so not those).
func ParseGuestExecAllow(s string) ([]*regexp.Regexp, error) {
	var out []*regexp.Regexp
	for _, part := range strings.FieldsFunc(strings.ReplaceAll(s, ";;", "\n"), func(r rune) bool { return r == '\n' }) {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		re, err := regexp.Compile("^(?:" + part + ")$")
		if err != nil {
			return nil, fmt.Errorf("PVE_GUEST_EXEC_ALLOW pattern %q: %v", part, err)
		}
		out = append(out, re)
	}
	return out, nil
}

// Permit reports whether the command line (argv joined by single spaces) may run.
func (p GuestExecPolicy) Permit(cmdline string) error {
	if !p.Enabled {
		return fmt.Errorf("guest command execution is disabled on this server (set PVE_GUEST_EXEC=allow and PVE_GUEST_EXEC_ALLOW to enable it)")
	}
	for _, re := range p.Allow {
		if re.MatchString(cmdline) {
			return nil
		}
	}
	return fmt.Errorf("command %q matches no PVE_GUEST_EXEC_ALLOW pattern; it was not run", cmdline)
}
