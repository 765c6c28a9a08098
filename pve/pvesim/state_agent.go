package pvesim

import (
	"fmt"
	"strings"
	"time"
)

// State model of the QEMU guest agent: each VM's files and processes.

// agentState holds what lives inside the guests: their files and the
// processes exec started. A VM's entry is made on first use.
type agentState struct {
	vms map[int]*agentVM
	// down lists VMs whose config enables the agent but whose guest does
	// not run it (not installed), as happens on real clusters.
	down map[int]bool
}

// agentVM is the inside of one guest.
type agentVM struct {
	guest   *Guest    // the VM this belongs to (a recreated VMID starts afresh)
	boot    time.Time // processes do not survive a restart
	windows bool
	files   map[string]string
	dirs    map[string]bool
	procs   map[int]*agentProc
	nextPID int
}

// agentProc is a process started by exec. The first status query always
// finds it running; it has exited once it was seen running and its
// runtime has passed.
type agentProc struct {
	start    time.Time
	runtime  time.Duration
	seen     bool
	exitcode int
	out, err string
}

func (s *Sim) seedAgent() {
	s.agent = agentState{vms: map[int]*agentVM{}, down: map[int]bool{103: true}}
}

// agentDistro is what a guest runs, for osinfo, uname and /etc/os-release.
type agentDistro struct {
	id, name, pretty, version, versionID, codename, kernel, kernelVersion string
}

var agentDistros = []agentDistro{
	{"debian", "Debian GNU/Linux", "Debian GNU/Linux 12 (bookworm)", "12 (bookworm)", "12", "bookworm",
		"6.1.0-28-amd64", "#1 SMP PREEMPT_DYNAMIC Debian 6.1.119-1 (2024-11-22)"},
	{"ubuntu", "Ubuntu", "Ubuntu 24.04.1 LTS", "24.04.1 LTS (Noble Numbat)", "24.04", "noble",
		"6.8.0-51-generic", "#52-Ubuntu SMP PREEMPT_DYNAMIC Thu Dec  5 13:09:44 UTC 2024"},
}

func agentDistroOf(g *Guest) agentDistro { return agentDistros[g.VMID%len(agentDistros)] }

func agentIsWindows(g *Guest) bool { return strings.HasPrefix(g.Config["ostype"], "w") }

func newAgentVM(g *Guest) *agentVM {
	vm := &agentVM{guest: g, windows: agentIsWindows(g), files: map[string]string{}, dirs: map[string]bool{},
		procs: map[int]*agentProc{}, nextPID: 2400 + g.VMID%100*10}
	name := g.name()
	if vm.windows {
		for _, d := range []string{`C:\`, `C:\Windows`, `C:\Windows\System32`, `C:\Windows\System32\drivers`,
			`C:\Windows\System32\drivers\etc`, `C:\Windows\Temp`, `C:\Users`, `C:\Users\Administrator`} {
			vm.dirs[d] = true
		}
		vm.files[`C:\Windows\System32\drivers\etc\hosts`] = "# Copyright (c) 1993-2009 Microsoft Corp.\r\n#\r\n# localhost name resolution is handled within DNS itself.\r\n"
		return vm
	}
	for _, d := range []string{"/", "/etc", "/etc/ssh", "/home", "/opt", "/proc", "/root", "/run", "/srv", "/tmp",
		"/usr", "/usr/bin", "/var", "/var/log", "/var/tmp"} {
		vm.dirs[d] = true
	}
	d := agentDistroOf(g)
	vm.files["/etc/hostname"] = name + "\n"
	vm.files["/etc/hosts"] = fmt.Sprintf("127.0.0.1\tlocalhost\n127.0.1.1\t%s.lab.example %s\n\n::1\tlocalhost ip6-localhost ip6-loopback\n", name, name)
	vm.files["/etc/resolv.conf"] = "search lab.example\nnameserver 10.0.0.2\n"
	vm.files["/etc/machine-id"] = fmt.Sprintf("%032x\n", uint64(g.VMID)*0x9e3779b97f4a7c15)
	vm.files["/etc/os-release"] = fmt.Sprintf("PRETTY_NAME=%q\nNAME=%q\nVERSION_ID=%q\nVERSION=%q\nVERSION_CODENAME=%s\nID=%s\n",
		d.pretty, d.name, d.versionID, d.version, d.codename, d.id)
	vm.files["/etc/ssh/sshd_config"] = "Include /etc/ssh/sshd_config.d/*.conf\nPermitRootLogin prohibit-password\nPasswordAuthentication no\n"
	vm.files["/var/log/syslog"] = fmt.Sprintf("%s systemd[1]: Started qemu-guest-agent.service - QEMU Guest Agent.\n", g.Started.UTC().Format(time.RFC3339))
	return vm
}
