package config

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"slices"
	"strings"
)

// Only a static token's SHA-256 is kept, which finds a string equal to a
// token but not a token inside a longer string ("Bearer <token>", a tool
// name, an argument key). A rolling fingerprint does: a polynomial hash
// under a base drawn at random per process, checked on every window of a
// token's length in one pass, each hit then confirmed by SHA-256.

var rollBase = func() uint64 {
	var b [8]byte
	rand.Read(b[:])
	return binary.LittleEndian.Uint64(b[:]) | 1
}()

// fingerprint is the rolling hash of s (arithmetic mod 2^64).
func fingerprint(s string) uint64 {
	var h uint64
	for i := 0; i < len(s); i++ {
		h = h*rollBase + uint64(s[i])
	}
	return h
}

// RedactTokens returns s with every static token in it, anywhere, replaced
// by replacement. It costs one pass over s per distinct token length.
func RedactTokens(s string, tokens []BearerToken, replacement string) string {
	type span struct{ from, to int }
	var spans []span
	var lengths []int
	for _, t := range tokens {
		if t.length > 0 && t.length <= len(s) && !slices.Contains(lengths, t.length) {
			lengths = append(lengths, t.length)
		}
	}
	for _, n := range lengths {
		pow := uint64(1) // rollBase^(n-1)
		for i := 1; i < n; i++ {
			pow *= rollBase
		}
		h := fingerprint(s[:n])
		for i := 0; ; i++ {
			for _, t := range tokens {
				if t.length == n && t.roll == h {
					sum := sha256.Sum256([]byte(s[i : i+n]))
					if subtle.ConstantTimeCompare(sum[:], t.Hash[:]) == 1 {
						spans = append(spans, span{i, i + n})
					}
				}
			}
			if i+n >= len(s) {
				break
			}
			h = (h-uint64(s[i])*pow)*rollBase + uint64(s[i+n])
		}
	}
	if len(spans) == 0 {
		return s
	}
	slices.SortFunc(spans, func(a, b span) int { return a.from - b.from })
	var b strings.Builder
	pos := 0
	for _, sp := range spans {
		if sp.from < pos {
			pos = max(pos, sp.to)
			continue
		}
		b.WriteString(s[pos:sp.from])
		b.WriteString(replacement)
		pos = sp.to
	}
	b.WriteString(s[pos:])
	return b.String()
}
