package pvesim

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// Task is a Proxmox worker task.
type Task struct {
	UPID       string
	Node       string
	Type       string
	ID         string
	User       string
	PID        int
	PStart     int
	Start      time.Time
	End        time.Time
	Running    bool
	ExitStatus string
	Log        []string
	work       func(*Task) error
	timer      *time.Timer
}

// startTask starts a worker like Proxmox's fork_worker: it returns the UPID at
// once; work runs when the task finishes (after TaskDuration) and its error,
// if any, becomes the exit status. Called with s.mu held.
func (s *Sim) startTask(node, typ, id, user string, work func(*Task) error) string {
	s.taskSeq++
	now := s.now()
	t := &Task{
		Node: node, Type: typ, ID: id, User: user,
		PID: 100000 + s.taskSeq, PStart: 5000000 + s.taskSeq*17,
		Start: now, Running: true, work: work,
	}
	t.UPID = fmt.Sprintf("UPID:%s:%08X:%08X:%08X:%s:%s:%s:", node, t.PID, t.PStart, now.Unix(), typ, id, user)
	s.tasks[t.UPID] = t
	if s.opts.TaskDuration <= 0 {
		s.finishTask(t)
		return t.UPID
	}
	t.timer = time.AfterFunc(s.opts.TaskDuration, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if t.Running {
			s.finishTask(t)
		}
	})
	return t.UPID
}

func (s *Sim) finishTask(t *Task) {
	var err error
	if t.work != nil {
		err = t.work(t)
	}
	t.Running = false
	t.End = s.now()
	if err != nil {
		msg := strings.TrimSpace(err.Error())
		if ae, ok := err.(*APIError); ok {
			msg = ae.Message
		}
		t.ExitStatus = msg
		t.Log = append(t.Log, "TASK ERROR: "+msg)
		return
	}
	t.ExitStatus = "OK"
	t.Log = append(t.Log, "TASK OK")
}

// addHistory records an already finished task (seed data).
func (s *Sim) addHistory(node, typ, id, user string, ago time.Duration, took time.Duration, exit string, log ...string) {
	s.taskSeq++
	start := s.now().Add(-ago)
	t := &Task{Node: node, Type: typ, ID: id, User: user, PID: 90000 + s.taskSeq, PStart: 4000000 + s.taskSeq*13,
		Start: start, End: start.Add(took), ExitStatus: exit, Log: log}
	t.UPID = fmt.Sprintf("UPID:%s:%08X:%08X:%08X:%s:%s:%s:", node, t.PID, t.PStart, start.Unix(), typ, id, user)
	if exit == "OK" {
		t.Log = append(t.Log, "TASK OK")
	} else {
		t.Log = append(t.Log, "TASK ERROR: "+exit)
	}
	s.tasks[t.UPID] = t
}

func (t *Task) status() map[string]any {
	m := map[string]any{
		"upid": t.UPID, "node": t.Node, "pid": t.PID, "pstart": t.PStart,
		"starttime": t.Start.Unix(), "type": t.Type, "id": t.ID, "user": t.User,
	}
	if t.Running {
		m["status"] = "running"
	} else {
		m["status"] = "stopped"
		m["exitstatus"] = t.ExitStatus
	}
	return m
}

func (t *Task) listEntry() map[string]any {
	m := map[string]any{
		"upid": t.UPID, "node": t.Node, "pid": t.PID, "pstart": t.PStart,
		"starttime": t.Start.Unix(), "type": t.Type, "id": t.ID, "user": t.User,
	}
	if !t.Running {
		m["endtime"] = t.End.Unix()
		m["status"] = t.ExitStatus
	}
	return m
}

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

// TaskByUPID returns a copy of a task's state, for tests.
func (s *Sim) TaskByUPID(upid string) (Task, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tasks[upid]
	if !ok {
		return Task{}, false
	}
	return *t, true
}
