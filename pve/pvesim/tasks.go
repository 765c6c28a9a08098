package pvesim

import (
	"sort"
	"strings"
)

func (s *Sim) routesTasks() {
	s.handle("GET", "/nodes/{node}/tasks",
		"node:string start?:integer(0-) limit?:integer(0-) vmid?:integer(100-999999999) typefilter?:string userfilter?:string errors?:boolean source?:enum(archive|active|all) since?:integer until?:integer statusfilter?:string",
		func(c *Call) (any, error) {
			node := c.Str("node")
			source := c.Str("source")
			if source == "" {
				source = "archive"
			}
			var list []*Task
			for _, t := range s.tasks {
				switch {
				case t.Node != node:
				case source == "archive" && t.Running, source == "active" && !t.Running:
				case c.Has("vmid") && t.ID != c.Str("vmid"):
				case c.Has("typefilter") && t.Type != c.Str("typefilter"):
				case c.Has("userfilter") && !strings.Contains(t.User, c.Str("userfilter")):
				case c.Bool("errors") && (t.Running || t.ExitStatus == "OK"):
				case c.Has("since") && t.Start.Unix() < int64(c.Int("since")):
				case c.Has("until") && t.Start.Unix() > int64(c.Int("until")):
				default:
					list = append(list, t)
				}
			}
			sort.Slice(list, func(i, j int) bool {
				if !list[i].Start.Equal(list[j].Start) {
					return list[i].Start.After(list[j].Start)
				}
				return list[i].UPID > list[j].UPID
			})
			start, limit := c.Int("start"), 50
			if c.Has("limit") {
				limit = c.Int("limit")
			}
			out := []map[string]any{}
			for i := start; i < len(list) && len(out) < limit; i++ {
				out = append(out, list[i].listEntry())
			}
			return out, nil
		})
	s.handle("GET", "/nodes/{node}/tasks/{upid}", "node:string upid:string", func(c *Call) (any, error) {
		if _, err := s.task(c); err != nil {
			return nil, err
		}
		return []map[string]string{{"name": "log"}, {"name": "status"}}, nil
	})
	s.handle("GET", "/nodes/{node}/tasks/{upid}/status", "node:string upid:string", func(c *Call) (any, error) {
		t, err := s.task(c)
		if err != nil {
			return nil, err
		}
		return t.status(), nil
	})
	s.handle("GET", "/nodes/{node}/tasks/{upid}/log", "node:string upid:string start?:integer(0-) limit?:integer(0-) download?:boolean", func(c *Call) (any, error) {
		t, err := s.task(c)
		if err != nil {
			return nil, err
		}
		start, limit := c.Int("start"), 50
		if c.Has("limit") {
			limit = c.Int("limit")
		}
		out := []map[string]any{}
		for i := start; i < len(t.Log) && len(out) < limit; i++ {
			out = append(out, map[string]any{"n": i + 1, "t": t.Log[i]})
		}
		return out, nil
	})
	s.handle("DELETE", "/nodes/{node}/tasks/{upid}", "node:string upid:string", func(c *Call) (any, error) {
		t, err := s.task(c)
		if err != nil {
			return nil, err
		}
		if t.Running {
			if t.timer != nil {
				t.timer.Stop()
			}
			t.stopScript()
			t.Running = false
			t.End = s.now()
			t.ExitStatus = "interrupted by signal"
			t.Log = append(t.Log, "received interrupt", "TASK ERROR: interrupted by signal")
		}
		return nil, nil
	})
}

func (s *Sim) task(c *Call) (*Task, error) {
	upid := c.Str("upid")
	parts := strings.Split(upid, ":")
	if len(parts) < 9 || parts[0] != "UPID" {
		return nil, badParam("upid", "unable to parse worker upid '"+upid+"'")
	}
	t := s.tasks[upid]
	if t == nil || t.Node != c.Str("node") {
		return nil, fail("no such task")
	}
	return t, nil
}
