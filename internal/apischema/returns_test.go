package apischema

import (
	"strings"
	"testing"
)

// The answer check catches what the simulator once taught agents: guests
// in /cluster/resources with cpus (Proxmox sends maxcpu), wrong types,
// missing required fields; and lets through what Proxmox really sends
// beyond a stub schema.
func TestCheckReturn(t *testing.T) {
	s := Load(t)
	for _, c := range []struct {
		method, path, data string
		want               []string // substrings of the problems, in order; none: conforms
	}{
		{"GET", "/cluster/resources", `[{"id":"qemu/100","type":"qemu","vmid":100,"maxcpu":2,"template":0}]`, nil},
		{"GET", "/cluster/resources", `[{"id":"qemu/100","type":"qemu","cpus":2}]`, []string{"data[0]: field cpus not in the returns schema"}},
		{"GET", "/cluster/resources", `[{"type":"qemu","vmid":"100"}]`, []string{"data[0].vmid: want integer", "data[0]: required field id missing"}},
		{"GET", "/cluster/resources", `{"id":"x"}`, []string{"data: want array, got object"}},
		{"GET", "/nodes/{node}/qemu/{vmid}/config", `{"digest":"d","memory":4096}`, []string{"data.memory: want string, got number 4096"}},
		{"GET", "/nodes/{node}/qemu/{vmid}/config", `{"digest":"d","memory":"4096","net0":"virtio,bridge=vmbr0","onboot":1}`, nil},
		{"GET", "/nodes/{node}/qemu", `[{"vmid":100,"status":"paused"}]`, []string{`"paused" not in enum`}},
		// A stub schema (only the key declared) takes the whole entry.
		{"GET", "/storage", `[{"storage":"local","type":"dir","content":"iso"}]`, nil},
		// A documented extra (see undocumented.go).
		{"GET", "/cluster/firewall/rules", `[{"pos":0,"type":"in","action":"ACCEPT","digest":"ab"}]`, nil},
		{"GET", "/nodes/{node}/lxc/{vmid}/interfaces", `null`, nil},
		{"POST", "/nodes/{node}/qemu/{vmid}/status/start", `"UPID:pve1:1:2:3:qmstart:100:root@pam:"`, nil},
		{"POST", "/nodes/{node}/qemu/{vmid}/status/start", `{"upid":"x"}`, []string{"want string"}},
	} {
		ep := s.Endpoint(c.method, c.path)
		if ep == nil {
			t.Fatalf("%s %s not in the schema", c.method, c.path)
		}
		got := ep.CheckReturn([]byte(c.data))
		if len(got) != len(c.want) {
			t.Errorf("%s %s %s: problems %q, want %q", c.method, c.path, c.data, got, c.want)
			continue
		}
		for i, w := range c.want {
			if !strings.Contains(got[i], w) {
				t.Errorf("%s %s %s: problem %q, want it to say %q", c.method, c.path, c.data, got[i], w)
			}
		}
	}
}
