package tools

import (
	"encoding/json"
	"strings"
	"testing"
)

type ciItem struct {
	Key     string `json:"key"`
	Value   string `json:"value"`
	Pending string `json:"pending"`
	Delete  int    `json:"delete"`
}

// ciView reads the pending view of a VM's cloud-init through the tool.
func (e *testEnv) ciView(vmid int) map[string]ciItem {
	e.t.Helper()
	var list []ciItem
	e.okJSON("pve_get_qemu_cloudinit", map[string]any{"vmid": vmid}, &list)
	out := map[string]ciItem{}
	for _, it := range list {
		out[it.Key] = it
	}
	return out
}

func (e *testEnv) ciDump(vmid int, typ string) string {
	e.t.Helper()
	var s string
	e.okJSON("pve_get_qemu_cloudinit", map[string]any{"vmid": vmid, "type": typ}, &s)
	wantParams(e.t, e.lastRequest("GET", "/nodes/pve3/qemu/104/cloudinit/dump").Params, map[string]string{"type": typ})
	return s
}

func TestGetQemuCloudinit(t *testing.T) {
	e := fullEnv(t)
	// The seeded VM 104's drive is up to date: values, nothing pending.
	view := e.ciView(104)
	wantParams(t, e.lastRequest("GET", "/nodes/pve3/qemu/104/cloudinit").Params, map[string]string{})
	if it := view["ciuser"]; it.Value != "ubuntu" || it.Pending != "" {
		t.Errorf("ciuser: %+v", it)
	}
	if it := view["ipconfig0"]; it.Value != "ip=10.0.20.14/24,gw=10.0.20.1" {
		t.Errorf("ipconfig0: %+v", it)
	}
	user := e.ciDump(104, "user")
	for _, want := range []string{"#cloud-config\n", "hostname: k8s-node1\n", "fqdn: k8s-node1.lab.example\n", "user: ubuntu\n",
		"ssh_authorized_keys:\n  - ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHk8s0mZ1q9Jv4Yb3m0xZ0Q0p7p1sQ0b6f1y2Wq3rT4u ops@lab.example\n"} {
		if !strings.Contains(user, want) {
			t.Errorf("user-data lacks %q:\n%s", want, user)
		}
	}
	network := e.ciDump(104, "network")
	for _, want := range []string{"name: eth0", "mac_address: 'bc:24:11:a0:01:04'", "type: static", "address: '10.0.20.14'",
		"netmask: '255.255.255.0'", "gateway: '10.0.20.1'", "type: nameserver", "- '10.0.0.2'", "- 'lab.example'"} {
		if !strings.Contains(network, want) {
			t.Errorf("network-config lacks %q:\n%s", want, network)
		}
	}
	if meta := e.ciDump(104, "meta"); !strings.HasPrefix(meta, "instance-id: ") {
		t.Errorf("meta-data: %q", meta)
	}

	e.wantFail("pve_get_qemu_cloudinit", map[string]any{"vmid": 777}, "no VM or container with vmid 777")
	e.wantFail("pve_get_qemu_cloudinit", map[string]any{"vmid": 104, "type": "vendor"}, "type")
	e.wantFail("pve_get_qemu_cloudinit", map[string]any{"node": "pve1", "vmid": 104}, "Configuration file 'nodes/pve1/qemu-server/104.conf' does not exist")
}

func TestSetQemuCloudinit(t *testing.T) {
	e := fullEnv(t)
	const password = "Tr0ub4dor&3-never-echoed"
	txt := e.ok("pve_set_qemu_cloudinit", map[string]any{
		"vmid": 104, "ciuser": "admin", "cipassword": password,
		"sshkeys":   []string{"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA+b/c= alice@laptop", " ssh-rsa AAAAB3NzaC1yc2E= bob \n"},
		"ipconfig0": "ip=dhcp,ip6=auto", "nameserver": "1.1.1.1 9.9.9.9", "searchdomain": "corp.example", "citype": "nocloud",
		"extra": map[string]any{"ipconfig1": "ip=192.168.5.4/24", "ciupgrade": 0},
	})
	if strings.Contains(txt, password) || strings.Contains(txt, "Tr0ub") {
		t.Errorf("result echoes the password: %s", txt)
	}
	// The keys reach Proxmox URL-encoded as its urlencoded format wants: %20, never +.
	wantParams(t, e.lastRequest("PUT", "/nodes/pve3/qemu/104/config").Params, map[string]string{
		"ciuser": "admin", "cipassword": password,
		"sshkeys":   "ssh-ed25519%20AAAAC3NzaC1lZDI1NTE5AAAAIA%2Bb%2Fc%3D%20alice%40laptop%0Assh-rsa%20AAAAB3NzaC1yc2E%3D%20bob",
		"ipconfig0": "ip=dhcp,ip6=auto", "nameserver": "1.1.1.1 9.9.9.9", "searchdomain": "corp.example", "citype": "nocloud",
		"ipconfig1": "ip=192.168.5.4/24", "ciupgrade": "0",
	})
	g, _ := e.sim.Guest(104)
	if g.Config["ciuser"] != "admin" || g.Config["ipconfig1"] != "ip=192.168.5.4/24" || g.Pending["ciuser"] != "" {
		t.Errorf("config after set: %v pending %v", g.Config, g.Pending)
	}

	// Changed but not on the drive yet: pending, the password masked.
	view := e.ciView(104)
	if it := view["ciuser"]; it.Value != "ubuntu" || it.Pending != "admin" {
		t.Errorf("ciuser: %+v", it)
	}
	if it := view["cipassword"]; it.Pending != "**********" {
		t.Errorf("cipassword: %+v", it)
	}
	if raw, _ := json.Marshal(view); strings.Contains(string(raw), password) {
		t.Errorf("pending view shows the password: %s", raw)
	}
	user := e.ciDump(104, "user")
	if !strings.Contains(user, "user: admin\n") || !strings.Contains(user, "  - ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA+b/c= alice@laptop\n  - ssh-rsa AAAAB3NzaC1yc2E= bob\n") ||
		!strings.Contains(user, "password: $5$") || strings.Contains(user, password) || strings.Contains(user, "package_upgrade") {
		t.Errorf("user-data after set:\n%s", user)
	}
	if nw := e.ciDump(104, "network"); !strings.Contains(nw, "type: dhcp4") || !strings.Contains(nw, "type: ipv6_slaac") || !strings.Contains(nw, "- '9.9.9.9'") {
		t.Errorf("network-config after set:\n%s", nw)
	}

	// Regenerating writes the drive: nothing pending any more.
	if got := e.ok("pve_regenerate_qemu_cloudinit", map[string]any{"vmid": 104}); got != "OK" {
		t.Errorf("regenerate: %s", got)
	}
	wantParams(t, e.lastRequest("PUT", "/nodes/pve3/qemu/104/cloudinit").Params, map[string]string{})
	for k, it := range e.ciView(104) {
		if it.Pending != "" || it.Delete != 0 {
			t.Errorf("%s still pending after regenerate: %+v", k, it)
		}
	}

	// Removing a setting shows as a delete until the next regeneration.
	e.ok("pve_set_qemu_cloudinit", map[string]any{"vmid": 104, "delete": []string{"sshkeys", "ipconfig1"}})
	wantParams(t, e.lastRequest("PUT", "/nodes/pve3/qemu/104/config").Params, map[string]string{"delete": "sshkeys,ipconfig1"})
	if it := e.ciView(104)["sshkeys"]; it.Delete != 1 {
		t.Errorf("sshkeys after delete: %+v", it)
	}
	if g, _ := e.sim.Guest(104); g.Config["sshkeys"] != "" || g.Config["ipconfig1"] != "" {
		t.Errorf("deleted settings still set: %v", g.Config)
	}
}

func TestSetQemuCloudinitRefuses(t *testing.T) {
	e := fullEnv(t)
	before := len(e.sim.Requests())
	for _, tc := range []struct {
		args map[string]any
		want string
	}{
		{map[string]any{"vmid": 104, "sshkeys": []string{"-----BEGIN OPENSSH PRIVATE KEY-----"}}, "private key"},
		{map[string]any{"vmid": 104, "sshkeys": []string{"not a key"}}, "not an OpenSSH public key"},
		{map[string]any{"vmid": 104, "sshkeys": []string{" "}}, "holds no key"},
		{map[string]any{"vmid": 104, "extra": map[string]any{"memory": 99999}}, "not a cloud-init setting"},
		{map[string]any{"vmid": 104, "delete": []string{"scsi0"}}, "delete"},
		{map[string]any{"vmid": 104, "citype": "cloudbase"}, "citype"},
	} {
		e.wantFail("pve_set_qemu_cloudinit", tc.args, tc.want)
	}
	for _, r := range e.sim.Requests()[before:] {
		if r.Method != "GET" {
			t.Errorf("a refused call reached Proxmox: %s %s", r.Method, r.Path)
		}
	}
	// Proxmox's own refusals come back too.
	e.wantFail("pve_set_qemu_cloudinit", map[string]any{"vmid": 104}, "no options specified")
	e.wantFail("pve_set_qemu_cloudinit", map[string]any{"vmid": 200, "ciuser": "x"}, "vmid 200 is a container (on node pve1), not a VM")

	// Without a cloud-init drive Proxmox regenerates nothing: still all pending.
	e.ok("pve_set_qemu_cloudinit", map[string]any{"vmid": 100, "ciuser": "ops"})
	e.ok("pve_regenerate_qemu_cloudinit", map[string]any{"vmid": 100})
	if it := e.ciView(100)["ciuser"]; it.Pending != "ops" || it.Value != "" {
		t.Errorf("VM 100 without a drive: %+v", it)
	}
}
