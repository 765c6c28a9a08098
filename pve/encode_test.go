package pve

import (
	"reflect"
	"strings"
	"testing"
)

type encodeBase struct {
	Node string `json:"node"`
	VMID int    `json:"vmid"`
}

type encodeIn struct {
	encodeBase
	Name      string         `json:"name,omitempty"`
	Cores     int            `json:"cores,omitempty"`
	Onboot    bool           `json:"onboot,omitempty"`
	Template  bool           `json:"template"`
	Force     *bool          `json:"force,omitempty"`
	Balloon   *int           `json:"balloon,omitempty"`
	Ratio     float64        `json:"ratio,omitempty"`
	Small     float32        `json:"small,omitempty"`
	Disks     bool           `json:"with_local_disks,omitempty" pve:"with-local-disks"`
	Wait      bool           `json:"wait,omitempty" pve:"-"`
	Delete    []string       `json:"delete,omitempty" pve:"delete,join"`
	Tags      []string       `json:"tags,omitempty"`
	IDs       []int          `json:"ids,omitempty" pve:"id"`
	Hidden    string         `json:"-"`
	unexposed string         //nolint:unused // must never be sent
	Extra     map[string]any `json:"extra,omitempty" pve:"*"`
}

func ptr[T any](v T) *T { return &v }

func TestEncode(t *testing.T) {
	placeholders := []string{"node", "vmid"}
	for _, tc := range []struct {
		name    string
		in      encodeIn
		want    map[string][]string
		wantErr string
	}{
		{
			name: "zero value sends only required fields",
			in:   encodeIn{encodeBase: encodeBase{Node: "pve1", VMID: 101}},
			want: map[string][]string{"template": {"0"}},
		},
		{
			name: "booleans are 0/1",
			in:   encodeIn{Onboot: true, Template: true},
			want: map[string][]string{"onboot": {"1"}, "template": {"1"}},
		},
		{
			name: "pointers send zero values when set",
			in:   encodeIn{Force: ptr(false), Balloon: ptr(0)},
			want: map[string][]string{"template": {"0"}, "force": {"0"}, "balloon": {"0"}},
		},
		{
			name: "pointers set to non-zero",
			in:   encodeIn{Force: ptr(true), Balloon: ptr(512)},
			want: map[string][]string{"template": {"0"}, "force": {"1"}, "balloon": {"512"}},
		},
		{
			name: "omitempty scalars, rename, local field left out",
			in:   encodeIn{Name: "web", Cores: 4, Ratio: 0.5, Small: 0.1, Disks: true, Wait: true, Hidden: "x", unexposed: "y"},
			want: map[string][]string{"template": {"0"}, "name": {"web"}, "cores": {"4"}, "ratio": {"0.5"}, "small": {"0.1"}, "with-local-disks": {"1"}},
		},
		{
			name: "join sends one comma list, arrays repeat the key",
			in:   encodeIn{Delete: []string{"net1", "scsi2"}, Tags: []string{"a", "b"}, IDs: []int{3, 4}},
			want: map[string][]string{"template": {"0"}, "delete": {"net1,scsi2"}, "tags": {"a", "b"}, "id": {"3", "4"}},
		},
		{
			name: "empty slices are left out",
			in:   encodeIn{Delete: []string{}, Tags: nil},
			want: map[string][]string{"template": {"0"}},
		},
		{
			name: "extra scalars",
			in: encodeIn{Extra: map[string]any{
				"net0": "virtio,bridge=vmbr0", "memory": float64(2048), "cpuunits": float64(-1),
				"numa": true, "acpi": false, "cpulimit": 1.5, "big": 1e15, "int": 7,
			}},
			want: map[string][]string{
				"template": {"0"}, "net0": {"virtio,bridge=vmbr0"}, "memory": {"2048"}, "cpuunits": {"-1"},
				"numa": {"1"}, "acpi": {"0"}, "cpulimit": {"1.5"}, "big": {"1000000000000000"}, "int": {"7"},
			},
		},
		{
			name: "extra keys in every form the API uses",
			in:   encodeIn{Extra: map[string]any{"prune-backups": "keep-last=3", "forceStop": true, "ipconfig0": "ip=dhcp", "notes_template": "{{guestname}}"}},
			want: map[string][]string{"template": {"0"}, "prune-backups": {"keep-last=3"}, "forceStop": {"1"}, "ipconfig0": {"ip=dhcp"}, "notes_template": {"{{guestname}}"}},
		},
		{
			name: "extra keys that are not set by a named field pass",
			in:   encodeIn{Extra: map[string]any{"cores": float64(2)}},
			want: map[string][]string{"template": {"0"}, "cores": {"2"}},
		},
		{name: "extra null refused", in: encodeIn{Extra: map[string]any{"memory": nil}}, wantErr: `property "memory": null`},
		{name: "extra object refused", in: encodeIn{Extra: map[string]any{"memory": map[string]any{}}}, wantErr: `property "memory": must be a string, number or boolean`},
		{name: "extra array refused", in: encodeIn{Extra: map[string]any{"tags": []any{"a"}}}, wantErr: `property "tags"`},
		{name: "extra duplicates a named field", in: encodeIn{Cores: 2, Extra: map[string]any{"cores": float64(4)}}, wantErr: `"cores" is given twice`},
		{name: "extra duplicates a renamed field", in: encodeIn{Disks: true, Extra: map[string]any{"with-local-disks": true}}, wantErr: `"with-local-disks" is given twice`},
		{name: "extra duplicates a field sent as zero", in: encodeIn{Extra: map[string]any{"template": true}}, wantErr: `"template" is given twice`},
		{name: "extra overrides a path value", in: encodeIn{Extra: map[string]any{"node": "pve2"}}, wantErr: `"node" is given twice`},
		{name: "extra empty key", in: encodeIn{Extra: map[string]any{"": "x"}}, wantErr: `invalid property name ""`},
		{name: "extra key with =", in: encodeIn{Extra: map[string]any{"a=b": "x"}}, wantErr: "invalid property name"},
		{name: "extra key with &", in: encodeIn{Extra: map[string]any{"a&b": "x"}}, wantErr: "invalid property name"},
		{name: "extra key with newline", in: encodeIn{Extra: map[string]any{"a\nb": "x"}}, wantErr: "invalid property name"},
		{name: "extra key with a space", in: encodeIn{Extra: map[string]any{"net 0": "x"}}, wantErr: "invalid property name"},
		{name: "extra key starting with a digit", in: encodeIn{Extra: map[string]any{"0net": "x"}}, wantErr: "invalid property name"},
		{name: "extra key with a dot", in: encodeIn{Extra: map[string]any{"a.b": "x"}}, wantErr: "invalid property name"},
		{name: "extra key with brackets", in: encodeIn{Extra: map[string]any{"net[0]": "x"}}, wantErr: "invalid property name"},
		{name: "extra key too long", in: encodeIn{Extra: map[string]any{strings.Repeat("a", 129): "x"}}, wantErr: "invalid property name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path, params, err := Encode(&tc.in, placeholders)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(map[string][]string(params), tc.want) {
				t.Errorf("params = %v\nwant     %v", params, tc.want)
			}
			wantPath := map[string]string{"node": tc.in.Node, "vmid": "0"}
			if tc.in.VMID != 0 {
				wantPath["vmid"] = "101"
			}
			if !reflect.DeepEqual(path, wantPath) {
				t.Errorf("path = %v, want %v", path, wantPath)
			}
		})
	}
}

// TestEncodePathFields checks that fields named like a placeholder fill the
// path and are never also sent as parameters, and that a nil pointer leaves
// the placeholder unfilled (so BuildPath reports it).
func TestEncodePathFields(t *testing.T) {
	type in struct {
		Node  *string `json:"node,omitempty"`
		UPID  string  `json:"upid"`
		Limit int     `json:"limit,omitempty"`
	}
	path, params, err := Encode(in{UPID: testUPID, Limit: 5}, []string{"node", "upid"})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := path["node"]; ok {
		t.Errorf("nil node filled the path: %v", path)
	}
	if path["upid"] != testUPID || params.Encode() != "limit=5" {
		t.Errorf("path %v params %v", path, params)
	}
	if _, err := BuildPath("/nodes/{node}/tasks/{upid}/log", path); err == nil || !strings.Contains(err.Error(), "{node}") {
		t.Errorf("BuildPath with nil node: %v", err)
	}
	path, _, _ = Encode(&in{Node: ptr("pve2"), UPID: testUPID}, []string{"node", "upid"})
	if path["node"] != "pve2" {
		t.Errorf("node = %q", path["node"])
	}
	// A nil input pointer encodes to nothing rather than panicking.
	if p, v, err := Encode((*in)(nil), nil); err != nil || len(p) != 0 || len(v) != 0 {
		t.Errorf("nil input: %v %v %v", p, v, err)
	}
}

func TestEncodeUnsupportedType(t *testing.T) {
	type in struct {
		M map[string]string `json:"m"`
	}
	if _, _, err := Encode(in{M: map[string]string{"a": "b"}}, nil); err == nil || !strings.Contains(err.Error(), "field m") {
		t.Errorf("err = %v", err)
	}
}

func TestFields(t *testing.T) {
	fs := Fields(reflect.TypeFor[encodeIn]())
	byJSON := map[string]Field{}
	for _, f := range fs {
		byJSON[f.JSON] = f
	}
	for _, tc := range []struct {
		json, api      string
		optional, join bool
		extra          bool
	}{
		{json: "node", api: "node"},
		{json: "vmid", api: "vmid"},
		{json: "name", api: "name", optional: true},
		{json: "template", api: "template"},
		{json: "force", api: "force", optional: true},
		{json: "with_local_disks", api: "with-local-disks", optional: true},
		{json: "wait", api: "", optional: true},
		{json: "delete", api: "delete", optional: true, join: true},
		{json: "extra", api: "", optional: true, extra: true},
	} {
		f, ok := byJSON[tc.json]
		if !ok {
			t.Errorf("field %s missing", tc.json)
			continue
		}
		if f.API != tc.api || f.Optional != tc.optional || f.Join != tc.join || f.Extra != tc.extra {
			t.Errorf("%s: %+v", tc.json, f)
		}
	}
	for _, hidden := range []string{"-", "Hidden", "unexposed", "encodeBase"} {
		if _, ok := byJSON[hidden]; ok {
			t.Errorf("field %s listed", hidden)
		}
	}
}
