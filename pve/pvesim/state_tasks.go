package pvesim

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// State model of tasks: UPIDs, running and finished tasks and their logs.

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
	Log        []string // the lines written so far
	// script holds the lines the worker still writes as it runs (copy
	// and transfer percentages ...): they appear one by one, evenly over
	// TaskDuration, the way a Proxmox task log grows; work's own lines and
	// the final TASK OK or TASK ERROR come at the end.
	script []string
	work   func(*Task) error
	timer  *time.Timer // ends the task
	step   *time.Timer // writes the next script line
}

// startTask starts a worker like Proxmox's fork_worker: it returns the UPID at
// once; work runs when the task finishes (after TaskDuration) and its error,
// if any, becomes the exit status. Called with s.mu held.
func (s *Sim) startTask(node, typ, id, user string, work func(*Task) error) string {
	return s.startTaskPrepared(node, typ, id, user, nil, work)
}

// startTaskPrepared is startTask with a first step: prepare runs as the
// worker starts, before the call returns, the way a Proxmox worker checks
// and takes the guest's config lock in its first milliseconds. If prepare
// fails, the task ends at once with that error and work never runs; the
// caller still gets the UPID, as from Proxmox. Called with s.mu held.
func (s *Sim) startTaskPrepared(node, typ, id, user string, prepare, work func(*Task) error) string {
	s.taskSeq++
	now := s.now()
	t := &Task{
		Node: node, Type: typ, ID: id, User: user,
		PID: 100000 + s.taskSeq, PStart: 5000000 + s.taskSeq*17,
		Start: now, Running: true, work: work,
	}
	t.UPID = fmt.Sprintf("UPID:%s:%08X:%08X:%08X:%s:%s:%s:", node, t.PID, t.PStart, now.Unix(), typ, id, user)
	s.tasks[t.UPID] = t
	if prepare != nil {
		if err := prepare(t); err != nil {
			t.work = func(*Task) error { return err }
			s.finishTask(t)
			return t.UPID
		}
	}
	if s.opts.TaskDuration <= 0 {
		s.finishTask(t)
		return t.UPID
	}
	s.scheduleScript(t)
	t.timer = time.AfterFunc(s.opts.TaskDuration, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if t.Running {
			s.finishTask(t)
		}
	})
	return t.UPID
}

// startLoggedTask is startTask for a worker whose log grows as it runs:
// first is written as it starts, during spread over its run (see
// Task.script), then work's own lines at its end.
func (s *Sim) startLoggedTask(node, typ, id, user string, first, during []string, work func(*Task) error) string {
	return s.startTaskPrepared(node, typ, id, user, func(t *Task) error {
		t.logAsRunning(first, during)
		return nil
	}, work)
}

// logAsRunning writes first now and queues during for the rest of the run;
// a prepare step calls it once its checks have passed.
func (t *Task) logAsRunning(first, during []string) {
	t.Log = append(t.Log, first...)
	t.script = append(t.script, during...)
}

// scheduleScript writes t's script lines one at a time, at equal steps that
// end before the task does. Called with s.mu held.
func (s *Sim) scheduleScript(t *Task) {
	if len(t.script) == 0 {
		return
	}
	every := s.opts.TaskDuration / time.Duration(len(t.script)+1)
	var next func()
	next = func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if !t.Running || len(t.script) == 0 {
			return
		}
		t.Log = append(t.Log, t.script[0])
		t.script = t.script[1:]
		if len(t.script) > 0 {
			t.step = time.AfterFunc(every, next)
		}
	}
	t.step = time.AfterFunc(every, next)
}

// stopScript drops the lines a worker has not written yet (it was
// interrupted) and their timer.
func (t *Task) stopScript() {
	if t.step != nil {
		t.step.Stop()
	}
	t.script = nil
}

func (s *Sim) finishTask(t *Task) {
	// Lines still queued were due before the end (timers can lag): write them first.
	t.Log = append(t.Log, t.script...)
	t.stopScript()
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

// TaskByUPID returns a copy of a task's state, for tests.
func (s *Sim) TaskByUPID(upid string) (Task, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tasks[upid]
	if !ok {
		return Task{}, false
	}
	c := *t
	c.Log, c.script = slices.Clone(t.Log), nil
	return c, true
}
