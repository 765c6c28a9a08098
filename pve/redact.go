package pve

import "strings"

// Redacted replaces every secret in text the client hands back.
const Redacted = "[REDACTED]"

// Redactor replaces secrets with [REDACTED]. Every string the client hands
// back (errors, bodies) passes through one, so a Proxmox that echoes the
// Authorization header or the token id can never leak it to an agent.
type Redactor struct {
	r *strings.Replacer
}

// NewRedactor redacts each non-empty secret, longest first so a secret that
// contains another is replaced whole.
func NewRedactor(secrets ...string) *Redactor {
	var pairs []string
	seen := map[string]bool{}
	var list []string
	for _, s := range secrets {
		if len(s) >= 4 && !seen[s] {
			seen[s] = true
			list = append(list, s)
		}
	}
	// longest first
	for i := 1; i < len(list); i++ {
		for j := i; j > 0 && len(list[j]) > len(list[j-1]); j-- {
			list[j], list[j-1] = list[j-1], list[j]
		}
	}
	for _, s := range list {
		pairs = append(pairs, s, Redacted)
	}
	if len(pairs) == 0 {
		return &Redactor{}
	}
	return &Redactor{r: strings.NewReplacer(pairs...)}
}

// String returns s with every secret replaced.
func (r *Redactor) String(s string) string {
	if r == nil || r.r == nil {
		return s
	}
	return r.r.Replace(s)
}

// Bytes is String for byte slices; it returns b itself when nothing matched.
func (r *Redactor) Bytes(b []byte) []byte {
	if r == nil || r.r == nil {
		return b
	}
	s := string(b)
	out := r.r.Replace(s)
	if out == s {
		return b
	}
	return []byte(out)
}
