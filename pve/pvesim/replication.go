package pvesim

import (
	"sort"
	"strconv"
	"strings"
)

// The replication subtrees: /cluster/replication and /nodes/{node}/replication.

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

// routesReplication serves the replication jobs and their state.
func (s *Sim) routesReplication() {
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
	s.handle("GET", "/cluster/replication", "", func(c *Call) (any, error) {
		out := []map[string]any{}
		for _, j := range s.cluster.repl {
			g := s.guests[j.Guest]
			e := map[string]any{"id": j.ID, "type": "local", "guest": j.Guest, "jobnum": j.JobNum, "target": j.Target,
				"schedule": j.Schedule}
			if g != nil {
				e["source"] = g.Node
			}
			if j.Rate > 0 {
				e["rate"] = j.Rate
			}
			if j.Comment != "" {
				e["comment"] = j.Comment
			}
			if j.Disable {
				e["disable"] = 1
			}
			out = append(out, e)
		}
		return out, nil
	})
}
