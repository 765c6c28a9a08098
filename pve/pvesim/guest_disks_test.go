package pvesim

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestExtrasFormatSize(t *testing.T) {
	for in, want := range map[int64]string{0: "0", 512: "512", 4 << 10: "4K", 1536 << 20: "1536M", 40 << 30: "40G", 2 << 40: "2T", 66048 << 20: "66048M"} {
		if got := formatSize(in); got != want {
			t.Errorf("formatSize(%d) = %q, want %q", in, got, want)
		}
	}
	for _, tc := range []struct {
		size int64
		req  string
		want int64
	}{{32 << 30, "+8G", 40 << 30}, {32 << 30, "50G", 50 << 30}, {1 << 30, "+512M", 1536 << 20}, {1 << 30, "1073741825", 1<<30 + 1}} {
		if got := grownSize(tc.size, tc.req); got != tc.want {
			t.Errorf("grownSize(%d, %q) = %d, want %d", tc.size, tc.req, got, tc.want)
		}
	}
	if got := setProp("local-lvm:vm-1-disk-0", "size", "4G"); got != "local-lvm:vm-1-disk-0,size=4G" {
		t.Errorf("setProp appended: %q", got)
	}
}

// The pending view compares the config with the drive as last generated.
func TestExtrasCloudinitPendingView(t *testing.T) {
	c := newClSim(t)
	var view []map[string]any
	c.ok("PUT", "/nodes/pve3/qemu/104/config", url.Values{"ciuser": {"admin"}, "cipassword": {"pw"}, "delete": {"searchdomain"}}, nil)
	c.ok("GET", "/nodes/pve3/qemu/104/cloudinit", nil, &view)
	got := map[string]map[string]any{}
	for _, it := range view {
		got[it["key"].(string)] = it
	}
	if it := got["ciuser"]; it["value"] != "ubuntu" || it["pending"] != "admin" {
		t.Errorf("ciuser: %v", it)
	}
	if it := got["cipassword"]; it["pending"] != "**********" || it["value"] != nil {
		t.Errorf("cipassword: %v", it)
	}
	if it := got["searchdomain"]; it["delete"] != float64(1) || it["value"] != "lab.example" {
		t.Errorf("searchdomain: %v", it)
	}
	if it := got["name"]; it["value"] != "k8s-node1" || it["pending"] != nil {
		t.Errorf("name: %v", it)
	}
	var user string
	c.ok("GET", "/nodes/pve3/qemu/104/cloudinit/dump", url.Values{"type": {"user"}}, &user)
	if strings.Contains(user, "password: pw") || !strings.Contains(user, "password: $5$") || strings.Contains(user, "fqdn:") {
		t.Errorf("user-data: %s", user)
	}
	c.fails("GET", "/nodes/pve3/qemu/104/cloudinit/dump", url.Values{"type": {"vendor"}}, 400, "type")
	c.fails("PUT", "/nodes/pve1/qemu/200/cloudinit", nil, 500, "qemu-server/200.conf' does not exist")
}

// A VM disk move holds the config file's flock while its task runs (not a
// config lock: qemu-server has no "disk" lock), so a second one and a
// template conversion time out on it, and the VM shows no lock.
func TestExtrasMoveLocksWhileRunning(t *testing.T) {
	s := New(Options{TokenID: "root@pam!t", TokenSecret: "s", TaskDuration: time.Hour})
	s.storage.list = append(s.storage.list, &Storage{ID: "fast", Type: "dir", Content: []string{"images"}, Props: map[string]string{"path": "/mnt/fast"}, Total: 100 * gib})
	call := func(method, path string, v url.Values) (any, error) {
		c := &Call{Sim: s, Method: method, Path: path, Values: v, User: "root@pam!t"}
		for _, r := range s.routes {
			if r.method == method {
				if vals, ok := matchPath(r.segs, strings.Split(strings.Trim(path, "/"), "/")); ok {
					for k, x := range vals {
						c.Values[k] = []string{x}
					}
					return r.handler(c)
				}
			}
		}
		t.Fatalf("no route %s %s", method, path)
		return nil, nil
	}
	if _, err := call("POST", "/nodes/pve2/qemu/102/move_disk", url.Values{"disk": {"scsi0"}, "storage": {"fast"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := call("POST", "/nodes/pve2/qemu/102/move_disk", url.Values{"disk": {"scsi0"}, "storage": {"fast"}}); err == nil || !strings.Contains(err.Error(), "can't lock file '/var/lock/qemu-server/lock-102.conf' - got timeout") {
		t.Errorf("second move while the first runs: %v", err)
	}
	if _, err := call("POST", "/nodes/pve2/qemu/102/template", url.Values{}); err == nil || !strings.Contains(err.Error(), "can't lock file '/var/lock/qemu-server/lock-102.conf' - got timeout") {
		t.Errorf("template during a move: %v", err)
	}
	if l := s.guests[102].Lock; l != "" {
		t.Errorf("VM 102 shows lock %q during its disk move", l)
	}
	if s.guests[102].Config["scsi0"] != "local-lvm:vm-102-disk-0,size=120G,iothread=1" {
		t.Errorf("disk changed before the task ended: %q", s.guests[102].Config["scsi0"])
	}
}
