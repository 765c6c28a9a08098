package pvesim

import (
	"fmt"
	"strconv"
	"strings"
)

// The request a handler sees (Call) and the error answers it returns (APIError, fail, badParam).

// Call is one request being handled: its merged parameters (path and
// query/form) and helpers to read them.
type Call struct {
	Sim    *Sim
	Method string
	Path   string
	Values map[string][]string
	User   string // token owner user@realm!name
}

// Str returns a parameter ("" when absent).
func (c *Call) Str(name string) string {
	if v := c.Values[name]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// Has reports whether a parameter was sent.
func (c *Call) Has(name string) bool { _, ok := c.Values[name]; return ok }

// Int returns an integer parameter (0 when absent; the schema checked its type).
func (c *Call) Int(name string) int { n, _ := strconv.Atoi(c.Str(name)); return n }

// Bool returns a boolean parameter (false when absent).
func (c *Call) Bool(name string) bool { return boolish[strings.ToLower(c.Str(name))] }

// APIError is an error answer: the status and the message Proxmox puts in
// the reason phrase.
type APIError struct {
	Status  int
	Message string
	Errors  map[string]string
}

func (e *APIError) Error() string { return fmt.Sprintf("%d %s", e.Status, e.Message) }

// fail is a 500 with a message, Proxmox's answer for most refused operations.
func fail(format string, args ...any) error {
	return &APIError{Status: 500, Message: fmt.Sprintf(format, args...)}
}

// badParam is a 400 naming one parameter.
func badParam(name, msg string) error {
	return &APIError{Status: 400, Message: "Parameter verification failed.", Errors: map[string]string{name: msg}}
}
