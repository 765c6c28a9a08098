package tools

import (
	"fmt"
	"regexp"
	"strings"
)

// GuestExecPolicy decides whether the guest-agent exec and file-write tools
// may run. They are off unless PVE_GUEST_EXEC=allow; then a command line
// must match one of the PVE_GUEST_EXEC_ALLOW patterns, and a file write's
// path one of the PVE_GUEST_WRITE_ALLOW patterns (each anchored to the
// whole line or path). The two lists are separate: a pattern written for
// commands must never let a write overwrite a file.
type GuestExecPolicy struct {
	Enabled bool
	Allow   []*regexp.Regexp
	// WriteAllow are the paths pve_write_qemu_agent_file may write; none
	// (the default) refuses every write.
	WriteAllow []*regexp.Regexp
}

// ParseGuestExecAllow compiles a list of patterns separated by newlines or
// ";;" (commas and semicolons are common inside regexes, so not those).
func ParseGuestExecAllow(s string) ([]*regexp.Regexp, error) {
	return parsePatterns("PVE_GUEST_EXEC_ALLOW", s)
}

// ParseGuestWriteAllow is ParseGuestExecAllow for PVE_GUEST_WRITE_ALLOW.
func ParseGuestWriteAllow(s string) ([]*regexp.Regexp, error) {
	return parsePatterns("PVE_GUEST_WRITE_ALLOW", s)
}

func parsePatterns(variable, s string) ([]*regexp.Regexp, error) {
	var out []*regexp.Regexp
	for _, part := range strings.FieldsFunc(strings.ReplaceAll(s, ";;", "\n"), func(r rune) bool { return r == '\n' }) {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		re, err := regexp.Compile("^(?:" + part + ")$")
		if err != nil {
			return nil, fmt.Errorf("%s pattern %q: %v", variable, part, err)
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

// PermitWrite reports whether a file at path may be written.
func (p GuestExecPolicy) PermitWrite(path string) error {
	if !p.Enabled {
		return p.Permit("")
	}
	for _, re := range p.WriteAllow {
		if re.MatchString(path) {
			return nil
		}
	}
	if len(p.WriteAllow) == 0 {
		return fmt.Errorf("guest file writes are disabled on this server: list the paths that may be written in PVE_GUEST_WRITE_ALLOW (regexes, e.g. '/etc/motd;;/tmp/[a-z0-9._-]+'); %q was not written", path)
	}
	return fmt.Errorf("path %q matches no PVE_GUEST_WRITE_ALLOW pattern; it was not written", path)
}
