package tools

import (
	"strconv"
	"strings"
	"testing"
)

func TestPendingConfig(t *testing.T) {
	e := fullEnv(t)
	for _, c := range []struct {
		tool, update string
		vmid         int
		set          map[string]any
		key          string // the setting that must wait for a restart
		pending      any
		deleted      string
	}{
		{"pve_get_qemu_pending", "pve_update_qemu_config", 100, map[string]any{"cores": 4}, "cores", "4", "agent"},
		// Container cores apply live; the time zone waits.
		{"pve_get_lxc_pending", "pve_update_lxc_config", 200, map[string]any{"cores": 2, "extra": map[string]any{"timezone": "Europe/Berlin"}},
			"timezone", "Europe/Berlin", "features"},
	} {
		t.Run(c.tool, func(t *testing.T) {
			txt := e.ok(c.tool, map[string]any{"vmid": c.vmid})
			if !strings.HasPrefix(txt, "[]") || !strings.Contains(txt, "Nothing pending") {
				t.Fatalf("before any change: %s", txt)
			}
			args := map[string]any{"vmid": c.vmid, "delete": []string{c.deleted}}
			for k, v := range c.set {
				args[k] = v
			}
			e.ok(c.update, args)
			var got []map[string]any
			e.okJSON(c.tool, map[string]any{"vmid": c.vmid}, &got)
			kind := strings.Split(c.tool, "_")[2]
			e.lastRequest("GET", "/nodes/pve1/"+kind+"/"+strconv.Itoa(c.vmid)+"/pending")
			if len(got) != 2 || got[0]["key"] != c.deleted || got[0]["delete"] != float64(1) || got[0]["value"] == nil ||
				got[1]["key"] != c.key || got[1]["pending"] != c.pending {
				t.Errorf("pending after a change to the running guest: %v", got)
			}
		})
	}
	e.wantFail("pve_get_qemu_pending", map[string]any{"vmid": 200, "node": "pve1"}, "")
	e.wantFail("pve_get_lxc_pending", map[string]any{"vmid": 999}, "no VM or container with vmid 999")
}
