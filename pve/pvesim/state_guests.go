package pvesim

import (
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// State model of nodes and guests: the types, the core seed (nodes, VMs,
// containers), look-ups, usage figures and run/pending state changes.

// Node is one cluster member.
type Node struct {
	Name     string
	Online   bool
	IP       string
	CPUs     int
	CPUModel string
	MaxMem   int64
	Boot     time.Time
	DNS      map[string]string
	Timezone string
	Services []*Service
	Syslog   []string
}

// Service is a systemd unit Proxmox manages on a node.
type Service struct {
	Name, Desc, State string
}

// Guest is a VM (Type "qemu") or container (Type "lxc").
type Guest struct {
	VMID      int
	Type      string
	Node      string
	Status    string // running | stopped
	Paused    bool   // qemu: suspended in RAM
	Template  bool
	Config    map[string]string // keys as in /config (name, memory, cores, net0 ...)
	Pending   map[string]string
	Snapshots []*Snapshot
	Started   time.Time
	Lock      string // the config's lock: backup, clone, create, migrate, snapshot ...
	// fileLocked: a VM disk move holds the config file's flock (see checkLock).
	fileLocked bool
}

// Snapshot is a saved guest state; its config is what rollback restores.
type Snapshot struct {
	Name, Parent, Description string
	Time                      int64
	VMState                   bool
	Config                    map[string]string
}

// LogEntry is one line of the cluster log.
type LogEntry struct {
	Time int64
	Node string
	User string
	Tag  string
	Msg  string
	Pri  int
}

const gib = int64(1) << 30

func (s *Sim) seedCore() {
	if s.opts.Site == siteOffice {
		s.seedOffice()
		return
	}
	boot := s.now().Add(-41 * 24 * time.Hour)
	for i, name := range []string{"pve1", "pve2", "pve3"} {
		s.addNode(&Node{
			Name: name, Online: true, IP: fmt.Sprintf("10.0.0.%d", 11+i),
			CPUs: []int{32, 32, 16}[i], CPUModel: "AMD EPYC 7302P 16-Core Processor",
			MaxMem: []int64{256, 256, 128}[i] * gib, Boot: boot.Add(time.Duration(i) * time.Hour),
			DNS:      map[string]string{"search": "lab.example", "dns1": "10.0.0.2", "dns2": "1.1.1.1"},
			Timezone: "Europe/Vienna",
		})
	}
	now := s.now()
	vm := func(vmid int, node, status string, cfg map[string]string) {
		g := &Guest{VMID: vmid, Type: "qemu", Node: node, Status: status, Config: cfg}
		if status == "running" {
			g.Started = now.Add(-time.Duration(vmid%7+1) * 26 * time.Hour)
		}
		s.guests[vmid] = g
	}
	vm(100, "pve1", "running", qemuConfig("web01", 4096, 2, "vm-100-disk-0,size=32G", "BC:24:11:A0:01:00", "l26", "production;web"))
	vm(101, "pve1", "running", qemuConfig("db01", 16384, 4, "vm-101-disk-0,size=200G", "BC:24:11:A0:01:01", "l26", "production;db"))
	vm(102, "pve2", "stopped", qemuConfig("win-ts", 8192, 4, "vm-102-disk-0,size=120G", "BC:24:11:A0:01:02", "win11", "windows"))
	vm(103, "pve2", "running", qemuConfig("build01", 8192, 8, "vm-103-disk-0,size=100G", "BC:24:11:A0:01:03", "l26", "ci"))
	vm(104, "pve3", "running", qemuConfig("k8s-node1", 12288, 4, "vm-104-disk-0,size=64G", "BC:24:11:A0:01:04", "l26", "k8s"))
	vm(9000, "pve3", "stopped", qemuConfig("tmpl-debian12", 2048, 2, "base-9000-disk-0,size=8G", "BC:24:11:A0:90:00", "l26", "template"))
	s.guests[9000].Template = true
	s.guests[9000].Config["template"] = "1"
	s.guests[101].Snapshots = []*Snapshot{{Name: "pre-upgrade", Description: "before PostgreSQL 16 upgrade", Time: now.Add(-72 * time.Hour).Unix(), Config: cloneMap(s.guests[101].Config)}}
	s.guests[101].Snapshots[0].Config["memory"] = "8192"

	ct := func(vmid int, node, status string, cfg map[string]string) {
		g := &Guest{VMID: vmid, Type: "lxc", Node: node, Status: status, Config: cfg}
		if status == "running" {
			g.Started = now.Add(-time.Duration(vmid%5+1) * 31 * time.Hour)
		}
		s.guests[vmid] = g
	}
	ct(200, "pve1", "running", lxcConfig("dns01", 512, 1, "local-lvm:vm-200-disk-0,size=4G", "BC:24:11:C0:02:00", "infra"))
	ct(201, "pve2", "running", lxcConfig("proxy01", 1024, 2, "local-lvm:vm-201-disk-0,size=8G", "BC:24:11:C0:02:01", "infra;web"))
	ct(202, "pve3", "running", lxcConfig("monitoring", 2048, 2, "local-lvm:vm-202-disk-0,size=16G", "BC:24:11:C0:02:02", "infra"))
	ct(203, "pve1", "stopped", lxcConfig("sandbox", 512, 1, "local-lvm:vm-203-disk-0,size=8G", "BC:24:11:C0:02:03", "test"))

	user := "root@pam"
	s.addHistory("pve1", "qmstart", "100", user, 26*time.Hour, 2*time.Second, "OK", "start VM 100: UPID", "generating cloud-init ISO")
	s.addHistory("pve1", "vzdump", "101", user, 20*time.Hour, 14*time.Minute, "OK", "INFO: starting new backup job: vzdump 101 --storage nfs-backup --mode snapshot", "INFO: Finished Backup of VM 101 (00:14:02)")
	s.addHistory("pve2", "qmstart", "102", user, 5*time.Hour, 3*time.Second, "start failed: QEMU exited with code 1", "kvm: -drive file=/dev/pve/vm-102-disk-0: Could not open: No such file or directory")
	s.addHistory("pve2", "vzstart", "201", user, 31*time.Hour, time.Second, "OK")
	s.addHistory("pve3", "qmigrate", "104", user, 3*time.Hour, 95*time.Second, "OK", "starting migration of VM 104 to node 'pve3' (10.0.0.13)", "migration finished successfully (duration 00:01:35)")
	s.addHistory("pve3", "vzdump", "", user, 2*time.Hour, 40*time.Minute, "job errors", "ERROR: Backup of VM 202 failed - unable to create temporary directory")
	for i := 0; i < 30; i++ {
		s.clusterLog = append(s.clusterLog, LogEntry{Time: now.Add(-time.Duration(30-i) * time.Hour).Unix(), Node: s.nodes[i%3].Name,
			User: user, Tag: "pvedaemon", Pri: 6, Msg: fmt.Sprintf("<root@pam> starting task UPID:%s:0000%04X:task%d", s.nodes[i%3].Name, i, i)})
	}
}

// addNode gives n the services and syslog every Proxmox node has, and adds it.
func (s *Sim) addNode(n *Node) {
	boot, name := n.Boot, n.Name
	for _, sv := range [][2]string{
		{"pveproxy", "PVE API Proxy Server"}, {"pvedaemon", "PVE API Daemon"}, {"pvestatd", "PVE Status Daemon"},
		{"pve-cluster", "The Proxmox VE cluster filesystem"}, {"corosync", "Corosync Cluster Engine"},
		{"pve-firewall", "Proxmox VE firewall"}, {"pve-ha-lrm", "PVE Local HA Resource Manager Daemon"},
		{"pve-ha-crm", "PVE Cluster HA Resource Manager Daemon"}, {"chrony", "chrony, an NTP client/server"},
		{"sshd", "OpenBSD Secure Shell server"}, {"postfix", "Postfix Mail Transport Agent"}, {"cron", "Regular background program processing daemon"},
	} {
		n.Services = append(n.Services, &Service{Name: sv[0], Desc: sv[1], State: "running"})
	}
	for j := 0; j < 120; j++ {
		ts := boot.Add(time.Duration(j) * 7 * time.Hour).Format("Jan 02 15:04:05")
		msg := []string{"pvedaemon[2216]: <root@pam> successful auth for user 'root@pam'",
			"pveproxy[1871]: worker 30121 finished", "corosync[1204]:   [TOTEM ] Token has not been received in 2737 ms",
			"systemd[1]: Starting pve-daily-update.service - Daily PVE download activities...",
			"pvestatd[1542]: status update time (5.112 seconds)", "chronyd[987]: Selected source 10.0.0.2"}[j%6]
		n.Syslog = append(n.Syslog, ts+" "+name+" "+msg)
	}
	s.nodes = append(s.nodes, n)
}

func qemuConfig(name string, mem, cores int, disk, mac, ostype, tags string) map[string]string {
	return map[string]string{
		"name": name, "memory": strconv.Itoa(mem), "cores": strconv.Itoa(cores), "sockets": "1",
		"cpu": "x86-64-v2-AES", "ostype": ostype, "scsihw": "virtio-scsi-single", "boot": "order=scsi0;ide2;net0",
		"scsi0": "local-lvm:" + disk + ",iothread=1", "ide2": "none,media=cdrom", "net0": "virtio=" + mac + ",bridge=vmbr0,firewall=1",
		"agent": "1", "onboot": "1", "tags": tags, "smbios1": "uuid=5d3e8f5a-0000-4000-8000-" + fmt.Sprintf("%012d", mem),
		"vmgenid": "0e6b0a2a-1d2b-4c1c-9d5e-" + fmt.Sprintf("%012d", cores), "meta": "creation-qemu=9.2.0,ctime=1735689600",
	}
}

func lxcConfig(host string, mem, cores int, rootfs, mac, tags string) map[string]string {
	return map[string]string{
		"hostname": host, "memory": strconv.Itoa(mem), "swap": "512", "cores": strconv.Itoa(cores),
		"ostype": "debian", "arch": "amd64", "rootfs": rootfs, "unprivileged": "1", "onboot": "1",
		"net0": "name=eth0,bridge=vmbr0,hwaddr=" + mac + ",ip=dhcp,type=veth", "tags": tags, "features": "nesting=1",
	}
}

// checkNode answers as Proxmox does for a path naming an unknown or offline node.
func (s *Sim) checkNode(name string) error {
	n := s.node(name)
	if n == nil {
		return fail("hostname lookup '%s' failed - failed to get address info for: %s: Name or service not known", name, name)
	}
	if !n.Online {
		return &APIError{Status: 595, Message: fmt.Sprintf("Connect to %s:8006 failed: No route to host", n.IP)}
	}
	return nil
}

func (s *Sim) node(name string) *Node {
	for _, n := range s.nodes {
		if n.Name == name {
			return n
		}
	}
	return nil
}

// SetNodeOnline takes a node offline or back, for tests of partial failures.
func (s *Sim) SetNodeOnline(name string, online bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n := s.node(name); n != nil {
		n.Online = online
	}
}

// SetGuestLock sets (or, with "", clears) a guest's config lock, as an
// operation that holds it would, for tests of what a lock refuses.
func (s *Sim) SetGuestLock(vmid int, lock string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if g := s.guests[vmid]; g != nil {
		g.Lock = lock
	}
}

// guest returns the guest of the call's vmid on the call's node, failing
// as Proxmox does when its config file is not on that node.
func (s *Sim) guest(c *Call, typ string) (*Guest, error) {
	vmid := c.Int("vmid")
	g := s.guests[vmid]
	if g == nil || g.Type != typ || g.Node != c.Str("node") {
		dir := "qemu-server"
		if typ == "lxc" {
			dir = "lxc"
		}
		return nil, fail("Configuration file 'nodes/%s/%s/%d.conf' does not exist", c.Str("node"), dir, vmid)
	}
	return g, nil
}

// Guest returns a copy of a guest's state, for tests.
func (s *Sim) Guest(vmid int) (Guest, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, ok := s.guests[vmid]
	if !ok {
		return Guest{}, false
	}
	cp := *g
	cp.Config = cloneMap(g.Config)
	return cp, true
}

func (g *Guest) name() string {
	if g.Type == "lxc" {
		return g.Config["hostname"]
	}
	return g.Config["name"]
}

func (g *Guest) memBytes() int64 {
	n, _ := strconv.ParseInt(g.Config["memory"], 10, 64)
	if n == 0 {
		n = 512
	}
	return n << 20
}

func (g *Guest) cpus() int {
	c, _ := strconv.Atoi(g.Config["cores"])
	if c == 0 {
		c = 1
	}
	if so, _ := strconv.Atoi(g.Config["sockets"]); so > 1 {
		c *= so
	}
	return c
}

// diskBytes sums the size= of the guest's disks.
func (g *Guest) diskBytes() int64 {
	var total int64
	for k, v := range g.Config {
		if !isDiskKey(k) || strings.Contains(v, "media=cdrom") {
			continue
		}
		total += sizeOf(v)
	}
	return total
}

// usage is a deterministic, plausible load figure for a guest (no randomness,
// so tests and demos repeat).
func (g *Guest) usage() (cpu float64, mem int64) {
	if g.Status != "running" {
		return 0, 0
	}
	if !g.Paused { // a paused VM or frozen container runs no code but keeps its memory
		cpu = float64(g.VMID%17+3) / 100
	}
	mem = g.memBytes() * int64(g.VMID%40+35) / 100
	return
}

func (s *Sim) uptime(g *Guest) int64 {
	if g.Status != "running" || g.Started.IsZero() {
		return 0
	}
	return int64(s.now().Sub(g.Started).Seconds())
}

// guestSummary is the part of a guest every listing shares: the fields
// /nodes/{node}/qemu, /nodes/{node}/lxc, their status/current and
// /cluster/resources all declare. Each view adds its own (guestView,
// resourceEntry), so none carries a field its returns schema lacks.
func (s *Sim) guestSummary(g *Guest) map[string]any {
	cpu, mem := g.usage()
	m := map[string]any{
		"vmid": g.VMID, "name": g.name(), "status": g.Status, "cpu": cpu,
		"maxmem": g.memBytes(), "mem": mem, "maxdisk": g.diskBytes(),
		"uptime": s.uptime(g), "netin": int64(g.VMID) * 1048576, "netout": int64(g.VMID) * 524288,
		"diskread": int64(g.VMID) * 4194304, "diskwrite": int64(g.VMID) * 2097152,
	}
	if t := g.Config["tags"]; t != "" {
		m["tags"] = t
	}
	if g.Template {
		m["template"] = 1
	}
	if g.Lock != "" {
		m["lock"] = g.Lock
	}
	return m
}

// guestView is a guest as /nodes/{node}/{qemu,lxc} and their status/current
// answer: cpus, and the pid (VMs) or disk and swap size (containers).
func (s *Sim) guestView(g *Guest) map[string]any {
	m := s.guestSummary(g)
	m["cpus"] = g.cpus()
	if g.Type == "lxc" {
		m["disk"] = 0
		m["maxswap"] = int64(512) << 20
	} else if g.Status == "running" {
		m["pid"] = 2000 + g.VMID
	}
	return m
}

// resourceEntry is a guest as /cluster/resources (and a pool's members)
// list it: maxcpu rather than cpus, and template on every guest.
func (s *Sim) resourceEntry(g *Guest) map[string]any {
	m := s.guestSummary(g)
	m["maxcpu"] = g.cpus()
	m["disk"] = 0
	m["template"] = 0
	if g.Template {
		m["template"] = 1
	}
	if hs := s.haResourceState(g); hs != "" {
		m["hastate"] = hs
	}
	m["id"] = g.Type + "/" + strconv.Itoa(g.VMID)
	m["type"] = g.Type
	m["node"] = g.Node
	return m
}

func (s *Sim) sortedGuests() []*Guest {
	out := make([]*Guest, 0, len(s.guests))
	for _, g := range s.guests {
		out = append(out, g)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].VMID < out[j].VMID })
	return out
}

func (s *Sim) setRunning(g *Guest) {
	s.applyPending(g)
	g.Status, g.Paused, g.Started = "running", false, s.now()
	if g.Lock == "suspended" {
		g.Lock = ""
	}
}

func (s *Sim) setStopped(g *Guest) {
	g.Status, g.Paused, g.Started = "stopped", false, time.Time{}
	s.applyPending(g)
}

func (s *Sim) applyPending(g *Guest) {
	for k, v := range g.Pending {
		if v == "" {
			delete(g.Config, k)
		} else {
			g.Config[k] = v
		}
	}
	g.Pending = nil
}

func findSnapshot(g *Guest, name string) *Snapshot {
	for _, sn := range g.Snapshots {
		if sn.Name == name {
			return sn
		}
	}
	return nil
}

func (g *Guest) pend(k, v string) {
	if g.Pending == nil {
		g.Pending = map[string]string{}
	}
	g.Pending[k] = v
}

func nextUnused(g *Guest) int {
	for i := 0; ; i++ {
		if _, used := g.Config[fmt.Sprintf("unused%d", i)]; !used {
			return i
		}
	}
}

// nextDiskIndex is the first disk number not used by the guest's volumes.
func nextDiskIndex(g *Guest) int {
	next := 0
	for k, v := range g.Config {
		if !isDiskKey(k) && !indexedKey(k, "unused") {
			continue
		}
		if m := reDiskIndex().FindStringSubmatch(v); m != nil {
			if n, _ := strconv.Atoi(m[1]); n >= next {
				next = n + 1
			}
		}
	}
	return next
}

var reDiskIndex = lazyRegexp(`vm-\d+-disk-(\d+)`)

// configDigests are the digests a client may hold for the guest: of the
// config as stored and as shown with pending changes.
func configDigests(g *Guest) []string {
	merged := cloneMap(g.Config)
	for k, v := range g.Pending {
		merged[k] = v
	}
	return []string{digest(g.Config), digest(merged)}
}

// typeWord is how Proxmox names a guest type in messages.
func typeWord(typ string) string {
	if typ == "lxc" {
		return "CT"
	}
	return "VM"
}

func guestUUID(seed int) string {
	return fmt.Sprintf("%08x-%04x-4%03x-8%03x-%012x", seed*2654435761%0xffffffff, seed%0xffff, seed%0xfff, (seed*7)%0xfff, seed*977)
}

// mac is a deterministic locally administered address in Proxmox's OUI.
func guestMAC(vmid, idx int) string {
	return fmt.Sprintf("BC:24:11:%02X:%02X:%02X", (vmid>>8)&0xff, vmid&0xff, (idx*37+vmid/65536)&0xff)
}

// qemuHotplug reports whether a change to key takes effect at once on a
// running VM (Proxmox's "fast plug" options, plus NICs and disks, which are
// hot-pluggable by default); other changes wait in pending until reboot.
func qemuHotplug(key string) bool {
	switch key {
	case "name", "description", "onboot", "startup", "tags", "protection", "hookscript", "cpulimit", "cpuunits", "shares", "balloon":
		return true
	case "ciuser", "cipassword", "citype", "ciupgrade", "cicustom", "sshkeys", "nameserver", "searchdomain":
		return true // written at once; the guest sees them when the cloud-init drive is regenerated
	}
	for _, p := range []string{"net", "scsi", "virtio", "sata", "unused", "ipconfig"} {
		if indexedKey(key, p) {
			return true
		}
	}
	return false
}

// lxcHotplug reports whether a change applies to a running container at
// once; the others (rootfs, features, ostype ...) wait for a restart.
func lxcHotplug(key string) bool {
	switch key {
	case "hostname", "memory", "swap", "cores", "cpulimit", "cpuunits", "description", "onboot", "startup", "tags",
		"protection", "hookscript", "nameserver", "searchdomain":
		return true
	}
	return indexedKey(key, "net") || indexedKey(key, "mp") || indexedKey(key, "unused")
}

func (s *Sim) nodeMem(n *Node) int64 {
	used := 6 * gib
	for _, g := range s.guests {
		if g.Node == n.Name {
			_, m := g.usage()
			used += m
		}
	}
	return used
}

func (s *Sim) nodeCPU(n *Node) float64 {
	load := 0.02
	// In vmid order: a float sum in map order differs in its last digits
	// from one answer to the next.
	for _, g := range s.sortedGuests() {
		if g.Node == n.Name {
			c, _ := g.usage()
			load += c * float64(g.cpus()) / float64(n.CPUs)
		}
	}
	return load
}

// seedCloudInitVM gives one running VM a cloud-init drive and settings, as a VM
// cloned from a cloud image has them.
func (s *Sim) seedCloudInitVM() {
	if g := s.guests[104]; g != nil {
		g.Config["ide0"] = "local-lvm:vm-104-cloudinit,media=cdrom,size=4M"
		g.Config["ciuser"] = "ubuntu"
		g.Config["sshkeys"] = url.PathEscape("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHk8s0mZ1q9Jv4Yb3m0xZ0Q0p7p1sQ0b6f1y2Wq3rT4u ops@lab.example")
		g.Config["ipconfig0"] = "ip=10.0.20.14/24,gw=10.0.20.1"
		g.Config["nameserver"] = "10.0.0.2"
		g.Config["searchdomain"] = "lab.example"
	}
}

// vmidUnused fails as PVE::Cluster::check_vmid_unused does.
func (s *Sim) vmidUnused(vmid int) error {
	if g := s.guests[vmid]; g != nil {
		return fail("%s %d already exists on node '%s'", typeWord(g.Type), vmid, g.Node)
	}
	return nil
}
