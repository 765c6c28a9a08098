package pvesim

import (
	"fmt"
	"strings"
	"time"
)

// The Ceph subtrees: /cluster/ceph and /nodes/{node}/ceph.

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

// routesCeph serves the Ceph status and OSDs.
func (s *Sim) routesCeph() {
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
}
