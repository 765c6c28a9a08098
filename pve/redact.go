package pve

import (
	"bytes"
	"slices"
	"strconv"
)

// Redacted replaces every secret in text the client hands back.
const Redacted = "[REDACTED]"

// Redactor replaces secrets with [REDACTED]. Every string the client hands
// back (errors, bodies) passes through one, so a Proxmox that echoes the
// Authorization header or the token secret can never leak it to an agent.
//
// Matching ignores ASCII case and sees through JSON \uXXXX and URL %XX
// escapes of ASCII characters: an upper-cased copy of the secret, or one
// escaped inside a JSON string (which a decoder turns back into the plain
// secret), is a copy all the same.
type Redactor struct {
	secrets [][]byte // ASCII lower case, longest first
}

// NewRedactor redacts each secret of 4 bytes or more, longest first so a
// secret that contains another is replaced whole.
func NewRedactor(secrets ...string) *Redactor {
	r := &Redactor{}
	seen := map[string]bool{}
	for _, s := range secrets {
		low := string(asciiLower([]byte(s)))
		if len(s) >= 4 && !seen[low] {
			seen[low] = true
			r.secrets = append(r.secrets, []byte(low))
		}
	}
	slices.SortStableFunc(r.secrets, func(a, b []byte) int { return len(b) - len(a) })
	return r
}

// String returns s with every secret replaced.
func (r *Redactor) String(s string) string {
	if r == nil || len(r.secrets) == 0 {
		return s
	}
	out, changed := r.replace([]byte(s))
	if !changed {
		return s
	}
	return string(out)
}

// Bytes is String for byte slices; it returns b itself when nothing matched.
func (r *Redactor) Bytes(b []byte) []byte {
	if r == nil || len(r.secrets) == 0 {
		return b
	}
	out, _ := r.replace(b)
	return out
}

// replace finds every secret in the normalized view of b (ASCII lower case,
// escapes decoded) and replaces the original bytes it came from.
func (r *Redactor) replace(b []byte) ([]byte, bool) {
	view, origin := normalize(b)
	type span struct{ from, to int } // in b
	var spans []span
	for _, s := range r.secrets {
		for off := 0; ; {
			i := bytes.Index(view[off:], s)
			if i < 0 {
				break
			}
			start, end := off+i, off+i+len(s)
			if origin == nil {
				spans = append(spans, span{start, end})
			} else {
				spans = append(spans, span{int(origin[start]), int(origin[end])})
			}
			off = end
		}
	}
	if len(spans) == 0 {
		return b, false
	}
	slices.SortFunc(spans, func(x, y span) int { return x.from - y.from })
	var out bytes.Buffer
	out.Grow(len(b))
	pos := 0
	for _, sp := range spans {
		if sp.from < pos { // overlaps the span just replaced
			pos = max(pos, sp.to)
			continue
		}
		out.Write(b[pos:sp.from])
		out.WriteString(Redacted)
		pos = sp.to
	}
	out.Write(b[pos:])
	return out.Bytes(), true
}

// normalize returns b in ASCII lower case with \uXXXX and %XX escapes of
// ASCII characters decoded. origin maps each byte of the view (and its end)
// to its offset in b; it is nil when the view is b byte for byte.
func normalize(b []byte) (view []byte, origin []int32) {
	if bytes.IndexByte(b, '%') < 0 && !bytes.Contains(b, []byte(`\u`)) {
		return asciiLower(b), nil
	}
	view = make([]byte, 0, len(b))
	origin = make([]int32, 0, len(b)+1)
	for i := 0; i < len(b); {
		c, n := b[i], 1
		switch {
		case c == '\\' && i+6 <= len(b) && (b[i+1] == 'u' || b[i+1] == 'U'):
			if v, ok := hexValue(b[i+2 : i+6]); ok && v < 0x80 {
				c, n = byte(v), 6
			}
		case c == '%' && i+3 <= len(b):
			if v, ok := hexValue(b[i+1 : i+3]); ok && v < 0x80 {
				c, n = byte(v), 3
			}
		}
		view = append(view, lowerByte(c))
		origin = append(origin, int32(i))
		i += n
	}
	origin = append(origin, int32(len(b)))
	return view, origin
}

// hexValue reads the hex digits of a \u or %XX escape.
func hexValue(h []byte) (int, bool) {
	v, err := strconv.ParseUint(string(h), 16, 16)
	return int(v), err == nil
}

func lowerByte(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// asciiLower lower-cases ASCII letters only, so the result has b's length
// and offsets (strings.ToLower may change the length of non-ASCII text).
func asciiLower(b []byte) []byte {
	out := make([]byte, len(b))
	for i, c := range b {
		out[i] = lowerByte(c)
	}
	return out
}
