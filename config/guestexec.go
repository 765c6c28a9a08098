package config

import (
	"fmt"
	"strings"

	"github.com/pve-mcp/pve-mcp/tools"
)

// GuestExecVars documents the guest-agent exec policy variables.
var GuestExecVars = []Var{
	{"PVE_GUEST_EXEC", "deny", "`allow` enables the guest-agent exec and file-write tools (tier full only)"},
	{"PVE_GUEST_EXEC_ALLOW", "", "regexes, one per line or separated by `;;`, each matched against the whole command line; required with `allow`"},
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
	if len(allow) == 0 {
		return p, fmt.Errorf("PVE_GUEST_EXEC=allow needs PVE_GUEST_EXEC_ALLOW: list the commands (regexes) that may run, e.g. 'uptime;;systemctl status [a-z-]+'")
	}
	p.Allow = allow
	return p, nil
}
