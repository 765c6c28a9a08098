package pvesim

import (
	"encoding/base64"
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"
	"time"
)

// The QEMU guest agent of simulated VMs: ping, OS info, network interfaces,
// a small in-memory filesystem per VM (file-read, file-write) and exec of a
// few commands. The agent answers only when the VM's config enables it, the
// VM runs and the agent inside it is up, and it fails with Proxmox's and
// QEMU's own messages otherwise.

// agentFileMax and agentInputMax are the API's maxLength for file-write
// content and exec input-data.
const (
	agentFileMax  = 61440
	agentInputMax = 65536
)

// agentFor answers as Proxmox's agent_available does before any agent
// command: configured, VM running, agent responding, in that order.
func (s *Sim) agentFor(c *Call) (*Guest, *agentVM, error) {
	g, err := s.guest(c, "qemu")
	if err != nil {
		return nil, nil, err
	}
	if !agentEnabled(g.Config["agent"]) {
		return nil, nil, fail("No QEMU guest agent configured")
	}
	if g.Status != "running" {
		return nil, nil, fail("VM %d is not running", g.VMID)
	}
	if g.Paused || s.agent.down[g.VMID] {
		return nil, nil, fail("QEMU guest agent is not running")
	}
	vm := s.agent.vms[g.VMID]
	if vm == nil || vm.guest != g {
		vm = newAgentVM(g)
		s.agent.vms[g.VMID] = vm
	}
	if !vm.boot.Equal(g.Started) {
		vm.boot, vm.procs = g.Started, map[int]*agentProc{}
	}
	return g, vm, nil
}

// agentEnabled reads the agent option: "1", "enabled=1,fstrim_cloned_disks=1" ...
func agentEnabled(v string) bool {
	return boolish[strings.ToLower(parsePropString(v, "enabled")["enabled"])]
}

// agentQMPFail is how Proxmox reports an error the guest agent returned.
func agentQMPFail(vmid int, cmd, format string, args ...any) error {
	return fail("VM %d qmp command '%s' failed - %s", vmid, cmd, fmt.Sprintf(format, args...))
}

// parentDir is the directory part of a guest path, for either separator.
func (vm *agentVM) parentDir(path string) string {
	sep := "/"
	if vm.windows {
		sep = `\`
		path = strings.ReplaceAll(path, "/", `\`)
	}
	i := strings.LastIndex(path, sep)
	switch {
	case i < 0:
		return ""
	case i == 0 || (vm.windows && i == 2 && path[1] == ':'):
		return path[:i+1]
	}
	return path[:i]
}

// agentReadFile returns a file's content as the guest sees it now.
func (s *Sim) agentReadFile(g *Guest, vm *agentVM, path string) (string, bool) {
	if path == "/proc/uptime" && !vm.windows {
		up := s.uptime(g)
		return fmt.Sprintf("%d.%02d %d.%02d\n", up, g.VMID%100, up*3, g.VMID%37), true
	}
	content, ok := vm.files[path]
	return content, ok
}

// openError is QEMU's message for a file the guest agent cannot open.
func (vm *agentVM) openError(path, mode, reason string) string {
	if vm.windows {
		reason = map[string]string{
			"No such file or directory": "The system cannot find the path specified. (error: 3)",
			"Is a directory":            "Access is denied. (error: 5)",
		}[reason]
	}
	return fmt.Sprintf("failed to open file '%s' (mode: '%s'): %s", path, mode, reason)
}

func (s *Sim) routesAgent() {
	const base = "/nodes/{node}/qemu/{vmid}/agent"
	s.handle("POST", base+"/ping", guestIDs, func(c *Call) (any, error) {
		if _, _, err := s.agentFor(c); err != nil {
			return nil, err
		}
		return map[string]any{"result": map[string]any{}}, nil
	})
	// info is the agent's guest-info: its version and the commands it
	// offers; an agent configured with a block list reports them disabled.
	s.handle("GET", base+"/info", guestIDs, func(c *Call) (any, error) {
		if _, _, err := s.agentFor(c); err != nil {
			return nil, err
		}
		cmds := []map[string]any{}
		for _, name := range []string{"guest-exec", "guest-exec-status", "guest-file-close", "guest-file-open", "guest-file-read",
			"guest-file-write", "guest-get-osinfo", "guest-info", "guest-network-get-interfaces", "guest-ping", "guest-shutdown"} {
			cmds = append(cmds, map[string]any{"name": name, "enabled": true, "success-response": name != "guest-shutdown"})
		}
		return map[string]any{"result": map[string]any{"version": "9.2.0", "supported_commands": cmds}}, nil
	})
	s.handle("GET", base+"/get-osinfo", guestIDs, func(c *Call) (any, error) {
		g, vm, err := s.agentFor(c)
		if err != nil {
			return nil, err
		}
		if vm.windows {
			return map[string]any{"result": map[string]any{
				"id": "mswindows", "name": "Microsoft Windows", "pretty-name": "Windows 11 Pro", "version": "Microsoft Windows 11",
				"version-id": "11", "kernel-release": "26100", "kernel-version": "10.0", "machine": "x86_64",
				"variant": "client", "variant-id": "client",
			}}, nil
		}
		d := agentDistroOf(g)
		return map[string]any{"result": map[string]any{
			"id": d.id, "name": d.name, "pretty-name": d.pretty, "version": d.version, "version-id": d.versionID,
			"kernel-release": d.kernel, "kernel-version": d.kernelVersion, "machine": "x86_64",
		}}, nil
	})
	s.handle("GET", base+"/network-get-interfaces", guestIDs, func(c *Call) (any, error) {
		g, vm, err := s.agentFor(c)
		if err != nil {
			return nil, err
		}
		return map[string]any{"result": s.agentInterfaces(g, vm)}, nil
	})
	s.handle("GET", base+"/file-read", guestIDs+" file:string count?:integer(1-16777216) offset?:integer(0-) decode?:boolean", func(c *Call) (any, error) {
		g, vm, err := s.agentFor(c)
		if err != nil {
			return nil, err
		}
		path := c.Str("file")
		content, ok := s.agentReadFile(g, vm, path)
		if !ok {
			if vm.dirs[path] {
				return nil, agentQMPFail(g.VMID, "guest-file-read", "failed to read file: Is a directory")
			}
			return nil, agentQMPFail(g.VMID, "guest-file-open", "%s", vm.openError(path, "r", "No such file or directory"))
		}
		offset, count := c.Int("offset"), 16777216
		if c.Has("count") {
			count = c.Int("count")
		}
		if offset > len(content) {
			offset = len(content)
		}
		end := min(offset+count, len(content))
		part := content[offset:end]
		if c.Has("decode") && !c.Bool("decode") {
			part = base64.StdEncoding.EncodeToString([]byte(part))
		}
		res := map[string]any{"content": part}
		if end < len(content) {
			res["truncated"] = 1
		}
		return res, nil
	})
	s.handle("POST", base+"/file-write", guestIDs+" file:string content:string encode?:boolean", func(c *Call) (any, error) {
		content := c.Str("content")
		if len(content) > agentFileMax {
			return nil, badParam("content", fmt.Sprintf("value may only be %d characters long", agentFileMax))
		}
		g, vm, err := s.agentFor(c)
		if err != nil {
			return nil, err
		}
		if c.Has("encode") && !c.Bool("encode") {
			raw, err := base64.StdEncoding.DecodeString(content)
			if err != nil {
				return nil, agentQMPFail(g.VMID, "guest-file-write", "Invalid parameter 'buf-b64'")
			}
			content = string(raw)
		}
		path := c.Str("file")
		switch {
		case vm.dirs[path]:
			return nil, agentQMPFail(g.VMID, "guest-file-open", "%s", vm.openError(path, "wb", "Is a directory"))
		case !vm.dirs[vm.parentDir(path)]:
			return nil, agentQMPFail(g.VMID, "guest-file-open", "%s", vm.openError(path, "wb", "No such file or directory"))
		case strings.HasPrefix(path, "/proc/"):
			return nil, agentQMPFail(g.VMID, "guest-file-open", "%s", vm.openError(path, "wb", "Permission denied"))
		}
		vm.files[path] = content
		return nil, nil
	})
	s.handle("POST", base+"/exec", guestIDs+" command:array input-data?:string", func(c *Call) (any, error) {
		if len(c.Str("input-data")) > agentInputMax {
			return nil, badParam("input-data", fmt.Sprintf("value may only be %d characters long", agentInputMax))
		}
		g, vm, err := s.agentFor(c)
		if err != nil {
			return nil, err
		}
		argv := c.Values["command"]
		if len(argv) == 0 || argv[0] == "" {
			return nil, badParam("command", "property is missing and it is not optional")
		}
		p, err := s.agentRun(g, vm, argv, c.Str("input-data"))
		if err != nil {
			return nil, err
		}
		p.start = s.now()
		pid := vm.nextPID
		vm.nextPID += 7
		vm.procs[pid] = p
		return map[string]any{"pid": pid}, nil
	})
	s.handle("GET", base+"/exec-status", guestIDs+" pid:integer", func(c *Call) (any, error) {
		g, vm, err := s.agentFor(c)
		if err != nil {
			return nil, err
		}
		pid := c.Int("pid")
		p := vm.procs[pid]
		if p == nil {
			return nil, agentQMPFail(g.VMID, "guest-exec-status", "Invalid parameter 'pid'")
		}
		if !p.seen || s.now().Before(p.start.Add(p.runtime)) {
			p.seen = true
			return map[string]any{"exited": 0}, nil
		}
		// The agent forgets a process once it has reported its exit.
		delete(vm.procs, pid)
		res := map[string]any{"exited": 1, "exitcode": p.exitcode}
		if p.out != "" {
			res["out-data"] = p.out
		}
		if p.err != "" {
			res["err-data"] = p.err
		}
		return res, nil
	})
}

// agentRun runs argv in the guest. The agent starts programs directly (no
// shell): an unknown program fails the exec call itself, as in QEMU; through
// "sh -c" an unknown command exits 127 instead.
func (s *Sim) agentRun(g *Guest, vm *agentVM, argv []string, stdin string) (*agentProc, error) {
	prog := argv[0]
	if i := strings.LastIndexAny(prog, `/\`); i >= 0 {
		prog = prog[i+1:]
	}
	if prog == "sh" || prog == "bash" {
		if len(argv) < 3 || argv[1] != "-c" {
			return &agentProc{exitcode: 2, err: prog + ": only -c is supported here\n"}, nil
		}
		fields := strings.Fields(argv[2])
		if len(fields) == 0 {
			return &agentProc{}, nil
		}
		p := s.agentCommand(g, vm, fields, stdin)
		if p == nil {
			msg := fmt.Sprintf("sh: 1: %s: not found\n", fields[0])
			if prog == "bash" {
				msg = fmt.Sprintf("bash: line 1: %s: command not found\n", fields[0])
			}
			return &agentProc{exitcode: 127, err: msg}, nil
		}
		return p, nil
	}
	p := s.agentCommand(g, vm, append([]string{prog}, argv[1:]...), stdin)
	if p == nil {
		return nil, agentQMPFail(g.VMID, "guest-exec", "Guest agent command failed, error was 'Failed to execute child process “%s” (No such file or directory)'", argv[0])
	}
	return p, nil
}

var reAgentSleep = lazyRegexp(`^\d+(\.\d+)?$`)

// agentCommand runs one of the commands the simulated guests know, or
// returns nil for an unknown one.
func (s *Sim) agentCommand(g *Guest, vm *agentVM, argv []string, stdin string) *agentProc {
	args := argv[1:]
	p := &agentProc{}
	switch argv[0] {
	case "true":
	case "false":
		p.exitcode = 1
	case "hostname":
		p.out = g.name() + "\n"
	case "whoami":
		p.out = "root\n"
	case "echo":
		nl := "\n"
		if len(args) > 0 && args[0] == "-n" {
			args, nl = args[1:], ""
		}
		p.out = strings.Join(args, " ") + nl
	case "cat":
		if len(args) == 0 {
			p.out = stdin
		}
		for _, f := range args {
			content, ok := s.agentReadFile(g, vm, f)
			switch {
			case ok:
				p.out += content
			case vm.dirs[f]:
				p.err += fmt.Sprintf("cat: %s: Is a directory\n", f)
				p.exitcode = 1
			default:
				p.err += fmt.Sprintf("cat: %s: No such file or directory\n", f)
				p.exitcode = 1
			}
		}
	case "ls":
		dir := "/root"
		if len(args) > 0 {
			dir = strings.TrimSuffix(args[len(args)-1], "/")
			if dir == "" {
				dir = "/"
			}
		}
		if !vm.dirs[dir] {
			if _, ok := vm.files[dir]; ok {
				p.out = dir + "\n"
				break
			}
			p.err, p.exitcode = fmt.Sprintf("ls: cannot access '%s': No such file or directory\n", dir), 2
			break
		}
		var names []string
		for path := range vm.files {
			if vm.parentDir(path) == dir {
				names = append(names, path[strings.LastIndexAny(path, `/\`)+1:])
			}
		}
		for d := range vm.dirs {
			if d != dir && vm.parentDir(d) == dir {
				names = append(names, d[strings.LastIndexAny(d, `/\`)+1:])
			}
		}
		sort.Strings(names)
		for _, n := range names {
			p.out += n + "\n"
		}
	case "uname":
		d := agentDistroOf(g)
		parts := map[string]string{"-s": "Linux", "-n": g.name(), "-r": d.kernel, "-v": d.kernelVersion, "-m": "x86_64"}
		switch {
		case len(args) == 0:
			p.out = "Linux\n"
		case args[0] == "-a":
			p.out = strings.Join([]string{"Linux", g.name(), d.kernel, d.kernelVersion, "x86_64", "GNU/Linux"}, " ") + "\n"
		case parts[args[0]] != "":
			p.out = parts[args[0]] + "\n"
		default:
			p.err, p.exitcode = fmt.Sprintf("uname: invalid option -- '%s'\n", strings.TrimLeft(args[0], "-")), 1
		}
	case "uptime":
		up := time.Duration(s.uptime(g)) * time.Second
		days, rest := int(up/(24*time.Hour)), up%(24*time.Hour)
		p.out = fmt.Sprintf(" %s up %d days, %2d:%02d,  0 users,  load average: 0.%02d, 0.%02d, 0.%02d\n",
			s.now().UTC().Format("15:04:05"), days, int(rest/time.Hour), int(rest%time.Hour/time.Minute),
			g.VMID%50, g.VMID%30, g.VMID%20)
	case "sleep":
		if len(args) != 1 || !reAgentSleep().MatchString(args[0]) {
			p.err, p.exitcode = "sleep: invalid time interval\n", 1
			break
		}
		secs, _ := strconv.ParseFloat(args[0], 64)
		p.runtime = time.Duration(secs * float64(time.Second))
	default:
		return nil
	}
	return p
}

// agentInterfaces lists the guest's interfaces as guest-network-get-interfaces
// does: loopback, then one NIC per netN of the config, with the IP from
// ipconfigN (cloud-init) or a DHCP lease, and its IPv6 link-local address.
func (s *Sim) agentInterfaces(g *Guest, vm *agentVM) []map[string]any {
	addr := func(ip, typ string, prefix int) map[string]any {
		return map[string]any{"ip-address": ip, "ip-address-type": typ, "prefix": prefix}
	}
	stats := func(n int64) map[string]any {
		return map[string]any{"rx-bytes": n * 1048576, "rx-packets": n * 812, "rx-errs": 0, "rx-dropped": 0,
			"tx-bytes": n * 524288, "tx-packets": n * 405, "tx-errs": 0, "tx-dropped": 0}
	}
	loName := "lo"
	if vm.windows {
		loName = "Loopback Pseudo-Interface 1"
	}
	out := []map[string]any{{
		"name": loName, "hardware-address": "00:00:00:00:00:00",
		"ip-addresses": []map[string]any{addr("127.0.0.1", "ipv4", 8), addr("::1", "ipv6", 128)},
		"statistics":   stats(1),
	}}
	var idx []int
	for k := range g.Config {
		if n, ok := strings.CutPrefix(k, "net"); ok {
			if i, err := strconv.Atoi(n); err == nil {
				idx = append(idx, i)
			}
		}
	}
	sort.Ints(idx)
	for _, i := range idx {
		mac := ""
		for _, v := range parsePropString(g.Config[fmt.Sprintf("net%d", i)], "") {
			if hw, err := net.ParseMAC(v); err == nil && len(hw) == 6 {
				mac = strings.ToLower(hw.String())
			}
		}
		if mac == "" {
			continue
		}
		ip, prefix := fmt.Sprintf("10.0.%d.%d", 10+i, 20+g.VMID%200), 24
		if cfgIP := parsePropString(g.Config[fmt.Sprintf("ipconfig%d", i)], "")["ip"]; cfgIP != "" && cfgIP != "dhcp" {
			if a, n, err := net.ParseCIDR(cfgIP); err == nil && a.To4() != nil {
				ip = a.String()
				prefix, _ = n.Mask.Size()
			}
		}
		name := fmt.Sprintf("ens%d", 18+i)
		if vm.windows {
			name = "Ethernet"
			if i > 0 {
				name = fmt.Sprintf("Ethernet %d", i+1)
			}
		}
		out = append(out, map[string]any{
			"name": name, "hardware-address": mac,
			"ip-addresses": []map[string]any{addr(ip, "ipv4", prefix), addr(agentLinkLocal(mac), "ipv6", 64)},
			"statistics":   stats(int64(g.VMID)),
		})
	}
	return out
}

// agentLinkLocal is the EUI-64 IPv6 link-local address of a MAC address.
func agentLinkLocal(mac string) string {
	hw, _ := net.ParseMAC(mac)
	ip := make(net.IP, 16)
	ip[0], ip[1] = 0xfe, 0x80
	copy(ip[8:], []byte{hw[0] ^ 2, hw[1], hw[2], 0xff, 0xfe, hw[3], hw[4], hw[5]})
	return ip.String()
}
