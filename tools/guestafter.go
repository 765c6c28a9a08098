package tools

import (
	"context"
	"strings"

	"github.com/pve-mcp/pve-mcp/pve"
)

// A waited-for power task answers with the task's status, and a task that
// ended says "stopped" even when it started the VM. guestAfter adds the
// guest's own state next to it, so the answer cannot be misread.

// powerTaskKinds maps the prefix of a guest task type to the guest kind.
var powerTaskKinds = map[string]string{"qm": "qemu", "vz": "lxc"}

// powerTaskVerbs are the task types (after qm/vz) that change a guest's
// state on its own node.
var powerTaskVerbs = map[string]bool{"start": true, "stop": true, "shutdown": true, "reboot": true,
	"suspend": true, "resume": true, "reset": true, "pause": true, "rollback": true}

// guestAfter sets res.GuestStatus from the guest's status/current once a
// power task has ended (best effort: a failed read leaves it out).
func (env *Env) guestAfter(ctx context.Context, upid UPID, res *TaskResult) {
	if res.Status != "stopped" || len(upid.Type) < 3 || upid.ID == "" {
		return
	}
	kind := powerTaskKinds[upid.Type[:2]]
	if kind == "" || !powerTaskVerbs[upid.Type[2:]] || strings.Trim(upid.ID, "0123456789") != "" {
		return
	}
	path, err := pve.BuildPath("/nodes/{node}/"+kind+"/{vmid}/status/current", map[string]string{"node": upid.Node, "vmid": upid.ID})
	if err != nil {
		return
	}
	var st struct {
		Status    string `json:"status"`
		QMPStatus string `json:"qmpstatus"`
	}
	if env.PVE.Get(ctx, path, nil, &st) != nil {
		return
	}
	res.GuestStatus = st.Status
	if st.QMPStatus != "" {
		// A paused or suspended VM is "running" to Proxmox; qmpstatus says which.
		res.GuestStatus = st.QMPStatus
	}
}
