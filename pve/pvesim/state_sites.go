package pvesim

import (
	"fmt"
	"time"
)

// The second seeded site. Options.Site "office" lays down a smaller
// cluster than the default lab: two other nodes, other guests, and vmids
// that overlap the lab's (both have a VM 100), as they do between real
// clusters, so a client that mixes clusters up shows it.

const siteOffice = "office"

func (s *Sim) seedOffice() {
	boot := s.now().Add(-12 * 24 * time.Hour)
	for i, name := range []string{"office1", "office2"} {
		s.addNode(&Node{
			Name: name, Online: true, IP: fmt.Sprintf("10.1.0.%d", 11+i),
			CPUs: 8, CPUModel: "Intel(R) Xeon(R) E-2388G CPU @ 3.20GHz",
			MaxMem: 64 * gib, Boot: boot.Add(time.Duration(i) * time.Hour),
			DNS:      map[string]string{"search": "office.example", "dns1": "10.1.0.2"},
			Timezone: "Europe/Berlin",
		})
	}
	now := s.now()
	add := func(vmid int, kind, node, status string, cfg map[string]string) {
		g := &Guest{VMID: vmid, Type: kind, Node: node, Status: status, Config: cfg}
		if status == "running" {
			g.Started = now.Add(-time.Duration(vmid%5+1) * 19 * time.Hour)
		}
		s.guests[vmid] = g
	}
	add(100, "qemu", "office1", "running", qemuConfig("erp01", 8192, 4, "vm-100-disk-0,size=80G", "BC:24:11:B0:01:00", "l26", "production;erp"))
	add(110, "qemu", "office2", "running", qemuConfig("files01", 4096, 2, "vm-110-disk-0,size=500G", "BC:24:11:B0:01:10", "l26", "production;files"))
	add(111, "qemu", "office2", "stopped", qemuConfig("win-reception", 4096, 2, "vm-111-disk-0,size=64G", "BC:24:11:B0:01:11", "win11", "windows"))
	add(300, "lxc", "office1", "running", lxcConfig("dns-office", 256, 1, "local-lvm:vm-300-disk-0,size=2G", "BC:24:11:D0:03:00", "infra"))
	add(301, "lxc", "office2", "stopped", lxcConfig("print01", 512, 1, "local-lvm:vm-301-disk-0,size=4G", "BC:24:11:D0:03:01", "office"))

	user := "root@pam"
	s.addHistory("office1", "qmstart", "100", user, 19*time.Hour, 2*time.Second, "OK", "start VM 100: UPID")
	s.addHistory("office2", "vzdump", "110", user, 9*time.Hour, 52*time.Minute, "OK", "INFO: starting new backup job: vzdump 110 --storage local --mode snapshot", "INFO: Finished Backup of VM 110 (00:52:10)")
	for i := 0; i < 12; i++ {
		n := s.nodes[i%2].Name
		s.clusterLog = append(s.clusterLog, LogEntry{Time: now.Add(-time.Duration(12-i) * time.Hour).Unix(), Node: n,
			User: user, Tag: "pvedaemon", Pri: 6, Msg: fmt.Sprintf("<root@pam> starting task UPID:%s:0000%04X:task%d", n, i, i)})
	}
}

// seedSiteJobs replaces what the other seeds lay down for the lab's guests
// (HA resources and rules, replication, backup jobs, pools) with the
// office's own, so nothing names a guest or node the site lacks.
func (s *Sim) seedSiteJobs() {
	if s.opts.Site != siteOffice {
		return
	}
	s.cluster.name = "office"
	s.cluster.options["description"] = "Office cluster, two nodes"
	s.cluster.options["migration"] = "type=secure,network=10.1.0.0/24"
	s.cluster.repl = []*ReplJob{{ID: "110-0", Guest: 110, JobNum: 0, Target: "office1", Schedule: "*/30", Comment: "files01 to office1"}}
	s.ha = haState{resources: map[string]*HAResource{}, rules: map[string]*HARule{}, master: "office1"}
	s.ha.resources["vm:100"] = &HAResource{SID: "vm:100", Type: "vm", VMID: 100, Props: map[string]string{"state": "started", "comment": "ERP"}}
	s.backup.jobs = []*BackupJob{{ID: "backup-0ff1ce00-0001", Props: map[string]string{
		"schedule": "02:30", "all": "1", "storage": "local", "mode": "snapshot", "compress": "zstd", "enabled": "1",
		"prune-backups": "keep-daily=14", "comment": "Nightly backup of the office"}}}
	s.pools.list = []*Pool{{ID: "office", Comment: "Office services", VMs: []int{100, 110, 300}, Storage: []string{"local-lvm"}}}
	delete(s.agent.down, 103)
}
