package pvesim

import (
	"fmt"
	"regexp"
	"strconv"
	"time"
)

var reDate = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}( \d{2}:\d{2}(:\d{2})?)?$`)

const guestIDs = "node:string vmid:integer(100-999999999)"

func (s *Sim) routesQemu() {
	s.handle("GET", "/nodes/{node}/qemu", "node:string full?:boolean", func(c *Call) (any, error) {
		out := []map[string]any{}
		for _, g := range s.sortedGuests() {
			if g.Type == "qemu" && g.Node == c.Str("node") {
				out = append(out, s.guestView(g))
			}
		}
		return out, nil
	})
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
		st["ha"] = map[string]any{"managed": 0}
		if g.Config["agent"] == "1" && g.Status == "running" {
			st["agent"] = 1
		}
		if g.Status == "running" {
			st["running-machine"] = "pc-q35-9.2+pve1"
			st["running-qemu"] = "9.2.0"
		}
		return st, nil
	})
	s.handle("GET", "/nodes/{node}/qemu/{vmid}/config", guestIDs+" current?:boolean snapshot?:string", func(c *Call) (any, error) {
		g, err := s.guest(c, "qemu")
		if err != nil {
			return nil, err
		}
		return s.guestConfig(g, c)
	})
	s.handle("GET", "/nodes/{node}/qemu/{vmid}/rrddata", guestIDs+" timeframe:enum(hour|day|week|month|year) cf?:enum(AVERAGE|MAX)", func(c *Call) (any, error) {
		g, err := s.guest(c, "qemu")
		if err != nil {
			return nil, err
		}
		return s.rrd(g, c.Str("timeframe")), nil
	})
	s.handle("GET", "/nodes/{node}/qemu/{vmid}/snapshot", guestIDs, func(c *Call) (any, error) {
		g, err := s.guest(c, "qemu")
		if err != nil {
			return nil, err
		}
		return snapshotList(g), nil
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
			return s.startTask(g.Node, "qmstart", strconv.Itoa(g.VMID), c.User, func(t *Task) error {
				if g.Status == "running" {
					return fmt.Errorf("VM %d already running", g.VMID)
				}
				t.Log = append(t.Log, fmt.Sprintf("start VM %d: %s", g.VMID, t.UPID))
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
			return s.startTask(g.Node, "qmstop", strconv.Itoa(g.VMID), c.User, func(t *Task) error {
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
			return s.startTask(g.Node, "qmshutdown", strconv.Itoa(g.VMID), c.User, func(t *Task) error {
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
		return s.startTask(g.Node, "qmreboot", strconv.Itoa(g.VMID), c.User, func(t *Task) error {
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
		return s.startTask(g.Node, "qmsuspend", strconv.Itoa(g.VMID), c.User, func(t *Task) error {
			if c.Bool("todisk") {
				s.setStopped(g)
				g.Lock = "suspended"
				return nil
			}
			g.Paused = true
			return nil
		}), nil
	})
	s.handle("POST", "/nodes/{node}/qemu/{vmid}/status/resume", guestIDs+" skiplock?:boolean nocheck?:boolean", func(c *Call) (any, error) {
		g, err := s.running(c, "qemu")
		if err != nil {
			return nil, err
		}
		return s.startTask(g.Node, "qmresume", strconv.Itoa(g.VMID), c.User, func(t *Task) error {
			g.Paused = false
			return nil
		}), nil
	})
	s.handle("POST", "/nodes/{node}/qemu/{vmid}/status/reset", guestIDs+" skiplock?:boolean", func(c *Call) (any, error) {
		g, err := s.running(c, "qemu")
		if err != nil {
			return nil, err
		}
		return s.startTask(g.Node, "qmreset", strconv.Itoa(g.VMID), c.User, func(t *Task) error {
			g.Started = s.now()
			return nil
		}), nil
	})
	s.handle("POST", "/nodes/{node}/qemu/{vmid}/migrate",
		guestIDs+" target:string online?:boolean force?:boolean migration_network?:string migration_type?:enum(secure|insecure) targetstorage?:string with-local-disks?:boolean bwlimit?:integer(0-) with-conntrack-state?:boolean",
		func(c *Call) (any, error) {
			g, err := s.guest(c, "qemu")
			if err != nil {
				return nil, err
			}
			return s.migrate(c, g, "qmigrate", g.Status == "running" && !c.Bool("online"),
				fmt.Sprintf("can't migrate running VM without --online"))
		})
}

// migrate moves a guest after the common checks Proxmox makes.
func (s *Sim) migrate(c *Call, g *Guest, typ string, refuse bool, refuseMsg string) (any, error) {
	target := c.Str("target")
	tn := s.node(target)
	if tn == nil {
		return nil, badParam("target", fmt.Sprintf("no such cluster node '%s'", target))
	}
	if target == g.Node {
		return nil, badParam("target", fmt.Sprintf("target is local node."))
	}
	if !tn.Online {
		return nil, fail("target node '%s' is not online", target)
	}
	if refuse {
		return nil, fail("%s", refuseMsg)
	}
	if g.Lock != "" {
		return nil, fail("VM is locked (%s)", g.Lock)
	}
	src := g.Node
	g.Lock = "migrate"
	return s.startTask(src, typ, strconv.Itoa(g.VMID), c.User, func(t *Task) error {
		g.Lock = ""
		t.Log = append(t.Log, fmt.Sprintf("starting migration of %s %d to node '%s' (%s)", map[string]string{"qemu": "VM", "lxc": "CT"}[g.Type], g.VMID, target, tn.IP),
			"migration finished successfully (duration 00:00:12)")
		g.Node = target
		return nil
	}), nil
}

// running is guest() plus Proxmox's synchronous "not running" refusal.
func (s *Sim) running(c *Call, typ string) (*Guest, error) {
	g, err := s.guest(c, typ)
	if err != nil {
		return nil, err
	}
	if g.Status != "running" {
		if typ == "lxc" {
			return nil, fail("CT %d not running", g.VMID)
		}
		return nil, fail("VM %d not running", g.VMID)
	}
	return g, nil
}

func (s *Sim) setRunning(g *Guest) {
	s.applyPending(g)
	g.Status, g.Paused, g.Started = "running", false, s.now()
	if g.Lock == "suspended" {
		g.Lock = ""
	}
}

func (s *Sim) setStopped(g *Guest) {
	g.Status, g.Paused, g.Started = "stopped", false, time.Time{}
	s.applyPending(g)
}

func (s *Sim) applyPending(g *Guest) {
	for k, v := range g.Pending {
		if v == "" {
			delete(g.Config, k)
		} else {
			g.Config[k] = v
		}
	}
	g.Pending = nil
}

// guestConfig answers GET .../config, honouring snapshot and current.
func (s *Sim) guestConfig(g *Guest, c *Call) (any, error) {
	cfg := g.Config
	if name := c.Str("snapshot"); name != "" {
		snap := findSnapshot(g, name)
		if snap == nil {
			return nil, fail("snapshot '%s' does not exist", name)
		}
		cfg = snap.Config
	} else if !c.Bool("current") && len(g.Pending) > 0 {
		cfg = cloneMap(cfg)
		for k, v := range g.Pending {
			cfg[k] = v
		}
	}
	out := map[string]any{"digest": digest(cfg)}
	for k, v := range cfg {
		out[k] = configValue(g.Type, k, v)
	}
	return out, nil
}

// configValue is a config setting as GET .../config shows it: integer and
// boolean options as numbers, the rest (property strings included: a VM's
// memory and agent are "[current=]<integer>" and "[enabled=]<1|0>,...")
// as strings, and the cloud-init password masked (Proxmox never reads it
// back).
func configValue(kind, k, v string) any {
	if k == "cipassword" {
		return "**********"
	}
	if n, err := strconv.Atoi(v); err == nil && isNumericKey(kind, k) {
		return n
	}
	if f, err := strconv.ParseFloat(v, 64); err == nil && k == "cpulimit" {
		return f
	}
	return v
}

// isNumericKey reports whether a config key is an integer or boolean in
// the kind's config schema.
func isNumericKey(kind, k string) bool {
	switch k {
	case "cores", "sockets", "onboot", "template", "balloon", "vcpus", "cpuunits", "protection":
		return true
	case "memory", "swap", "unprivileged", "tty", "console":
		return kind == "lxc"
	}
	return false
}

// digest is a stable fingerprint of a config, like Proxmox's SHA-1 digest.
func digest(cfg map[string]string) string {
	keys := sortedKeys(cfg)
	var h uint64 = 1469598103934665603
	for _, k := range keys {
		for _, b := range []byte(k + "=" + cfg[k] + "\n") {
			h ^= uint64(b)
			h *= 1099511628211
		}
	}
	return fmt.Sprintf("%016x%016x%08x", h, h*31, h%0xffffffff)
}

func findSnapshot(g *Guest, name string) *Snapshot {
	for _, sn := range g.Snapshots {
		if sn.Name == name {
			return sn
		}
	}
	return nil
}

func snapshotList(g *Guest) []map[string]any {
	out := []map[string]any{}
	last := ""
	for _, sn := range g.Snapshots {
		e := map[string]any{"name": sn.Name, "description": sn.Description, "snaptime": sn.Time}
		if sn.Parent != "" {
			e["parent"] = sn.Parent
		}
		if g.Type == "qemu" {
			e["vmstate"] = map[bool]int{true: 1, false: 0}[sn.VMState]
		}
		out = append(out, e)
		last = sn.Name
	}
	cur := map[string]any{"name": "current", "description": "You are here!", "running": map[bool]int{true: 1, false: 0}[g.Status == "running"]}
	if last != "" {
		cur["parent"] = last
	}
	return append(out, cur)
}

// rrd returns plausible, deterministic time series for a guest.
func (s *Sim) rrd(g *Guest, timeframe string) []map[string]any {
	step := map[string]int64{"hour": 60, "day": 1800, "week": 10800, "month": 43200, "year": 604800}[timeframe]
	end := s.now().Unix() / step * step
	out := []map[string]any{}
	cpu, mem := g.usage()
	for i := int64(69); i >= 0; i-- {
		f := float64((i*7+int64(g.VMID))%10) / 20
		p := map[string]any{"time": end - i*step, "maxcpu": g.cpus(), "maxmem": g.memBytes(), "maxdisk": g.diskBytes()}
		if g.Status == "running" {
			p["cpu"] = cpu * (0.75 + f)
			p["mem"] = float64(mem) * (0.9 + f/5)
			p["netin"], p["netout"] = 1200.5+f*800, 900.25+f*300
			p["diskread"], p["diskwrite"] = 4096*(1+f), 8192*(1+f)
		}
		out = append(out, p)
	}
	return out
}
