package pve

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
)

const testUPID = "UPID:pve1:000A1B2C:0012D687:6650A1B2:qmstart:101:mcp@pve!test:"

// TestSegmentRefusesPathChanging is the table of values an agent could send
// to reach another endpoint; each must be refused with the parameter named.
func TestSegmentRefusesPathChanging(t *testing.T) {
	for _, tc := range []struct{ name, value string }{
		{"parent directory", "../access"},
		{"parent directory deeper", "../../access/users"},
		{"slash", "pve1/qemu"},
		{"trailing slash", "pve1/"},
		{"backslash", `pve1\..\access`},
		{"query", "a?b"},
		{"query at start", "?x=1"},
		{"fragment", "a#b"},
		{"pre-escaped slash", "%2F"},
		{"pre-escaped dot segment", "%2e%2e"},
		{"percent", "100%"},
		{"newline", "pve1\nGET /access"},
		{"carriage return", "pve1\r"},
		{"tab", "a\tb"},
		{"NUL", "a\x00b"},
		{"DEL", "a\x7fb"},
		{"empty", ""},
		{"dot", "."},
		{"dot dot", ".."},
		{"too long", strings.Repeat("a", 513)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Segment("node", tc.value)
			if err == nil {
				t.Fatalf("Segment(%q) = %q, want an error", tc.value, got)
			}
			if !strings.Contains(err.Error(), "node") {
				t.Errorf("error %q does not name the parameter", err)
			}
			if _, err := BuildPath("/nodes/{node}/qemu", map[string]string{"node": tc.value}); err == nil {
				t.Errorf("BuildPath accepted %q", tc.value)
			}
		})
	}
}

// TestSegmentEscapes checks accepted values: each comes back as exactly one
// path segment that unescapes to the value itself.
// TestVolumeSegment: a volume ID keeps its slashes, escaped, as one
// segment; dot, empty and separator tricks are refused there too.
func TestVolumeSegment(t *testing.T) {
	for _, tc := range []struct{ value, want string }{
		{"local:iso/debian-12.iso", "local:iso%2Fdebian-12.iso"},
		{"pbs:backup/vm/101/2026-11-22T06:39:00Z", "pbs:backup%2Fvm%2F101%2F2026-11-22T06:39:00Z"},
		{"local:iso/../../etc/passwd", ""},
		{"local:iso/./x", ""},
		{"local:iso//x", ""},
		{"local:iso/", ""},
		{"/local:iso/x", ""},
		{"local:iso/x?y", ""},
		{"local:iso/x%2F..", ""},
		{"local:iso\\x", ""},
	} {
		got, err := Segment("volume", tc.value)
		if tc.want == "" {
			if err == nil {
				t.Errorf("Segment(volume, %q) = %q, want an error", tc.value, got)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("Segment(volume, %q) = %q, %v; want %q", tc.value, got, err, tc.want)
		}
	}
	if _, err := Segment("storage", "local:iso/x"); err == nil {
		t.Error("a slash is allowed outside {volume}")
	}
}

func TestSegmentEscapes(t *testing.T) {
	for _, tc := range []struct{ value, want string }{
		{"pve1", "pve1"},
		{"101", "101"},
		{"local-lvm", "local-lvm"},
		{"backup_2024.vma", "backup_2024.vma"},
		{"...", "..."},
		{".hidden", ".hidden"},
		{"snap 1", "snap%201"},
		{"a;b", "a%3Bb"},
		{"a,b", "a%2Cb"},
		{"grüße", "gr%C3%BC%C3%9Fe"},
		// A UPID carries ':', '@' and '!'; ':' and '@' are legal in a
		// segment as they are, '!' is escaped (pveproxy unescapes paths).
		{testUPID, strings.Replace(testUPID, "!", "%21", 1)},
		{"mcp@pve", "mcp@pve"},
		{strings.Repeat("a", 512), strings.Repeat("a", 512)},
	} {
		got, err := Segment("v", tc.value)
		if err != nil {
			t.Errorf("Segment(%q): %v", tc.value, err)
			continue
		}
		if got != tc.want {
			t.Errorf("Segment(%q) = %q, want %q", tc.value, got, tc.want)
		}
		if back, err := url.PathUnescape(got); err != nil || back != tc.value {
			t.Errorf("Segment(%q) = %q unescapes to %q (%v)", tc.value, got, back, err)
		}
	}
}

func TestBuildPath(t *testing.T) {
	got, err := BuildPath("/nodes/{node}/tasks/{upid}/status", map[string]string{"node": "pve1", "upid": testUPID})
	if err != nil {
		t.Fatal(err)
	}
	if want := "/nodes/pve1/tasks/UPID:pve1:000A1B2C:0012D687:6650A1B2:qmstart:101:mcp@pve%21test:/status"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if _, err := BuildPath("/nodes/{node}/qemu/{vmid}", map[string]string{"node": "pve1"}); err == nil || !strings.Contains(err.Error(), "{vmid}") {
		t.Errorf("missing value: err = %v, want one naming {vmid}", err)
	}
	if _, err := BuildPath("/nodes/{node", map[string]string{"node": "pve1"}); err == nil {
		t.Error("unclosed placeholder accepted")
	}
	if got, err := BuildPath("/version", nil); err != nil || got != "/version" {
		t.Errorf("no placeholders: %q, %v", got, err)
	}
	if got := Placeholders("/nodes/{node}/qemu/{vmid}/snapshot/{snapname}"); strings.Join(got, ",") != "node,vmid,snapname" {
		t.Errorf("Placeholders = %v", got)
	}
}

// TestPathOnTheWire sends every value through the client to a server that
// records the path it was asked for: an accepted value must arrive as the
// one segment it was meant to fill, and nothing else may change.
func TestPathOnTheWire(t *testing.T) {
	var mu sync.Mutex
	var seen []*url.URL
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.URL)
		mu.Unlock()
		w.Write([]byte(`{"data":null}`))
	}))
	defer ts.Close()
	c := testClient(t, ts.URL)
	values := []string{"pve1", "../access", "pve1/qemu", "a?b", "a#b", "%2F", "a b", "a;b", "a+b", "...", testUPID, "x&y=z", "ünï", "\n", "..", "."}
	for _, v := range values {
		mu.Lock()
		seen = nil
		mu.Unlock()
		path, err := BuildPath("/nodes/{node}/status", map[string]string{"node": v})
		if err != nil {
			continue // refused before anything is sent
		}
		if err := c.Get(context.Background(), path, nil, nil); err != nil {
			t.Fatalf("%q: %v", v, err)
		}
		mu.Lock()
		if len(seen) != 1 {
			t.Fatalf("%q: server saw %d requests", v, len(seen))
		}
		u := seen[0]
		mu.Unlock()
		segs := strings.Split(strings.TrimPrefix(u.EscapedPath(), "/api2/json/"), "/")
		if len(segs) != 3 || segs[0] != "nodes" || segs[2] != "status" || u.RawQuery != "" || u.Fragment != "" {
			t.Errorf("%q: server was asked for %q (query %q)", v, u.EscapedPath(), u.RawQuery)
			continue
		}
		if got, _ := url.PathUnescape(segs[1]); got != v {
			t.Errorf("%q arrived as %q", v, got)
		}
	}
}

// FuzzSegment holds the invariant for any input: either an error, or one
// path segment that is not a dot segment and unescapes to the input.
func FuzzSegment(f *testing.F) {
	for _, s := range []string{"pve1", "../access", "a/b", "a?b", "a#b", "%2F", "\n", "", ".", "..", testUPID, "a\\b", "é",
		"local:iso/debian.iso", "local:iso/../x", "local:iso//x", "local:backup/vm/101/2026-11-22T06:39:00Z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		// Any placeholder, and {volume}, the one that may hold slashes.
		for _, name := range []string{"x", "volume"} {
			seg, err := Segment(name, v)
			if err != nil {
				continue
			}
			if seg == "" || seg == "." || seg == ".." || strings.ContainsAny(seg, "/?#\\") {
				t.Fatalf("Segment(%s, %q) = %q", name, v, seg)
			}
			back, err := url.PathUnescape(seg)
			if err != nil || back != v {
				t.Fatalf("Segment(%s, %q) = %q unescapes to %q (%v)", name, v, seg, back, err)
			}
			for _, part := range strings.Split(back, "/") {
				if part == "" || part == "." || part == ".." {
					t.Fatalf("Segment(%s, %q) = %q lets a dot or empty component through", name, v, seg)
				}
			}
			u, err := url.Parse("http://h/api2/json/nodes/" + seg + "/status")
			if err != nil || u.RawQuery != "" || u.Fragment != "" || len(strings.Split(u.EscapedPath(), "/")) != 6 {
				t.Fatalf("Segment(%s, %q) = %q changes the URL: %v %v", name, v, seg, u, err)
			}
		}
	})
}
