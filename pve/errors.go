package pve

import (
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
)

// Error is a failed Proxmox API call. Proxmox puts its message in the HTTP
// reason phrase ("500 VM 101 not running") and per-parameter problems in an
// {"errors": {...}} map; both are kept so an agent can see exactly which
// property it got wrong.
type Error struct {
	Status  int               // HTTP status code (595/596 are pveproxy's own)
	Method  string            // GET, POST, PUT, DELETE
	Path    string            // API path below /api2/json, as sent
	Message string            // reason phrase or body message, credentials redacted
	Errors  map[string]string // per-parameter messages from {"errors": {...}}
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Proxmox %s %s failed: %d", e.Method, e.Path, e.Status)
	if e.Message != "" {
		b.WriteString(" ")
		b.WriteString(e.Message)
	}
	if len(e.Errors) > 0 {
		keys := make([]string, 0, len(e.Errors))
		for k := range e.Errors {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for i, k := range keys {
			sep := "; "
			if i == 0 {
				sep = ": "
			}
			fmt.Fprintf(&b, "%s%s: %s", sep, k, strings.TrimSpace(e.Errors[k]))
		}
	}
	switch e.Status {
	case http.StatusUnauthorized:
		b.WriteString(" (authentication failed: check PVE_TOKEN_ID and PVE_TOKEN_SECRET, and that the token is not expired)")
	case http.StatusForbidden:
		b.WriteString(" (the API token lacks a privilege; grant it with an ACL on the path named above, and note that a privilege-separated token needs its own ACL)")
	}
	return b.String()
}

// StatusOf returns the HTTP status of a Proxmox error, or 0 for any other error.
func StatusOf(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.Status
	}
	return 0
}

// ConnError is a failure to reach Proxmox at all: DNS, TCP, TLS or timeout.
type ConnError struct {
	Host string
	Err  error
}

func (e *ConnError) Error() string {
	return fmt.Sprintf("cannot reach Proxmox at %s: %v", e.Host, e.Err)
}

func (e *ConnError) Unwrap() error { return e.Err }
