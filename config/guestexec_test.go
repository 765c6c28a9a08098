package config_test

import (
	"strings"
	"testing"

	"github.com/pve-mcp/pve-mcp/config"
)

// PVE_GUEST_EXEC is off unless set to allow, and allow needs patterns that
// compile; each pattern must match the whole command line.
func TestGuestExecFromEnv(t *testing.T) {
	for _, c := range []struct {
		name    string
		env     map[string]string
		enabled bool
		err     string
	}{
		{"default deny", nil, false, ""},
		{"explicit deny", map[string]string{"PVE_GUEST_EXEC": " Deny "}, false, ""},
		{"deny ignores patterns", map[string]string{"PVE_GUEST_EXEC": "deny", "PVE_GUEST_EXEC_ALLOW": "uptime"}, false, ""},
		{"allow without patterns", map[string]string{"PVE_GUEST_EXEC": "allow"}, false, "PVE_GUEST_EXEC=allow needs PVE_GUEST_EXEC_ALLOW"},
		{"old file-write pattern", map[string]string{"PVE_GUEST_EXEC": "allow", "PVE_GUEST_EXEC_ALLOW": "uptime;;file-write /tmp/.*"}, false, "PVE_GUEST_WRITE_ALLOW"},
		{"bad write regex", map[string]string{"PVE_GUEST_EXEC": "allow", "PVE_GUEST_WRITE_ALLOW": "/tmp/(x"}, false, `PVE_GUEST_WRITE_ALLOW pattern "/tmp/(x"`},
		{"allow with blank patterns", map[string]string{"PVE_GUEST_EXEC": "allow", "PVE_GUEST_EXEC_ALLOW": " ;; \n "}, false, "needs PVE_GUEST_EXEC_ALLOW"},
		{"bad regex", map[string]string{"PVE_GUEST_EXEC": "allow", "PVE_GUEST_EXEC_ALLOW": "uptime;;cat (/etc"}, false, `pattern "cat (/etc"`},
		{"unknown value", map[string]string{"PVE_GUEST_EXEC": "yes"}, false, "use allow or deny"},
		{"allow", map[string]string{"PVE_GUEST_EXEC": "ALLOW", "PVE_GUEST_EXEC_ALLOW": "uptime;;systemctl status [a-z-]+\ncat /etc/os-release"}, true, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := config.FromEnv(envWith(c.env), false)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("err = %v, want %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			p := cfg.GuestExec
			if p.Enabled != c.enabled {
				t.Fatalf("enabled = %v, want %v", p.Enabled, c.enabled)
			}
			if !c.enabled {
				if err := p.Permit("uptime"); err == nil || !strings.Contains(err.Error(), "disabled") {
					t.Errorf("a disabled policy permitted uptime: %v", err)
				}
				return
			}
			for cmd, ok := range map[string]bool{
				"uptime": true, "systemctl status nginx": true, "cat /etc/os-release": true,
				"uptime -p":                       false, // anchored: no extra arguments
				"xuptime":                         false,
				"systemctl status nginx; reboot":  false,
				"systemctl status nginx\nreboot":  false,
				"systemctl stop nginx":            false,
				"cat /etc/os-release /etc/shadow": false,
				"cat /etc/os-release\n":           false,
			} {
				if err := p.Permit(cmd); (err == nil) != ok {
					t.Errorf("Permit(%q) = %v, want allowed %v", cmd, err, ok)
				}
			}
		})
	}
}

// File writes have their own list, deny by default: command patterns never
// permit one, and a write list permits no command.
func TestGuestWriteAllow(t *testing.T) {
	cfg, err := config.FromEnv(envWith(map[string]string{"PVE_GUEST_EXEC": "allow", "PVE_GUEST_EXEC_ALLOW": ".*"}), false)
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.GuestExec.PermitWrite("/var/log/syslog"); err == nil || !strings.Contains(err.Error(), "PVE_GUEST_WRITE_ALLOW") {
		t.Errorf("exec pattern .* permitted a write: %v", err)
	}
	cfg, err = config.FromEnv(envWith(map[string]string{"PVE_GUEST_EXEC": "allow", "PVE_GUEST_WRITE_ALLOW": "/etc/motd;;/tmp/[a-z]+"}), false)
	if err != nil {
		t.Fatal(err)
	}
	for path, ok := range map[string]bool{"/etc/motd": true, "/tmp/abc": true, "/etc/motd2": false, "/tmp/a/b": false, "/var/log/syslog": false} {
		if err := cfg.GuestExec.PermitWrite(path); (err == nil) != ok {
			t.Errorf("PermitWrite(%q) = %v, want allowed %v", path, err, ok)
		}
	}
	if err := cfg.GuestExec.Permit("/etc/motd"); err == nil {
		t.Error("a write pattern permitted a command")
	}
	cfg, _ = config.FromEnv(envWith(map[string]string{"PVE_GUEST_WRITE_ALLOW": "/etc/motd"}), false)
	if err := cfg.GuestExec.PermitWrite("/etc/motd"); err == nil || !strings.Contains(err.Error(), "PVE_GUEST_EXEC=allow") {
		t.Errorf("write permitted with PVE_GUEST_EXEC off: %v", err)
	}
}

// The documented variables are the ones read, with the documented default.
func TestGuestExecVarsDocumented(t *testing.T) {
	names := map[string]string{}
	for _, v := range config.GuestExecVars {
		names[v.Name] = v.Default
	}
	if d, ok := names["PVE_GUEST_EXEC"]; !ok || d != "deny" {
		t.Errorf("PVE_GUEST_EXEC documented with default %q (present %v), want deny", d, ok)
	}
	if _, ok := names["PVE_GUEST_EXEC_ALLOW"]; !ok {
		t.Error("PVE_GUEST_EXEC_ALLOW is not documented")
	}
}
