package pvesim

import (
	"fmt"
	"strconv"
	"strings"
)

// The state and seed of the health and capacity subtrees: a hyper-converged
// Ceph cluster (a monitor, a manager and three OSDs per node), SDN zones and
// vnets, each node's disks with their SMART data, and the state of the
// storage replication jobs. Their routes are in ceph.go, sdn.go, disks.go
// and replication.go.

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

// CephOSDs returns a copy of the OSDs, for tests.
func (s *Sim) CephOSDs() []CephOSD {
	s.mu.Lock()
	defer s.mu.Unlock()
	return derefAll(s.health.osds)
}

func (s *Sim) osdUp(o *CephOSD) bool {
	n := s.node(o.Host)
	return n != nil && n.Online
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
