package pve

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// uEscape writes every character of s as a JSON \uXXXX escape, upper as
// well as lower hex digits.
func uEscape(s string, upperHex bool) string {
	var b strings.Builder
	for _, r := range s {
		f := `\u%04x`
		if upperHex {
			f = `\u%04X`
		}
		fmt.Fprintf(&b, f, r)
	}
	return b.String()
}

func TestRedactorVariants(t *testing.T) {
	r := NewRedactor(testTokenSecret)
	half := len(testTokenSecret) / 2
	for name, in := range map[string]string{
		"plain":           "x " + testTokenSecret + " y",
		"upper":           "x " + strings.ToUpper(testTokenSecret) + " y",
		"mixed case":      strings.ToUpper(testTokenSecret[:half]) + testTokenSecret[half:],
		"u-escaped":       `{"s":"` + uEscape(testTokenSecret, false) + `"}`,
		"U-escaped upper": `{"s":"` + uEscape(strings.ToUpper(testTokenSecret), true) + `"}`,
		"partly escaped":  testTokenSecret[:3] + uEscape(testTokenSecret[3:6], false) + testTokenSecret[6:],
		"query-escaped":   "q=" + url.QueryEscape("PVEAPIToken="+testTokenID+"="+testTokenSecret),
		"percent-encoded": strings.ReplaceAll(testTokenSecret, "-", "%2D"),
		"twice":           testTokenSecret + testTokenSecret,
	} {
		got := r.String(in)
		if strings.Contains(strings.ToLower(got), testTokenSecret[:8]) || !strings.Contains(got, Redacted) {
			t.Errorf("%s: %q -> %q", name, in, got)
		}
		if b := r.Bytes([]byte(in)); string(b) != got {
			t.Errorf("%s: Bytes %q != String %q", name, b, got)
		}
		// What a JSON decoder makes of the redacted text holds no secret either.
		var decoded string
		if json.Unmarshal([]byte(`"`+strings.TrimSuffix(strings.TrimPrefix(got, `{"s":"`), `"}`)+`"`), &decoded) == nil &&
			strings.Contains(strings.ToLower(decoded), testTokenSecret) {
			t.Errorf("%s: decodes to the secret: %q", name, decoded)
		}
	}
	// Text around a match is kept byte for byte, non-ASCII included.
	if got := r.String("é " + uEscape(testTokenSecret, false) + " ü"); got != "é [REDACTED] ü" {
		t.Errorf("got %q", got)
	}
	if got := r.String(`50% done \u00e9 \uZZZZ`); got != `50% done \u00e9 \uZZZZ` {
		t.Errorf("unrelated escapes changed: %q", got)
	}
}

// A Proxmox that echoes the secret upper-cased or \u-escaped inside data
// (which a decoder turns back into the plain secret) leaks nothing.
func TestRedactionOfEscapedEchoes(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"data":{"upper":%q,"escaped":"%s","log":[{"n":1,"t":"auth %s"}]}}`,
			strings.ToUpper(testTokenSecret), uEscape(testTokenSecret, true), url.QueryEscape(testTokenSecret))
	}))
	defer ts.Close()
	c := testClient(t, ts.URL)
	var raw json.RawMessage
	if err := c.Get(context.Background(), "/x", nil, &raw); err != nil {
		t.Fatal(err)
	}
	var generic map[string]any
	if err := c.Get(context.Background(), "/x", nil, &generic); err != nil {
		t.Fatal(err)
	}
	for what, s := range map[string]string{"raw": string(raw), "decoded": fmt.Sprint(generic)} {
		if strings.Contains(strings.ToLower(s), testTokenSecret[:8]) || strings.Count(s, Redacted) != 3 {
			t.Errorf("%s data: %s", what, s)
		}
	}
}
