package pvesim

import (
	"fmt"
	"strconv"
	"strings"
)

// The /nodes/{node}/disks subtree: a node's block devices and SMART data.

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

// routesDisks serves a node's disks and their SMART data.
func (s *Sim) routesDisks() {
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
}
