package tools

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/pve-mcp/pve-mcp/pve"
)

// The planners of the guest-agent tools that change a guest: what would
// run or be written, and whether this server's policy, the VM and its
// agent would let it.

var agentInfoCall = Call{"GET", "/nodes/{node}/qemu/{vmid}/agent/info"}

// planAgent checks that the VM runs and that its agent answers and offers
// command (a guest-agent command such as guest-exec). Proxmox's refusal of
// the info read says why not: no agent configured, or none running.
func (env *Env) planAgent(ctx context.Context, p *Plan, g *guest, command string) error {
	if g.Status != "running" {
		p.fail("VM %d is not running", g.VMID)
		return nil
	}
	path, err := pve.BuildPath(agentInfoCall.Path, map[string]string{"node": g.Node, "vmid": strconv.Itoa(g.VMID)})
	if err != nil {
		return err
	}
	var info struct {
		Result struct {
			Commands []struct {
				Name    string    `json:"name"`
				Enabled agentFlag `json:"enabled"`
			} `json:"supported_commands"`
		} `json:"result"`
	}
	if err := env.PVE.Get(ctx, path, nil, &info); err != nil {
		p.fail("the guest agent would not answer: %v", err)
		return nil
	}
	i := slices.IndexFunc(info.Result.Commands, func(c struct {
		Name    string    `json:"name"`
		Enabled agentFlag `json:"enabled"`
	}) bool {
		return c.Name == command
	})
	switch {
	case i < 0:
		p.fail("the guest agent does not offer %s", command)
	case !bool(info.Result.Commands[i].Enabled):
		p.fail("the guest agent has %s disabled (its block list)", command)
	}
	return nil
}

// execPlan plans running a command in a VM: the command line, the
// PVE_GUEST_EXEC policy's verdict and the agent's.
func execPlan(ctx context.Context, env *Env, in agentExecIn) (*Plan, error) {
	p := &Plan{}
	switch {
	case len(in.Command) > 0 && in.PID != 0:
		return nil, fmt.Errorf("give command or pid, not both")
	case in.PID != 0:
		if !env.GuestExec.Enabled {
			p.fail("%v", env.GuestExec.Permit(""))
		}
	case len(in.Command) == 0 || in.Command[0] == "":
		return nil, fmt.Errorf("command is required: the program and its arguments as a list, e.g. [\"uptime\"]")
	default:
		if err := env.GuestExec.Permit(strings.Join(in.Command, " ")); err != nil {
			p.fail("%v", err)
		}
	}
	g, err := env.planGuest(ctx, p, "qemu", in.GuestIn)
	if err != nil || g.Missing || g.Type != "qemu" {
		return p, err
	}
	if in.PID != 0 {
		p.Request = fmt.Sprintf("GET /nodes/%s/qemu/%d/agent/exec-status pid=%d", g.Node, g.VMID, in.PID)
		p.note("only collects the result of pid %d", in.PID)
	} else {
		call := agentExecCallIn{GuestIn: GuestIn{Node: g.Node, VMID: g.VMID}, Command: in.Command, InputData: in.InputData}
		if p.Request, err = env.requestOf(ctx, agentExecCall, &call); err != nil {
			return nil, err
		}
		timeout := in.Timeout
		if timeout <= 0 {
			timeout = agentExecDefault
		}
		p.note("runs %q as the guest agent's user (root or SYSTEM), no shell; waits up to %d s for it to exit", strings.Join(in.Command, " "), timeout)
	}
	return p, env.planAgent(ctx, p, g, "guest-exec")
}

// writePlan plans writing a file in a VM: the path, the size, and the
// PVE_GUEST_WRITE_ALLOW policy's verdict and the agent's.
func writePlan(ctx context.Context, env *Env, in agentFileWriteIn) (*Plan, error) {
	for _, seg := range strings.FieldsFunc(in.File, func(r rune) bool { return r == '/' || r == '\\' }) {
		if seg == ".." || seg == "." {
			return nil, fmt.Errorf("file %q: give the path without . or .. segments", in.File)
		}
	}
	p := &Plan{}
	if err := env.GuestExec.PermitWrite(in.File); err != nil {
		p.fail("%v", err)
	}
	g, err := env.planGuest(ctx, p, "qemu", in.GuestIn)
	if err != nil || g.Missing || g.Type != "qemu" {
		return p, err
	}
	in.Node = g.Node
	if p.Request, err = env.requestOf(ctx, agentFileWriteCall, &agentFileWriteIn{GuestIn: in.GuestIn, File: in.File, Content: fmt.Sprintf("(%d bytes)", len(in.Content))}); err != nil {
		return nil, err
	}
	p.Changes = []Change{{Key: in.File, To: fmt.Sprintf("%d bytes of text (the whole file replaced if it exists)", len(in.Content))}}
	return p, env.planAgent(ctx, p, g, "guest-file-write")
}
