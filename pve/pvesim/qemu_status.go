package pvesim

import (
	"fmt"
	"strconv"
)

// /nodes/{node}/qemu/{vmid}/status: a VM's run state (current, with the
// QMP state and the HA view) and its power actions. The actions' workers
// check the guest's lock as their first step (see checkedTask).

// routesQemuStatus serves the status subtree.
func (s *Sim) routesQemuStatus() {
	s.handle("GET", "/nodes/{node}/qemu/{vmid}/status", guestIDs, func(c *Call) (any, error) {
		if _, err := s.guest(c, "qemu"); err != nil {
			return nil, err
		}
		return []map[string]string{{"subdir": "current"}, {"subdir": "start"}, {"subdir": "stop"}, {"subdir": "reset"},
			{"subdir": "shutdown"}, {"subdir": "suspend"}, {"subdir": "reboot"}, {"subdir": "resume"}}, nil
	})
	s.handle("GET", "/nodes/{node}/qemu/{vmid}/status/current", guestIDs, func(c *Call) (any, error) {
		g, err := s.guest(c, "qemu")
		if err != nil {
			return nil, err
		}
		st := s.guestView(g)
		st["qmpstatus"] = g.Status
		if g.Paused {
			st["qmpstatus"] = "paused"
		}
		st["ha"] = s.haGuestStatus(g)
		if g.Config["agent"] == "1" && g.Status == "running" {
			st["agent"] = 1
		}
		if g.Status == "running" {
			st["running-machine"] = "pc-q35-9.2+pve1"
			st["running-qemu"] = "9.2.0"
		}
		return st, nil
	})
	s.handle("POST", "/nodes/{node}/qemu/{vmid}/status/start",
		guestIDs+" skiplock?:boolean timeout?:integer(0-) machine?:string force-cpu?:string migratedfrom?:string migration_network?:string migration_type?:enum(secure|insecure) stateuri?:string targetstorage?:string nets-host-mtu?:string with-conntrack-state?:boolean",
		func(c *Call) (any, error) {
			g, err := s.guest(c, "qemu")
			if err != nil {
				return nil, err
			}
			if g.Template {
				return nil, fail("you can't start a vm if it's a template")
			}
			if s.haManaged(g) && !c.Has("stateuri") && !c.Has("migratedfrom") {
				return s.haRequest(g, "started", c.User), nil
			}
			// vm_start checks in the worker: the lock (skiplock, or a
			// hibernated VM's "suspended", aside), then whether it runs.
			return s.startTaskPrepared(g.Node, "qmstart", strconv.Itoa(g.VMID), c.User, func(t *Task) error {
				if err := g.checkLock(c.Bool("skiplock") || g.Lock == "suspended"); err != nil {
					return err
				}
				if g.Status == "running" {
					return fail("VM %d already running", g.VMID)
				}
				t.Log = append(t.Log, fmt.Sprintf("start VM %d: %s", g.VMID, t.UPID))
				return nil
			}, func(t *Task) error {
				s.setRunning(g)
				return nil
			}), nil
		})
	s.handle("POST", "/nodes/{node}/qemu/{vmid}/status/stop",
		guestIDs+" skiplock?:boolean timeout?:integer(0-) keepActive?:boolean migratedfrom?:string overrule-shutdown?:boolean",
		func(c *Call) (any, error) {
			g, err := s.guest(c, "qemu")
			if err != nil {
				return nil, err
			}
			if s.haManaged(g) && !c.Has("migratedfrom") {
				return s.haRequest(g, "stopped", c.User), nil
			}
			return s.checkedTask(g, "qmstop", c.User, c.Bool("skiplock"), func(t *Task) error {
				s.setStopped(g)
				return nil
			}), nil
		})
	s.handle("POST", "/nodes/{node}/qemu/{vmid}/status/shutdown",
		guestIDs+" skiplock?:boolean timeout?:integer(0-) forceStop?:boolean keepActive?:boolean",
		func(c *Call) (any, error) {
			g, err := s.running(c, "qemu")
			if err != nil {
				return nil, err
			}
			if g.Paused && !c.Bool("forceStop") {
				return nil, fail("VM is paused - cannot shutdown")
			}
			if s.haManaged(g) {
				return s.haRequest(g, "stopped", c.User), nil
			}
			return s.checkedTask(g, "qmshutdown", c.User, c.Bool("skiplock"), func(t *Task) error {
				s.setStopped(g)
				return nil
			}), nil
		})
	s.handle("POST", "/nodes/{node}/qemu/{vmid}/status/reboot", guestIDs+" timeout?:integer(0-)", func(c *Call) (any, error) {
		g, err := s.running(c, "qemu")
		if err != nil {
			return nil, err
		}
		if g.Paused {
			return nil, fail("VM is paused - cannot shutdown")
		}
		return s.checkedTask(g, "qmreboot", c.User, false, func(t *Task) error {
			s.applyPending(g)
			g.Started = s.now()
			return nil
		}), nil
	})
	s.handle("POST", "/nodes/{node}/qemu/{vmid}/status/suspend", guestIDs+" skiplock?:boolean todisk?:boolean statestorage?:string", func(c *Call) (any, error) {
		g, err := s.running(c, "qemu")
		if err != nil {
			return nil, err
		}
		todisk := c.Bool("todisk")
		if todisk && s.haManaged(g) {
			return nil, fail("Cannot suspend HA managed VM to disk")
		}
		// vm_suspend lets a running backup be (its lock is no conflict);
		// hibernation holds "suspending" while the RAM is saved.
		return s.startTaskPrepared(g.Node, "qmsuspend", strconv.Itoa(g.VMID), c.User, func(*Task) error {
			if err := g.checkLock(c.Bool("skiplock") || g.Lock == "backup"); err != nil {
				return err
			}
			if todisk {
				g.Lock = "suspending"
			}
			return nil
		}, func(t *Task) error {
			if todisk {
				s.setStopped(g)
				g.Lock = "suspended"
				return nil
			}
			g.Paused = true
			return nil
		}), nil
	})
	s.handle("POST", "/nodes/{node}/qemu/{vmid}/status/resume", guestIDs+" skiplock?:boolean nocheck?:boolean", func(c *Call) (any, error) {
		g, err := s.guest(c, "qemu")
		if err != nil {
			return nil, err
		}
		if g.Lock == "suspended" {
			// Resuming a hibernated VM starts it from its saved state.
			return s.startTask(g.Node, "qmresume", strconv.Itoa(g.VMID), c.User, func(t *Task) error {
				s.setRunning(g)
				return nil
			}), nil
		}
		if g, err = s.running(c, "qemu"); err != nil {
			return nil, err
		}
		skip := c.Bool("skiplock") || c.Bool("nocheck") || g.Lock == "backup"
		return s.checkedTask(g, "qmresume", c.User, skip, func(t *Task) error {
			g.Paused = false
			return nil
		}), nil
	})
	s.handle("POST", "/nodes/{node}/qemu/{vmid}/status/reset", guestIDs+" skiplock?:boolean", func(c *Call) (any, error) {
		g, err := s.running(c, "qemu")
		if err != nil {
			return nil, err
		}
		return s.checkedTask(g, "qmreset", c.User, c.Bool("skiplock"), func(t *Task) error {
			g.Started = s.now()
			return nil
		}), nil
	})
}
