package pvesim

import (
	"fmt"
	"strings"
)

// The /nodes/{node}/disks subtree: a node's block devices and SMART data.

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
