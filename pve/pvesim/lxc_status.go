package pvesim

import "strconv"

// /nodes/{node}/lxc/{vmid}/status: a container's run state (current, with
// the HA view) and its power actions.

// routesLxcStatus serves the status subtree. Proxmox refuses a start of a
// running container and the other actions on a stopped one before any
// task starts; a locked container makes a task that fails at once
// (pve-container checks the lock in the worker, skiplock aside).
func (s *Sim) routesLxcStatus() {
	s.handle("GET", "/nodes/{node}/lxc/{vmid}/status/current", guestIDs, func(c *Call) (any, error) {
		g, err := s.guest(c, "lxc")
		if err != nil {
			return nil, err
		}
		st := s.guestView(g)
		st["ha"] = s.haGuestStatus(g)
		return st, nil
	})
	s.handle("POST", "/nodes/{node}/lxc/{vmid}/status/start", guestIDs+" skiplock?:boolean debug?:boolean", func(c *Call) (any, error) {
		g, err := s.guest(c, "lxc")
		if err != nil {
			return nil, err
		}
		if g.Template {
			return nil, fail("you can't start a CT if it's a template")
		}
		if g.Status == "running" {
			return nil, fail("CT %d already running", g.VMID)
		}
		if s.haManaged(g) {
			return s.haRequest(g, "started", c.User), nil
		}
		return s.checkedTask(g, "vzstart", c.User, c.Bool("skiplock"), func(t *Task) error {
			s.setRunning(g)
			return nil
		}), nil
	})
	s.handle("POST", "/nodes/{node}/lxc/{vmid}/status/stop", guestIDs+" skiplock?:boolean overrule-shutdown?:boolean", func(c *Call) (any, error) {
		g, err := s.running(c, "lxc")
		if err != nil {
			return nil, err
		}
		if s.haManaged(g) {
			return s.haRequest(g, "stopped", c.User), nil
		}
		return s.checkedTask(g, "vzstop", c.User, c.Bool("skiplock"), func(t *Task) error {
			s.setStopped(g)
			return nil
		}), nil
	})
	s.handle("POST", "/nodes/{node}/lxc/{vmid}/status/shutdown", guestIDs+" timeout?:integer(0-) forceStop?:boolean", func(c *Call) (any, error) {
		g, err := s.running(c, "lxc")
		if err != nil {
			return nil, err
		}
		if s.haManaged(g) {
			return s.haRequest(g, "stopped", c.User), nil
		}
		return s.checkedTask(g, "vzshutdown", c.User, false, func(t *Task) error {
			s.setStopped(g)
			return nil
		}), nil
	})
	s.handle("POST", "/nodes/{node}/lxc/{vmid}/status/reboot", guestIDs+" timeout?:integer(0-)", func(c *Call) (any, error) {
		g, err := s.running(c, "lxc")
		if err != nil {
			return nil, err
		}
		return s.checkedTask(g, "vzreboot", c.User, false, func(t *Task) error {
			s.applyPending(g)
			g.Paused, g.Started = false, s.now()
			return nil
		}), nil
	})
	s.handle("POST", "/nodes/{node}/lxc/{vmid}/status/suspend", guestIDs, func(c *Call) (any, error) {
		g, err := s.running(c, "lxc")
		if err != nil {
			return nil, err
		}
		return s.checkedTask(g, "vzsuspend", c.User, false, func(t *Task) error {
			// Frozen: Proxmox's status stays "running" (the container's
			// command socket is still there) and no other field tells.
			g.Paused = true
			return nil
		}), nil
	})
	s.handle("POST", "/nodes/{node}/lxc/{vmid}/status/resume", guestIDs, func(c *Call) (any, error) {
		g, err := s.running(c, "lxc")
		if err != nil {
			return nil, err
		}
		return s.startTask(g.Node, "vzresume", strconv.Itoa(g.VMID), c.User, func(t *Task) error {
			g.Paused = false
			return nil
		}), nil
	})
}
