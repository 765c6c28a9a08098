package pvesim

import (
	"strings"
	"testing"
)

// TestUnifiedDiff: the pending network diff reads as `diff -u` writes it
// (the expected texts are GNU diff's own output).
func TestUnifiedDiff(t *testing.T) {
	lines := func(s string) []string { return strings.Split(s, " ") }
	for _, c := range []struct {
		a, b, want string
	}{
		{"a b c d e f g h i j k l m", "a b X c d e f g h i j l m n",
			"@@ -1,5 +1,6 @@\n a\n b\n+X\n c\n d\n e\n@@ -8,6 +9,6 @@\n h\n i\n j\n-k\n l\n m\n+n\n"},
		{"a b", "z", "@@ -1,2 +1 @@\n-a\n-b\n+z\n"},
		{"a b c", "a b c", ""},
	} {
		got := unifiedDiff("A", "B", lines(c.a), lines(c.b))
		if c.want != "" {
			c.want = "--- A\n+++ B\n" + c.want
		}
		if got != c.want {
			t.Errorf("diff %q %q:\n%s\nwant\n%s", c.a, c.b, got, c.want)
		}
	}
}
