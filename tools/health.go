package tools

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
)

// Health and capacity beyond the cluster summary: Ceph, SDN, node disks with
// SMART, replication runs.

type cephStatusIn struct {
	Verbose bool `json:"verbose,omitempty" pve:"-" jsonschema:"Full Ceph status (large)"`
}

type cephOSDsIn struct {
	Node string `json:"node,omitempty" jsonschema:"Node to ask (default first online)"`
}

type sdnZonesIn struct {
	Type    string `json:"type,omitempty" jsonschema:"Only this type" enum:"evpn|faucet|qinq|simple|vlan|vxlan"`
	Pending bool   `json:"pending,omitempty" jsonschema:"Include unapplied changes"`
}

type sdnVnetsIn struct {
	Pending bool `json:"pending,omitempty" jsonschema:"Include unapplied changes"`
}

type nodeDisksIn struct {
	NodeIn
	Type              string `json:"type,omitempty" jsonschema:"Only these disks" enum:"unused|journal_disks"`
	SkipSmart         bool   `json:"skipsmart,omitempty" jsonschema:"Skip SMART (faster)"`
	IncludePartitions bool   `json:"include_partitions,omitempty" pve:"include-partitions" jsonschema:"Include partitions"`
}

type diskSmartIn struct {
	NodeIn
	Disk       string `json:"disk" jsonschema:"Device, e.g. /dev/sda" pattern:"^/dev/[a-zA-Z0-9\\/]+$"`
	HealthOnly bool   `json:"healthonly,omitempty" jsonschema:"Overall health only"`
}

type replStatusIn struct {
	Node  string `json:"node,omitempty" jsonschema:"Source node (default all)"`
	Guest int    `json:"guest,omitempty" jsonschema:"Only this guest" min:"100" max:"999999999"`
}

var (
	cephStatusCall = Call{Method: "GET", Path: "/cluster/ceph/status"}
	cephOSDCall    = Call{Method: "GET", Path: "/nodes/{node}/ceph/osd"}
	replStatusCall = Call{Method: "GET", Path: "/nodes/{node}/replication"}
)

// updateFields leave out the long descriptions and the arch.
var updateFields = []string{"Package", "OldVersion", "Version", "Priority", "Origin"}

// diskFields leave out by-id links, WWNs, GPT flags and OSD lists.
var diskFields = []string{"devpath", "parent", "type", "size", "model", "serial", "used", "osdid", "health", "wearout"}

func healthTools() []*Tool {
	return []*Tool{
		Custom(Spec{Name: "pve_get_ceph_status", Title: "Ceph status", Tier: ReadOnly, Kind: Read,
			Desc: "Ceph health and warnings, mons, OSDs, PG states, capacity and I/O."},
			[]Call{cephStatusCall}, cephStatus),
		Custom(Spec{Name: "pve_list_ceph_osds", Title: "List Ceph OSDs", Tier: ReadOnly, Kind: Read,
			Desc: "Ceph OSDs: host, up/in, class, fill %, latency, device; plus OSD flags."},
			[]Call{nodesCall, cephOSDCall}, cephOSDs),
		Endpoint[sdnZonesIn](Spec{Name: "pve_list_sdn_zones", Title: "List SDN zones", Tier: ReadOnly, Kind: Read,
			Desc: "SDN zones with type, bridge, peers, MTU, IPAM."}, "GET", "/cluster/sdn/zones").In(Network),
		Endpoint[sdnVnetsIn](Spec{Name: "pve_list_sdn_vnets", Title: "List SDN vnets", Tier: ReadOnly, Kind: Read,
			Desc: "SDN vnets (usable as a NIC bridge) with zone, tag, alias."}, "GET", "/cluster/sdn/vnets").In(Network),
		Endpoint[nodeDisksIn](Spec{Name: "pve_list_node_disks", Title: "List node disks", Tier: ReadOnly, Kind: Read, Fields: diskFields,
			Desc: "A node's disks: type, size, model, serial, use, SMART health, SSD wearout."}, "GET", "/nodes/{node}/disks/list").In(Nodes),
		Endpoint[NodeIn](Spec{Name: "pve_list_node_updates", Title: "List package updates", Tier: ReadOnly, Kind: Read, Fields: updateFields,
			Desc: "Packages with an update available on a node, as of its last apt refresh (daily)."}, "GET", "/nodes/{node}/apt/update").In(Nodes),
		Endpoint[diskSmartIn](Spec{Name: "pve_get_disk_smart", Title: "Disk SMART health", Tier: ReadOnly, Kind: Read,
			Desc: "A disk's SMART health and attributes."}, "GET", "/nodes/{node}/disks/smart").In(Nodes),
		Custom(Spec{Name: "pve_list_replication_status", Title: "Replication status", Tier: ReadOnly, Kind: Read,
			Desc: "Replication runs per job: last/next sync, duration, fail count, error."},
			[]Call{nodesCall, replStatusCall}, func(ctx context.Context, env *Env, in replStatusIn) (Output, error) {
				if in.Node != "" {
					return env.Call(ctx, replStatusCall, &in)
				}
				return env.acrossNodes(ctx, replStatusCall, &in)
			}),
	}
}

// cephRaw is the part of `ceph status` the summary reads.
type cephRaw struct {
	FSID   string `json:"fsid"`
	Health struct {
		Status string `json:"status"`
		Checks map[string]struct {
			Severity string `json:"severity"`
			Summary  struct {
				Message string `json:"message"`
			} `json:"summary"`
			Muted bool `json:"muted"`
		} `json:"checks"`
	} `json:"health"`
	QuorumNames []string `json:"quorum_names"`
	MonMap      struct {
		NumMons int `json:"num_mons"`
	} `json:"monmap"`
	OSDMap struct {
		NumOSDs        int `json:"num_osds"`
		NumUpOSDs      int `json:"num_up_osds"`
		NumInOSDs      int `json:"num_in_osds"`
		NumRemappedPGs int `json:"num_remapped_pgs"`
	} `json:"osdmap"`
	PGMap struct {
		PGsByState []struct {
			State string `json:"state_name"`
			Count int    `json:"count"`
		} `json:"pgs_by_state"`
		NumPGs        int     `json:"num_pgs"`
		NumPools      int     `json:"num_pools"`
		NumObjects    int64   `json:"num_objects"`
		DataBytes     int64   `json:"data_bytes"`
		BytesUsed     int64   `json:"bytes_used"`
		BytesAvail    int64   `json:"bytes_avail"`
		BytesTotal    int64   `json:"bytes_total"`
		ReadBytesSec  float64 `json:"read_bytes_sec"`
		WriteBytesSec float64 `json:"write_bytes_sec"`
		ReadOpSec     float64 `json:"read_op_per_sec"`
		WriteOpSec    float64 `json:"write_op_per_sec"`
	} `json:"pgmap"`
	MgrMap struct {
		Available   bool   `json:"available"`
		ActiveName  string `json:"active_name"`
		NumStandbys int    `json:"num_standbys"`
	} `json:"mgrmap"`
}

type cephCheck struct {
	Check    string `json:"check"`
	Severity string `json:"severity"`
	Message  string `json:"message"`
	Muted    bool   `json:"muted,omitempty"`
}

func cephStatus(ctx context.Context, env *Env, in cephStatusIn) (Output, error) {
	out, err := env.Call(ctx, cephStatusCall, &EmptyIn{})
	if err != nil {
		return out, err
	}
	if in.Verbose {
		return verboseCephStatus(out)
	}
	var raw cephRaw
	if err := json.Unmarshal(out.Data, &raw); err != nil {
		return Output{}, fmt.Errorf("unexpected Ceph status: %w", err)
	}
	checks := []cephCheck{}
	for name, c := range raw.Health.Checks {
		checks = append(checks, cephCheck{name, c.Severity, c.Summary.Message, c.Muted})
	}
	sort.Slice(checks, func(i, j int) bool {
		if checks[i].Severity != checks[j].Severity {
			return checks[i].Severity == "HEALTH_ERR"
		}
		return checks[i].Check < checks[j].Check
	})
	pgStates := map[string]int{}
	for _, s := range raw.PGMap.PGsByState {
		pgStates[s.State] += s.Count
	}
	p := raw.PGMap
	usedPct := 0.0
	if p.BytesTotal > 0 {
		usedPct = round2(float64(p.BytesUsed) * 100 / float64(p.BytesTotal))
	}
	return JSON(map[string]any{
		"fsid":   raw.FSID,
		"health": raw.Health.Status,
		"checks": checks,
		"mons":   map[string]any{"total": raw.MonMap.NumMons, "quorum": raw.QuorumNames},
		"mgr":    map[string]any{"active": raw.MgrMap.ActiveName, "available": raw.MgrMap.Available, "standbys": raw.MgrMap.NumStandbys},
		"osds":   map[string]any{"total": raw.OSDMap.NumOSDs, "up": raw.OSDMap.NumUpOSDs, "in": raw.OSDMap.NumInOSDs, "remapped_pgs": raw.OSDMap.NumRemappedPGs},
		"pgs":    map[string]any{"total": p.NumPGs, "by_state": pgStates},
		"pools":  p.NumPools, "objects": p.NumObjects,
		"usage": map[string]any{"bytes_total": p.BytesTotal, "bytes_used": p.BytesUsed, "bytes_avail": p.BytesAvail,
			"data_bytes": p.DataBytes, "used_percent": usedPct},
		"io": map[string]any{"read_bytes_sec": p.ReadBytesSec, "write_bytes_sec": p.WriteBytesSec,
			"read_ops_sec": p.ReadOpSec, "write_ops_sec": p.WriteOpSec},
	})
}

// verboseCephStatus is Ceph's status as it came, except the manager map's
// module catalogue (every module's options, for the active manager and each
// standby): tens of KiB that say nothing about the cluster's health.
func verboseCephStatus(out Output) (Output, error) {
	var full map[string]json.RawMessage
	if err := json.Unmarshal(out.Data, &full); err != nil {
		return Output{}, fmt.Errorf("unexpected Ceph status: %w", err)
	}
	var mgr map[string]json.RawMessage
	if json.Unmarshal(full["mgrmap"], &mgr) == nil && mgr != nil {
		delete(mgr, "available_modules")
		var standbys []struct {
			Name string `json:"name"`
		}
		if json.Unmarshal(mgr["standbys"], &standbys) == nil {
			names := []string{}
			for _, s := range standbys {
				names = append(names, s.Name)
			}
			mgr["standbys"], _ = json.Marshal(names)
		}
		full["mgrmap"], _ = json.Marshal(mgr)
	}
	return JSON(full)
}

// osdNode is one node of Proxmox's OSD tree (root, host or osd).
type osdNode struct {
	ID          int       `json:"id"`
	Name        string    `json:"name"`
	Type        string    `json:"type"`
	Host        string    `json:"host,omitempty"`
	Status      string    `json:"status,omitempty"`
	In          *int      `json:"in,omitempty"`
	DeviceClass string    `json:"device_class,omitempty"`
	CrushWeight float64   `json:"crush_weight,omitempty"`
	PercentUsed float64   `json:"percent_used,omitempty"`
	BytesUsed   int64     `json:"bytes_used,omitempty"`
	TotalSpace  int64     `json:"total_space,omitempty"`
	ApplyLat    *float64  `json:"apply_latency_ms,omitempty"`
	CommitLat   *float64  `json:"commit_latency_ms,omitempty"`
	BlockDev    string    `json:"blfsdev,omitempty"`
	Version     string    `json:"version,omitempty"`
	Children    []osdNode `json:"children,omitempty"`
}

// cephOSDs flattens the OSD tree into one list (the tree's shape says
// nothing an agent needs that host does not).
func cephOSDs(ctx context.Context, env *Env, in cephOSDsIn) (Output, error) {
	if in.Node == "" {
		nodes, err := env.clusterNodes(ctx)
		if err != nil {
			return Output{}, err
		}
		for _, n := range nodes {
			if n.Status == "online" {
				in.Node = n.Node
				break
			}
		}
		if in.Node == "" {
			return Output{}, errors.New("no node is online")
		}
	}
	out, err := env.Call(ctx, cephOSDCall, &in)
	if err != nil {
		return Output{}, err
	}
	var tree struct {
		Flags string  `json:"flags"`
		Root  osdNode `json:"root"`
	}
	if err := json.Unmarshal(out.Data, &tree); err != nil {
		return Output{}, fmt.Errorf("unexpected OSD tree: %w", err)
	}
	osds := []osdNode{}
	var walk func(n osdNode, host string)
	walk = func(n osdNode, host string) {
		if n.Type == "host" {
			host = n.Name
		}
		if n.Type == "osd" {
			if n.Host == "" {
				n.Host = host
			}
			n.Children = nil
			osds = append(osds, n)
		}
		for _, c := range n.Children {
			walk(c, host)
		}
	}
	walk(tree.Root, "")
	sort.Slice(osds, func(i, j int) bool { return osds[i].ID < osds[j].ID })
	res, err := JSON(map[string]any{"flags": tree.Flags, "osds": osds})
	if err == nil && len(osds) == 0 {
		res.Note = "No OSDs: Ceph is not set up, or has no OSDs yet."
	}
	return res, err
}
