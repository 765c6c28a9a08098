package pvesim

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Health and capacity: a hyper-converged Ceph cluster (a monitor, a manager
// and three OSDs per node), SDN zones and vnets, each node's disks with
// their SMART data, and the state of the storage replication jobs.

// CephOSD is one OSD. It is up while its node is online.
type CephOSD struct {
	ID        int
	Host      string
	Dev       string // backing disk, e.g. /dev/sda
	Class     string // ssd, hdd, nvme
	Size      int64  // bytes
	Used      int64  // bytes
	In        bool
	ApplyLat  int // ms
	CommitLat int // ms
}

// NodeDisk is one block device of a node.
type NodeDisk struct {
	Dev      string // /dev/sda
	Type     string // nvme, ssd, hdd
	Model    string
	Serial   string
	WWN      string
	Size     int64
	Used     string // LVM, ZFS, ext4 ..., "" when unused
	GPT      bool
	Wearout  int // % life left (SSDs), 0 when not reported
	Health   string
	Attrs    []SmartAttr // ATA SMART attributes; nil for NVMe (text report)
	SmartTxt string      // NVMe SMART/Health log
	Parts    []string    // partition suffixes with their use, e.g. "p3=LVM"
}

// SmartAttr is one ATA SMART attribute as smartctl -A prints it.
type SmartAttr struct {
	ID                      int
	Name, Flags, Fail, Raw  string
	Value, Worst, Threshold int
}

// sdnObj is a zone or vnet: its config and whether it has been applied.
type sdnObj struct {
	ID      string
	Props   map[string]any
	Applied bool
}

// replState is what pvesr remembers about a replication job's runs.
type replState struct {
	LastSync, LastTry int64
	Duration          float64
	FailCount         int
	Error             string
}

type healthState struct {
	fsid  string
	osds  []*CephOSD
	disks map[string][]*NodeDisk // node -> disks
	zones []*sdnObj
	vnets []*sdnObj
	repl  map[string]*replState // job id -> last runs
}

func (s *Sim) seedHealth() {
	h := healthState{fsid: "8f3c5a2e-4b1d-4c7e-9a6f-2d1e0b7c9f41", disks: map[string][]*NodeDisk{}, repl: map[string]*replState{}}
	usedPct := []int{52, 61, 48, 57, 87, 55, 50, 63, 46} // osd.4 is nearfull
	for i, n := range s.nodes {
		disks := []*NodeDisk{{
			Dev: "/dev/nvme0n1", Type: "nvme", Model: "SAMSUNG MZVL2512HCJQ-00B00", Serial: fmt.Sprintf("S675NX0T%06d", 310+i),
			WWN: fmt.Sprintf("eui.002538b%09x", 0x21a0b0+i), Size: 512110190592, Used: "LVM", GPT: true, Wearout: 96 - i, Health: "PASSED",
			SmartTxt: nvmeSmartText(4-i, 35+i), Parts: []string{"p1=BIOS boot", "p2=EFI", "p3=LVM"},
		}}
		for j, dev := range []string{"sda", "sdb", "sdc"} {
			id := i*3 + j
			d := &NodeDisk{
				Dev: "/dev/" + dev, Type: "ssd", Model: "SAMSUNG MZ7L33T8HBLT-00A07", Serial: fmt.Sprintf("S6ERNE0T%06d", 5100+id),
				WWN: fmt.Sprintf("0x5002538f%08x", 0x4200c0+id), Size: 3840755982336, Used: "LVM", Wearout: 99 - id%3, Health: "PASSED",
				Attrs: ataSmartAttrs(0, 0, 9800+id*13),
			}
			if n.Name == "pve2" && dev == "sdb" {
				// A pre-failure sign: remapped and pending sectors, health still PASSED.
				d.Attrs = ataSmartAttrs(48, 8, 9817)
				d.Wearout = 91
			}
			disks = append(disks, d)
			h.osds = append(h.osds, &CephOSD{ID: id, Host: n.Name, Dev: d.Dev, Class: "ssd", Size: 3840753090560,
				Used: 3840753090560 / 100 * int64(usedPct[id]), In: true, ApplyLat: 1 + id%3, CommitLat: 1 + id%3})
		}
		if n.Name == "pve3" {
			disks = append(disks, &NodeDisk{Dev: "/dev/sdd", Type: "hdd", Model: "ST8000NM000A-2KE101", Serial: "WSD4K9QX",
				WWN: "0x5000c500e5a1b2c3", Size: 8001563222016, Health: "PASSED", Attrs: ataSmartAttrs(0, 0, 312)})
		}
		h.disks[n.Name] = disks
	}
	h.zones = []*sdnObj{
		{ID: "lan", Applied: true, Props: map[string]any{"type": "simple", "ipam": "pve", "dhcp": "dnsmasq"}},
		{ID: "tenants", Applied: true, Props: map[string]any{"type": "vlan", "bridge": "vmbr1", "ipam": "pve"}},
		{ID: "overlay", Applied: false, Props: map[string]any{"type": "vxlan", "peers": "10.0.0.11,10.0.0.12,10.0.0.13", "mtu": 1450, "ipam": "pve"}},
	}
	h.vnets = []*sdnObj{
		{ID: "lab10", Applied: true, Props: map[string]any{"zone": "lan", "alias": "lab services"}},
		{ID: "cust20", Applied: true, Props: map[string]any{"zone": "tenants", "tag": 20, "alias": "customer A"}},
		{ID: "cust30", Applied: true, Props: map[string]any{"zone": "tenants", "tag": 30, "alias": "customer B", "isolate-ports": 1}},
		{ID: "ovl100", Applied: false, Props: map[string]any{"zone": "overlay", "tag": 100000}},
	}
	now := s.now().Unix()
	h.repl["101-0"] = &replState{LastSync: now - 52*60, LastTry: now - 7*60, Duration: 4.21, FailCount: 3,
		Error: "command 'set -o pipefail && pvesm export local-zfs:vm-101-disk-0 zfs - -with-snapshots 1 -snapshot __replicate_101-0_1700000000__ | /usr/bin/ssh -e none -o 'BatchMode=yes' -o 'HostKeyAlias=pve2' root@10.0.0.12 -- pvesm import local-zfs:vm-101-disk-0 zfs - -with-snapshots 1 -allow-rename 0' failed: exit code 255"}
	h.repl["200-0"] = &replState{LastSync: now - 3*86400, LastTry: now - 3*86400, Duration: 1.87}
	s.health = h
}

func ataSmartAttrs(realloc, pending, hours int) []SmartAttr {
	reallocVal := 100
	if realloc > 0 {
		reallocVal = 97
	}
	return []SmartAttr{
		{ID: 5, Name: "Reallocated_Sector_Ct", Flags: "PO--CK", Value: reallocVal, Worst: reallocVal, Threshold: 10, Fail: "-", Raw: strconv.Itoa(realloc)},
		{ID: 9, Name: "Power_On_Hours", Flags: "-O--CK", Value: 98, Worst: 98, Threshold: 0, Fail: "-", Raw: strconv.Itoa(hours)},
		{ID: 12, Name: "Power_Cycle_Count", Flags: "-O--CK", Value: 99, Worst: 99, Threshold: 0, Fail: "-", Raw: "27"},
		{ID: 177, Name: "Wear_Leveling_Count", Flags: "PO--C-", Value: 99, Worst: 99, Threshold: 5, Fail: "-", Raw: "14"},
		{ID: 194, Name: "Temperature_Celsius", Flags: "-O---K", Value: 66, Worst: 54, Threshold: 0, Fail: "-", Raw: "34 (Min/Max 21/46)"},
		{ID: 197, Name: "Current_Pending_Sector", Flags: "-O--CK", Value: 100, Worst: 100, Threshold: 0, Fail: "-", Raw: strconv.Itoa(pending)},
		{ID: 199, Name: "UDMA_CRC_Error_Count", Flags: "-OSRCK", Value: 100, Worst: 100, Threshold: 0, Fail: "-", Raw: "0"},
		{ID: 241, Name: "Total_LBAs_Written", Flags: "-O--CK", Value: 99, Worst: 99, Threshold: 0, Fail: "-", Raw: strconv.Itoa(hours * 91234)},
	}
}

func nvmeSmartText(used, temp int) string {
	return strings.Join([]string{
		"SMART/Health Information (NVMe Log 0x02)",
		"Critical Warning:                   0x00",
		fmt.Sprintf("Temperature:                        %d Celsius", temp),
		"Available Spare:                    100%",
		"Available Spare Threshold:          10%",
		fmt.Sprintf("Percentage Used:                    %d%%", used),
		"Data Units Written:                 41,872,113 [21.4 TB]",
		"Power On Hours:                     9,812",
		"Unsafe Shutdowns:                   11",
		"Media and Data Integrity Errors:    0",
		"Error Information Log Entries:      0",
	}, "\n")
}

// CephOSDs returns a copy of the OSDs, for tests.
func (s *Sim) CephOSDs() []CephOSD {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]CephOSD, len(s.health.osds))
	for i, o := range s.health.osds {
		out[i] = *o
	}
	return out
}

func (s *Sim) osdUp(o *CephOSD) bool {
	n := s.node(o.Host)
	return n != nil && n.Online
}

// cephStatus builds what `ceph status --format json` prints (which Proxmox
// returns, with the manager map merged in): the health checks follow the
// OSDs' fill level and which nodes are up.
func (s *Sim) cephStatus() map[string]any {
	h := &s.health
	var total, used int64
	up, in, nearfull, downHosts := 0, 0, 0, map[string]bool{}
	for _, o := range h.osds {
		total += o.Size
		used += o.Used
		if s.osdUp(o) {
			up++
		} else {
			downHosts[o.Host] = true
		}
		if o.In {
			in++
		}
		if o.Used*100/o.Size >= 85 {
			nearfull++
		}
	}
	var quorum []int
	var quorumNames []string
	for i, n := range s.nodes {
		if n.Online {
			quorum = append(quorum, i)
			quorumNames = append(quorumNames, n.Name)
		}
	}
	checks := map[string]any{}
	check := func(name, msg string, count int) {
		checks[name] = map[string]any{"severity": "HEALTH_WARN", "summary": map[string]any{"message": msg, "count": count}, "muted": false}
	}
	numPGs, objects := 193, 1184235
	pgStates := []map[string]any{}
	if down := len(h.osds) - up; down > 0 {
		check("OSD_DOWN", fmt.Sprintf("%d osds down", down), down)
		check("OSD_HOST_DOWN", fmt.Sprintf("%d host (%d osds) down", len(downHosts), down), len(downHosts))
		check("MON_DOWN", fmt.Sprintf("%d/%d mons down, quorum %s", len(s.nodes)-len(quorum), len(s.nodes), strings.Join(quorumNames, ",")), len(s.nodes)-len(quorum))
		degraded := numPGs * down / len(h.osds)
		check("PG_DEGRADED", fmt.Sprintf("Degraded data redundancy: %d/%d objects degraded (%.3f%%), %d pgs degraded, %d pgs undersized",
			objects*down/len(h.osds), objects*3, float64(down)*100/float64(len(h.osds)*3), degraded, degraded), degraded*2)
		pgStates = append(pgStates, map[string]any{"state_name": "active+undersized+degraded", "count": degraded})
		if numPGs > degraded {
			pgStates = append(pgStates, map[string]any{"state_name": "active+clean", "count": numPGs - degraded})
		}
	} else {
		pgStates = append(pgStates, map[string]any{"state_name": "active+clean", "count": numPGs})
	}
	if nearfull > 0 {
		check("OSD_NEARFULL", fmt.Sprintf("%d nearfull osd(s)", nearfull), nearfull)
		check("POOL_NEARFULL", "2 pool(s) nearfull", 2)
	}
	status := "HEALTH_OK"
	if len(checks) > 0 {
		status = "HEALTH_WARN"
	}
	boot := s.nodes[0].Boot.Unix()
	modules := []map[string]any{}
	for _, m := range []string{"alerts", "balancer", "cephadm", "crash", "dashboard", "devicehealth", "diskprediction_local", "influx",
		"insights", "iostat", "localpool", "mds_autoscaler", "mirroring", "nfs", "orchestrator", "osd_perf_query", "osd_support",
		"pg_autoscaler", "progress", "prometheus", "rbd_support", "restful", "rgw", "selftest", "snap_schedule", "stats", "status",
		"telegraf", "telemetry", "test_orchestrator", "volumes", "zabbix"} {
		opts := map[string]any{}
		for _, o := range []string{"log_level", "log_to_cluster", "log_to_cluster_level", "log_to_file", "sqlite3_killpoint"} {
			opts[o] = map[string]any{"name": o, "type": "str", "level": "advanced", "flags": 1, "default_value": "", "min": "", "max": "",
				"enum_allowed": []string{"", "critical", "debug", "error", "info", "warning"}, "desc": "", "long_desc": "", "tags": []string{}, "see_also": []string{}}
		}
		modules = append(modules, map[string]any{"name": m, "can_run": true, "error_string": "", "module_options": opts})
	}
	standbys := []map[string]any{}
	for _, n := range quorumNames[1:] {
		standbys = append(standbys, map[string]any{"gid": 64123 + len(standbys), "name": n, "available_modules": modules})
	}
	return map[string]any{
		"fsid":           h.fsid,
		"health":         map[string]any{"status": status, "checks": checks, "mutes": []any{}},
		"election_epoch": 84, "quorum": quorum, "quorum_names": quorumNames, "quorum_age": s.now().Unix() - boot,
		"monmap": map[string]any{"epoch": 3, "min_mon_release_name": "squid", "num_mons": len(s.nodes)},
		"osdmap": map[string]any{"epoch": 2187, "num_osds": len(h.osds), "num_up_osds": up, "osd_up_since": boot,
			"num_in_osds": in, "osd_in_since": boot, "num_remapped_pgs": 0},
		"pgmap": map[string]any{"pgs_by_state": pgStates, "num_pgs": numPGs, "num_pools": 4, "num_objects": objects,
			"data_bytes": used / 3, "bytes_used": used, "bytes_avail": total - used, "bytes_total": total,
			"read_bytes_sec": 18874368, "write_bytes_sec": 41943040, "read_op_per_sec": 812, "write_op_per_sec": 1904},
		"fsmap": map[string]any{"epoch": 17, "id": 1, "up": 1, "in": 1, "max": 1,
			"by_rank": []any{map[string]any{"filesystem_id": 1, "rank": 0, "name": quorumNames[0], "status": "up:active", "gid": 74211}}, "up:standby": len(quorumNames) - 1},
		"mgrmap": map[string]any{"epoch": 41, "active_gid": 64120, "active_name": quorumNames[0], "active_addr": s.node(quorumNames[0]).IP + ":6801/1842",
			"available": true, "num_standbys": len(standbys), "standbys": standbys, "modules": []string{"iostat", "nfs", "restful"},
			"available_modules": modules, "services": map[string]any{}, "always_on_modules": map[string]any{"squid": []string{"balancer", "crash", "devicehealth", "orchestrator", "pg_autoscaler", "progress", "rbd_support", "status", "telemetry", "volumes"}}},
		"servicemap":      map[string]any{"epoch": 9, "modified": time.Unix(boot, 0).UTC().Format(time.RFC3339), "services": map[string]any{}},
		"progress_events": map[string]any{},
	}
}

func (s *Sim) routesHealth() {
	s.handle("GET", "/cluster/ceph/status", "", func(c *Call) (any, error) {
		return s.cephStatus(), nil
	})
	s.handle("GET", "/nodes/{node}/ceph/osd", "node:string", func(c *Call) (any, error) {
		hosts := []any{}
		for i, n := range s.nodes {
			var osds []any
			for _, o := range s.health.osds {
				if o.Host != n.Name {
					continue
				}
				status := "down"
				if s.osdUp(o) {
					status = "up"
				}
				osds = append(osds, map[string]any{"id": o.ID, "name": fmt.Sprintf("osd.%d", o.ID), "type": "osd", "leaf": 1,
					"host": o.Host, "status": status, "in": b2i(o.In), "reweight": 1, "crush_weight": 3.49299, "device_class": o.Class,
					"osdtype": "bluestore", "blfsdev": o.Dev, "total_space": o.Size, "bytes_used": o.Used,
					"percent_used": float64(o.Used*10000/o.Size) / 100, "apply_latency_ms": o.ApplyLat, "commit_latency_ms": o.CommitLat,
					"version": "19.2.1"})
			}
			hosts = append(hosts, map[string]any{"id": -3 - 2*i, "name": n.Name, "type": "host", "children": osds, "version": "19.2.1"})
		}
		root := map[string]any{"id": -1, "name": "default", "type": "root", "children": hosts}
		return map[string]any{"root": map[string]any{"leaf": 0, "children": []any{root}},
			"flags": "sortbitwise,recovery_deletes,purged_snapdirs,pglog_hardlimit"}, nil
	})
	s.handle("GET", "/cluster/sdn/zones", "pending?:boolean running?:boolean type?:enum(evpn|faucet|qinq|simple|vlan|vxlan)", func(c *Call) (any, error) {
		out := []map[string]any{}
		for _, e := range s.sdnList(s.health.zones, "zone", c) {
			if !c.Has("type") || e["type"] == c.Str("type") {
				out = append(out, e)
			}
		}
		return out, nil
	})
	s.handle("GET", "/cluster/sdn/vnets", "pending?:boolean running?:boolean", func(c *Call) (any, error) {
		out := s.sdnList(s.health.vnets, "vnet", c)
		for _, e := range out {
			e["type"] = "vnet"
		}
		return out, nil
	})
	s.handle("GET", "/nodes/{node}/disks/list", "node:string include-partitions?:boolean skipsmart?:boolean type?:enum(unused|journal_disks)", func(c *Call) (any, error) {
		out := []map[string]any{}
		for _, d := range s.health.disks[c.Str("node")] {
			switch c.Str("type") {
			case "unused":
				if d.Used != "" {
					continue
				}
			case "journal_disks":
				if d.Type == "hdd" || d.Used != "" && !d.GPT {
					continue
				}
			}
			out = append(out, s.diskEntry(c, d))
			if c.Bool("include-partitions") {
				for i, p := range d.Parts {
					suffix, use, _ := strings.Cut(p, "=")
					out = append(out, map[string]any{"devpath": d.Dev + suffix, "parent": d.Dev, "type": "partition",
						"used": use, "size": []int64{1031168, 1073741824, d.Size - 1074790400}[i%3], "gpt": 1, "health": "UNKNOWN",
						"osdid": -1, "osdid-list": []int{}, "mounted": b2i(use == "EFI")})
				}
			}
		}
		return out, nil
	})
	s.handle("GET", "/nodes/{node}/disks/smart", "node:string disk:string healthonly?:boolean", func(c *Call) (any, error) {
		var disk *NodeDisk
		for _, d := range s.health.disks[c.Str("node")] {
			if d.Dev == c.Str("disk") {
				disk = d
			}
		}
		if disk == nil {
			return nil, fail("not a valid block device")
		}
		if c.Bool("healthonly") {
			return map[string]any{"health": disk.Health}, nil
		}
		if disk.Attrs == nil {
			return map[string]any{"health": disk.Health, "type": "text", "text": disk.SmartTxt}, nil
		}
		attrs := []map[string]any{}
		for _, a := range disk.Attrs {
			attrs = append(attrs, map[string]any{"id": fmt.Sprintf("%3d", a.ID), "name": a.Name, "flags": a.Flags, "value": a.Value,
				"normalized": a.Value, "worst": a.Worst, "threshold": a.Threshold, "fail": a.Fail, "raw": a.Raw})
		}
		return map[string]any{"health": disk.Health, "type": "ata", "attributes": attrs}, nil
	})
	s.handle("GET", "/nodes/{node}/replication", "node:string guest?:integer(100-999999999)", func(c *Call) (any, error) {
		out := []map[string]any{}
		jobs := append([]*ReplJob(nil), s.cluster.repl...)
		sort.Slice(jobs, func(i, j int) bool { return jobs[i].ID < jobs[j].ID })
		for _, j := range jobs {
			g := s.guests[j.Guest]
			if g == nil || g.Node != c.Str("node") || c.Has("guest") && j.Guest != c.Int("guest") {
				continue
			}
			e := map[string]any{"id": j.ID, "guest": j.Guest, "jobnum": j.JobNum, "target": j.Target, "type": "local",
				"source": g.Node, "schedule": j.Schedule, "vmtype": g.Type, "fail_count": 0, "last_sync": 0, "last_try": 0}
			if j.Rate > 0 {
				e["rate"] = j.Rate
			}
			if j.Comment != "" {
				e["comment"] = j.Comment
			}
			st := s.health.repl[j.ID]
			if st != nil {
				e["last_sync"], e["last_try"], e["fail_count"] = st.LastSync, st.LastTry, st.FailCount
				if st.Duration > 0 {
					e["duration"] = st.Duration
				}
				if st.Error != "" {
					e["error"] = st.Error
				}
			}
			if j.Disable {
				e["disable"] = 1
			} else {
				e["next_sync"] = s.replNextSync(j, st)
			}
			out = append(out, e)
		}
		return out, nil
	})
}

// replNextSync is the next run: the next schedule slot after the last try,
// later after failures (pvesr backs off 5, 10, 15 ... minutes, at most 30).
func (s *Sim) replNextSync(j *ReplJob, st *replState) int64 {
	now := s.now().Unix()
	every := int64(15 * 60)
	if m, err := strconv.Atoi(strings.TrimPrefix(j.Schedule, "*/")); err == nil && m > 0 {
		every = int64(m) * 60
	}
	if st == nil || st.LastTry == 0 {
		return now - now%every + every
	}
	if st.FailCount > 0 {
		return st.LastTry + int64(min(st.FailCount*5, 30))*60
	}
	return st.LastTry - st.LastTry%every + every
}

func (s *Sim) diskEntry(c *Call, d *NodeDisk) map[string]any {
	e := map[string]any{"devpath": d.Dev, "type": d.Type, "model": d.Model, "serial": d.Serial, "wwn": d.WWN,
		"size": d.Size, "gpt": b2i(d.GPT), "rpm": 0, "osdid": -1, "osdid-list": []int{}, "mounted": 0,
		"by_id_link": "/dev/disk/by-id/" + strings.ReplaceAll(d.Model, " ", "_") + "_" + d.Serial}
	if d.Type == "hdd" {
		e["rpm"] = 7200
	}
	if d.Used != "" {
		e["used"] = d.Used
	}
	for _, o := range s.health.osds {
		if o.Host == c.Str("node") && o.Dev == d.Dev {
			e["osdid"], e["osdid-list"] = o.ID, []int{o.ID}
		}
	}
	if !c.Bool("skipsmart") {
		e["health"] = d.Health
		if d.Wearout > 0 {
			e["wearout"] = d.Wearout
		}
	}
	return e
}

// sdnList answers an SDN index: by default the configuration as written,
// running=1 only what has been applied, pending=1 everything with a state
// for what is not applied yet.
func (s *Sim) sdnList(objs []*sdnObj, key string, c *Call) []map[string]any {
	items := make([]map[string]string, 0, len(objs))
	for _, o := range objs {
		it := map[string]string{key: o.ID}
		for k, v := range o.Props {
			it[k] = fmt.Sprint(v)
		}
		items = append(items, it)
	}
	digest := listDigest(items)
	out := []map[string]any{}
	for _, o := range objs {
		if c.Bool("running") && !o.Applied {
			continue
		}
		e := map[string]any{key: o.ID, "digest": digest}
		if c.Bool("running") {
			delete(e, "digest")
		}
		for k, v := range o.Props {
			e[k] = v
		}
		if c.Bool("pending") && !o.Applied {
			e["state"] = "new"
			// The pending view holds the changed options, not the
			// object's type, which cannot change.
			p := cloneAny(o.Props)
			delete(p, "type")
			e["pending"] = p
		}
		out = append(out, e)
	}
	return out
}

func cloneAny(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
