package config

import (
	"fmt"
	"strings"

	"github.com/pve-mcp/pve-mcp/tools"
)

// GuestExecVars documents the guest-agent exec policy variables.
var GuestExecVars = []Var{
	{"PVE_GUEST_EXEC", "deny", "`allow` enables the guest-agent exec and file-write tools (tier full only)"},
	{"PVE_GUEST_EXEC_ALLOW", "", "regexes, one per line or separated by `;;`, each matched against the whole command line"},
	{"PVE_GUEST_WRITE_ALLOW", "", "regexes (same form) matched against the whole path a file write may replace; empty: every write is refused"},
}

func guestExecFromEnv(getenv func(string) string) (tools.GuestExecPolicy, error) {
	var p tools.GuestExecPolicy
	switch v := strings.ToLower(strings.TrimSpace(getenv("PVE_GUEST_EXEC"))); v {
	case "", "deny":
		return p, nil
	case "allow":
		p.Enabled = true
	default:
		return p, fmt.Errorf("PVE_GUEST_EXEC=%q: use allow or deny", v)
	}
	allow, err := tools.ParseGuestExecAllow(getenv("PVE_GUEST_EXEC_ALLOW"))
	if err != nil {
		return p, err
	}
	// Writes used to be allowed by "file-write <path>" command patterns;
	// such a pattern now belongs in the write list, and would match nothing.
	for _, re := range allow {
		if inner := strings.TrimSuffix(strings.TrimPrefix(re.String(), "^(?:"), ")$"); strings.HasPrefix(inner, "file-write") {
			return p, fmt.Errorf("PVE_GUEST_EXEC_ALLOW pattern %q: file writes have their own list now; put the path pattern (without \"file-write \") in PVE_GUEST_WRITE_ALLOW", inner)
		}
	}
	writes, err := tools.ParseGuestWriteAllow(getenv("PVE_GUEST_WRITE_ALLOW"))
	if err != nil {
		return p, err
	}
	if len(allow) == 0 && len(writes) == 0 {
		return p, fmt.Errorf("PVE_GUEST_EXEC=allow needs PVE_GUEST_EXEC_ALLOW (the commands, as regexes, that may run, e.g. 'uptime;;systemctl status [a-z-]+') or PVE_GUEST_WRITE_ALLOW (the paths that may be written)")
	}
	p.Allow, p.WriteAllow = allow, writes
	return p, nil
}
