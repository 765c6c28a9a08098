package tools

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/pve-mcp/pve-mcp/pve"
)

// A container's vmid given to a VM tool (or a VM's to a container tool)
// makes Proxmox answer "500 Configuration file 'nodes/pve1/qemu-server/
// 200.conf' does not exist", which reads as a missing guest. wrongKind
// looks the vmid up and says what it is and which tool fits.

// guestKinds maps a guest path segment to its noun and the other kind.
var guestKinds = map[string]struct{ noun, other string }{
	"qemu": {"VM", "lxc"},
	"lxc":  {"container", "qemu"},
}

// wrongKind returns err unchanged unless it is Proxmox's missing-config
// answer on a guest path and the vmid belongs to a guest of the other
// type; then it returns an error saying so and naming the tool to use.
func (env *Env) wrongKind(ctx context.Context, call Call, path map[string]string, err error) error {
	var pe *pve.Error
	if !errors.As(err, &pe) || pe.Status != 500 || !strings.Contains(pe.Message, "does not exist") {
		return err
	}
	kind := ""
	for k := range guestKinds {
		if strings.Contains(call.Path, "/"+k+"/{vmid}") {
			kind = k
		}
	}
	vmid, convErr := strconv.Atoi(path["vmid"])
	if kind == "" || convErr != nil || !strings.Contains(pe.Message, "/"+strconv.Itoa(vmid)+".conf") {
		return err
	}
	var res []struct {
		VMID int    `json:"vmid"`
		Node string `json:"node"`
		Type string `json:"type"`
	}
	if env.PVE.Get(ctx, resourcesCall.Path, pve.Values{"type": {"vm"}}, &res) != nil {
		return err
	}
	other := guestKinds[kind].other
	for _, r := range res {
		if r.VMID != vmid || r.Type != other {
			continue
		}
		use := "the " + guestKinds[other].noun + " tools (pve_*_" + other + "_*)"
		if t := counterpart(call, kind, other); t != "" {
			use += "; " + t + " makes this call for a " + guestKinds[other].noun
		}
		return fmt.Errorf("vmid %d is a %s (on node %s), not a %s: use %s", vmid, guestKinds[other].noun, r.Node, guestKinds[kind].noun, use)
	}
	return err
}

// declared is All, set at init: handlers reach the declarations that
// hold them, which a direct reference would make an initialization cycle.
var declared func() []*Tool

func init() { declared = All }

// counterpart names the tool that makes the same call for the other guest
// type, or "".
func counterpart(call Call, kind, other string) string {
	want := Call{Method: call.Method, Path: strings.Replace(call.Path, "/"+kind+"/", "/"+other+"/", 1)}
	for _, t := range declared() {
		if len(t.Calls) > 0 && t.Calls[0] == want {
			return t.Name
		}
	}
	return ""
}
