package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"strings"
	"time"
)

// Guest-agent tools: ask the QEMU guest agent inside a running VM. Reads
// of what the agent reports about the guest (ping, OS, interfaces) are
// read-only. Reading a file is a read, but of guest data (keys, password
// hashes, application secrets) that a cluster-level read-only or operator
// token should not reach, so it needs tier full, as Proxmox gives it its
// own privilege (VM.GuestAgent.FileRead). exec and file-write run only
// commands the server's guest-exec policy permits (PVE_GUEST_EXEC).

var (
	agentPingCall       = Call{Method: "POST", Path: "/nodes/{node}/qemu/{vmid}/agent/ping"}
	agentInterfacesCall = Call{Method: "GET", Path: "/nodes/{node}/qemu/{vmid}/agent/network-get-interfaces"}
	agentFileReadCall   = Call{Method: "GET", Path: "/nodes/{node}/qemu/{vmid}/agent/file-read"}
	agentFileWriteCall  = Call{Method: "POST", Path: "/nodes/{node}/qemu/{vmid}/agent/file-write"}
	agentExecCall       = Call{Method: "POST", Path: "/nodes/{node}/qemu/{vmid}/agent/exec"}
	agentExecStatusCall = Call{Method: "GET", Path: "/nodes/{node}/qemu/{vmid}/agent/exec-status"}
)

// Bounds of the tools' own parameters.
const (
	// agentReadDefault is what file-read returns unless asked for more:
	// half the default result cap, leaving room for JSON escaping.
	agentReadDefault = 16 << 10
	// agentExecDefault and agentExecMax bound how long exec waits (seconds).
	agentExecDefault = 30
	agentExecMax     = 300
)

type agentInterfacesIn struct {
	GuestIn
	Verbose bool `json:"verbose,omitempty" pve:"-" jsonschema:"Full agent answer"`
}

type agentFileReadIn struct {
	GuestIn
	File   string `json:"file" jsonschema:"Absolute guest path"`
	Offset int    `json:"offset,omitempty" jsonschema:"Start byte" min:"0"`
	Count  int    `json:"count,omitempty" jsonschema:"Bytes (default 16384)" min:"1" max:"16777216"`
}

type agentFileWriteIn struct {
	GuestIn
	File    string `json:"file" jsonschema:"Absolute guest path"`
	Content string `json:"content" jsonschema:"Text; replaces the file (max 60 KiB)" maxlen:"61440"`
}

type agentExecIn struct {
	GuestIn
	Command   []string `json:"command,omitempty" jsonschema:"Program and args (no shell), e.g. [\"df\",\"-h\"]"`
	InputData string   `json:"input_data,omitempty" pve:"input-data" jsonschema:"Stdin" maxlen:"65536"`
	Timeout   int      `json:"timeout,omitempty" pve:"-" jsonschema:"Wait for exit, s (default 30)" min:"1" max:"300"`
	PID       int      `json:"pid,omitempty" jsonschema:"Collect a still-running exec (no command)" min:"1"`
}

// The inputs of the single calls exec makes.
type agentExecCallIn struct {
	GuestIn
	Command   []string `json:"command"`
	InputData string   `json:"input_data,omitempty" pve:"input-data"`
}

type agentExecStatusIn struct {
	GuestIn
	PID int `json:"pid"`
}

func agentTools() []*Tool {
	return []*Tool{
		Custom[GuestIn](Spec{Name: "pve_ping_qemu_agent", Title: "Ping VM guest agent", Tier: ReadOnly, Kind: Read,
			Desc: "Check that a running VM's guest agent answers."},
			[]Call{agentPingCall}, agentPing),
		Endpoint[GuestIn](Spec{Name: "pve_get_qemu_agent_osinfo", Title: "VM OS info", Tier: ReadOnly, Kind: Read,
			Desc: "A VM's OS name, version and kernel, from its guest agent."},
			"GET", "/nodes/{node}/qemu/{vmid}/agent/get-osinfo"),
		Custom[agentInterfacesIn](Spec{Name: "pve_get_qemu_agent_interfaces", Title: "VM network addresses", Tier: ReadOnly, Kind: Read,
			Desc: "A VM's NICs with MAC and IPs, from its guest agent."},
			[]Call{agentInterfacesCall}, agentInterfaces),
		Custom[agentFileReadIn](Spec{Name: "pve_read_qemu_agent_file", Title: "Read file in VM", Tier: Full, Kind: Read,
			Desc: "Read a file in a VM via its guest agent; next_offset continues."},
			[]Call{agentFileReadCall}, agentFileRead),
		planned(Custom[agentExecIn](Spec{Name: "pve_exec_qemu_agent_command", Title: "Run command in VM", Tier: Full, Kind: Destroy, GuestExec: true,
			Desc: "Run a program PVE_GUEST_EXEC allows in a VM; returns exit code and output."},
			[]Call{agentExecCall, agentExecStatusCall}, agentExec), []Call{agentInfoCall}, execPlan),
		planned(Custom[agentFileWriteIn](Spec{Name: "pve_write_qemu_agent_file", Title: "Write file in VM", Tier: Full, Kind: Destroy, GuestExec: true,
			Desc: "Write a text file in a VM if PVE_GUEST_WRITE_ALLOW lists its path."},
			[]Call{agentFileWriteCall}, agentFileWrite), []Call{agentInfoCall}, writePlan),
	}
}

func agentPing(ctx context.Context, env *Env, in GuestIn) (Output, error) {
	if _, err := env.Call(ctx, agentPingCall, &in); err != nil {
		return Output{}, err
	}
	return JSON(map[string]any{"vmid": in.VMID, "agent": "responding"})
}

// agentResult unwraps the {"result": ...} Proxmox puts agent answers in.
func agentResult(raw json.RawMessage, v any) error {
	var wrap struct {
		Result json.RawMessage `json:"result"`
	}
	if err := json.Unmarshal(raw, &wrap); err != nil || len(wrap.Result) == 0 {
		return fmt.Errorf("unexpected guest agent answer: %.200s", raw)
	}
	return json.Unmarshal(wrap.Result, v)
}

// agentInterface is one guest interface, trimmed to what an agent uses.
type agentInterface struct {
	Name string   `json:"name"`
	MAC  string   `json:"mac,omitempty"`
	IPs  []string `json:"ips"`
}

func agentInterfaces(ctx context.Context, env *Env, in agentInterfacesIn) (Output, error) {
	out, err := env.Call(ctx, agentInterfacesCall, &in)
	if err != nil || in.Verbose {
		return out, err
	}
	var ifaces []struct {
		Name string `json:"name"`
		MAC  string `json:"hardware-address"`
		IPs  []struct {
			IP     string `json:"ip-address"`
			Prefix int    `json:"prefix"`
		} `json:"ip-addresses"`
	}
	if err := agentResult(out.Data, &ifaces); err != nil {
		return Output{}, err
	}
	trimmed := []agentInterface{}
	for _, i := range ifaces {
		t := agentInterface{Name: i.Name, MAC: i.MAC, IPs: []string{}}
		loopback := len(i.IPs) > 0
		for _, a := range i.IPs {
			ip := net.ParseIP(a.IP)
			loopback = loopback && ip != nil && ip.IsLoopback()
			t.IPs = append(t.IPs, fmt.Sprintf("%s/%d", a.IP, a.Prefix))
		}
		if loopback {
			continue
		}
		trimmed = append(trimmed, t)
	}
	return JSON(trimmed)
}

// agentFlag reads a flag Proxmox sends as 0/1 or as a JSON boolean.
type agentFlag bool

func (f *agentFlag) UnmarshalJSON(b []byte) error {
	switch strings.Trim(string(b), `"`) {
	case "1", "true":
		*f = true
	case "0", "false", "null", "":
		*f = false
	default:
		return fmt.Errorf("not a flag: %s", b)
	}
	return nil
}

func agentFileRead(ctx context.Context, env *Env, in agentFileReadIn) (Output, error) {
	if in.Count == 0 {
		in.Count = agentReadDefault
	}
	out, err := env.Call(ctx, agentFileReadCall, &in)
	if err != nil {
		return Output{}, err
	}
	var res struct {
		Content   string    `json:"content"`
		Truncated agentFlag `json:"truncated"`
	}
	if err := json.Unmarshal(out.Data, &res); err != nil {
		return Output{}, fmt.Errorf("unexpected file-read answer: %w", err)
	}
	r := struct {
		File       string `json:"file"`
		Content    string `json:"content"`
		Truncated  bool   `json:"truncated,omitempty"`
		NextOffset int    `json:"next_offset,omitempty"`
	}{File: in.File, Content: res.Content, Truncated: bool(res.Truncated)}
	if r.Truncated {
		r.NextOffset = in.Offset + in.Count
	}
	return JSON(r)
}

func agentFileWrite(ctx context.Context, env *Env, in agentFileWriteIn) (Output, error) {
	// A pattern such as "file-write /tmp/.*" must not let /tmp/../etc/passwd through.
	for _, seg := range strings.FieldsFunc(in.File, func(r rune) bool { return r == '/' || r == '\\' }) {
		if seg == ".." || seg == "." {
			return Output{}, fmt.Errorf("file %q: give the path without . or .. segments", in.File)
		}
	}
	if err := env.GuestExec.PermitWrite(in.File); err != nil {
		return Output{}, err
	}
	if _, err := env.Call(ctx, agentFileWriteCall, &in); err != nil {
		return Output{}, err
	}
	return JSON(map[string]any{"file": in.File, "bytes": len(in.Content)})
}

// agentExecResult is exec-status's answer, plus the pid.
type agentExecResult struct {
	PID          int       `json:"pid"`
	Exited       agentFlag `json:"exited"`
	ExitCode     *int      `json:"exitcode,omitempty"`
	Signal       *int      `json:"signal,omitempty"`
	OutData      string    `json:"out-data,omitempty"`
	ErrData      string    `json:"err-data,omitempty"`
	OutTruncated agentFlag `json:"out-truncated,omitempty"`
	ErrTruncated agentFlag `json:"err-truncated,omitempty"`
}

// agentExec checks the policy before anything reaches Proxmox, starts the
// command and polls its status with backoff until it exits or the timeout
// (bounded by the request's deadline) passes.
func agentExec(ctx context.Context, env *Env, in agentExecIn) (Output, error) {
	switch {
	case len(in.Command) > 0 && in.PID != 0:
		return Output{}, fmt.Errorf("give command or pid, not both")
	case in.PID != 0:
		if !env.GuestExec.Enabled {
			return Output{}, env.GuestExec.Permit("")
		}
	case len(in.Command) == 0 || in.Command[0] == "":
		return Output{}, fmt.Errorf("command is required: the program and its arguments as a list, e.g. [\"uptime\"]")
	default:
		if err := env.GuestExec.Permit(strings.Join(in.Command, " ")); err != nil {
			return Output{}, err
		}
	}
	if in.Node == "" {
		node, err := env.NodeOf(ctx, in.VMID)
		if err != nil {
			return Output{}, err
		}
		in.Node = node
	}
	pid := in.PID
	if pid == 0 {
		out, err := env.Call(ctx, agentExecCall, &agentExecCallIn{GuestIn: in.GuestIn, Command: in.Command, InputData: in.InputData})
		if err != nil {
			return Output{}, err
		}
		var started struct {
			PID int `json:"pid"`
		}
		if err := json.Unmarshal(out.Data, &started); err != nil || started.PID == 0 {
			return Output{}, fmt.Errorf("unexpected exec answer: %.200s", out.Data)
		}
		pid = started.PID
	}
	timeout := in.Timeout
	if timeout <= 0 {
		timeout = agentExecDefault
	}
	deadline := time.Now().Add(time.Duration(min(timeout, agentExecMax)) * time.Second)
	if dl, ok := ctx.Deadline(); ok && dl.Add(-2*time.Second).Before(deadline) {
		deadline = dl.Add(-2 * time.Second)
	}
	status := &agentExecStatusIn{GuestIn: in.GuestIn, PID: pid}
	interval := 100 * time.Millisecond
	for {
		out, err := env.Call(ctx, agentExecStatusCall, status)
		if err != nil {
			return Output{}, err
		}
		res := agentExecResult{}
		if err := json.Unmarshal(out.Data, &res); err != nil {
			return Output{}, fmt.Errorf("unexpected exec-status answer: %w", err)
		}
		res.PID = pid
		if res.Exited {
			return JSON(res)
		}
		if time.Now().Add(interval).After(deadline) {
			o, err := JSON(res)
			o.Note = fmt.Sprintf("Still running; call again with pid=%d (and the same vmid) to collect its result.", pid)
			return o, err
		}
		t := time.NewTimer(interval)
		select {
		case <-ctx.Done():
			t.Stop()
			return Output{}, fmt.Errorf("stopped waiting for pid %d: %w", pid, ctx.Err())
		case <-t.C:
		}
		interval = min(interval*2, 2*time.Second)
	}
}
