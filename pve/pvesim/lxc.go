package pvesim

import (
	"fmt"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// lxcState is empty: containers live in Sim.guests next to VMs, so
// /cluster/resources, pools and vmid checks see both kinds alike.
type lxcState struct{}

// lxcOptions are the container options accepted on create and update,
// declared as the API schema declares them.
const lxcOptions = "hostname?:string memory?:integer(16-) swap?:integer(0-) cores?:integer(1-8192) cpulimit?:number(0-8192) " +
	"cpuunits?:integer(0-500000) ostype?:enum(debian|devuan|ubuntu|centos|fedora|opensuse|archlinux|alpine|gentoo|nixos|unmanaged) " +
	"arch?:enum(amd64|i386|arm64|armhf|riscv32|riscv64) rootfs?:string onboot?:boolean startup?:string tags?:string " +
	"description?:string protection?:boolean features?:string nameserver?:string searchdomain?:string timezone?:string " +
	"tty?:integer(0-6) console?:boolean cmode?:enum(shell|console|tty) entrypoint?:string env?:string hookscript?:string " +
	"template?:boolean unprivileged?:boolean debug?:boolean net[n]?:string mp[n]?:string unused[n]?:string dev[n]?:string"

func (s *Sim) routesLxc() {
	s.handle("GET", "/nodes/{node}/lxc", "node:string", func(c *Call) (any, error) {
		out := []map[string]any{}
		for _, g := range s.sortedGuests() {
			if g.Type == "lxc" && g.Node == c.Str("node") {
				out = append(out, s.guestView(g))
			}
		}
		return out, nil
	})
	s.handle("GET", "/nodes/{node}/lxc/{vmid}/status/current", guestIDs, func(c *Call) (any, error) {
		g, err := s.guest(c, "lxc")
		if err != nil {
			return nil, err
		}
		st := s.guestView(g)
		st["ha"] = map[string]any{"managed": 0}
		return st, nil
	})
	s.handle("GET", "/nodes/{node}/lxc/{vmid}/config", guestIDs+" current?:boolean snapshot?:string", func(c *Call) (any, error) {
		g, err := s.guest(c, "lxc")
		if err != nil {
			return nil, err
		}
		return s.guestConfig(g, c)
	})
	s.handle("GET", "/nodes/{node}/lxc/{vmid}/rrddata", guestIDs+" timeframe:enum(hour|day|week|month|year) cf?:enum(AVERAGE|MAX)", func(c *Call) (any, error) {
		g, err := s.guest(c, "lxc")
		if err != nil {
			return nil, err
		}
		return s.rrd(g, c.Str("timeframe")), nil
	})
	s.handle("GET", "/nodes/{node}/lxc/{vmid}/snapshot", guestIDs, func(c *Call) (any, error) {
		g, err := s.guest(c, "lxc")
		if err != nil {
			return nil, err
		}
		return snapshotList(g), nil
	})
	s.routesLxcPower()

	s.handle("POST", "/nodes/{node}/lxc",
		guestIDs+" ostemplate:string "+lxcOptions+" password?:string ssh-public-keys?:string storage?:string pool?:string "+
			"start?:boolean force?:boolean restore?:boolean ignore-unpack-errors?:boolean unique?:boolean bwlimit?:number(0-) ha-managed?:boolean",
		s.lxcCreate())

	s.handle("PUT", "/nodes/{node}/lxc/{vmid}/config",
		guestIDs+" "+lxcOptions+" delete?:string revert?:string digest?:string",
		func(c *Call) (any, error) {
			g, err := s.guest(c, "lxc")
			if err != nil {
				return nil, err
			}
			if c.Has("unprivileged") && c.Str("unprivileged") != g.Config["unprivileged"] {
				return nil, fail("unable to modify read-only option: 'unprivileged'")
			}
			return nil, s.updateConfig(c, g, lxcHotplug)
		})

	s.handle("DELETE", "/nodes/{node}/lxc/{vmid}",
		guestIDs+" purge?:boolean force?:boolean destroy-unreferenced-disks?:boolean",
		func(c *Call) (any, error) {
			g, err := s.guest(c, "lxc")
			if err != nil {
				return nil, err
			}
			force := c.Bool("force")
			if err := s.checkDestroy(g, false, force); err != nil {
				return nil, err
			}
			return s.startTask(g.Node, "vzdestroy", strconv.Itoa(g.VMID), c.User, func(t *Task) error {
				if g.Status == "running" {
					t.Log = append(t.Log, fmt.Sprintf("stopping CT %d", g.VMID))
					s.setStopped(g)
				}
				s.destroy(g, t)
				return nil
			}), nil
		})

	s.handle("POST", "/nodes/{node}/lxc/{vmid}/clone",
		guestIDs+" newid:integer(100-999999999) hostname?:string description?:string target?:string full?:boolean "+
			"storage?:string pool?:string snapname?:string bwlimit?:number(0-)",
		func(c *Call) (any, error) {
			g, err := s.guest(c, "lxc")
			if err != nil {
				return nil, err
			}
			if err := checkDNSName(c, "hostname"); err != nil {
				return nil, err
			}
			return s.clone(c, g)
		})

	s.handle("POST", "/nodes/{node}/lxc/{vmid}/snapshot", guestIDs+" snapname:string description?:string", func(c *Call) (any, error) {
		g, err := s.guest(c, "lxc")
		if err != nil {
			return nil, err
		}
		return s.snapshotCreate(c, g, false)
	})
	s.handle("DELETE", "/nodes/{node}/lxc/{vmid}/snapshot/{snapname}", guestIDs+" snapname:string force?:boolean", func(c *Call) (any, error) {
		g, err := s.guest(c, "lxc")
		if err != nil {
			return nil, err
		}
		return s.snapshotDelete(c, g)
	})
	s.handle("POST", "/nodes/{node}/lxc/{vmid}/snapshot/{snapname}/rollback", guestIDs+" snapname:string start?:boolean", func(c *Call) (any, error) {
		g, err := s.guest(c, "lxc")
		if err != nil {
			return nil, err
		}
		return s.snapshotRollback(c, g)
	})
}

// routesLxcPower serves the container power actions. Proxmox refuses a
// start of a running container and the others on a stopped one before any
// task starts.
func (s *Sim) routesLxcPower() {
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
		if g.Lock != "" && !c.Bool("skiplock") {
			return nil, fail("CT is locked (%s)", g.Lock)
		}
		return s.startTask(g.Node, "vzstart", strconv.Itoa(g.VMID), c.User, func(t *Task) error {
			s.setRunning(g)
			return nil
		}), nil
	})
	s.handle("POST", "/nodes/{node}/lxc/{vmid}/status/stop", guestIDs+" skiplock?:boolean overrule-shutdown?:boolean", func(c *Call) (any, error) {
		g, err := s.running(c, "lxc")
		if err != nil {
			return nil, err
		}
		return s.startTask(g.Node, "vzstop", strconv.Itoa(g.VMID), c.User, func(t *Task) error {
			s.setStopped(g)
			return nil
		}), nil
	})
	s.handle("POST", "/nodes/{node}/lxc/{vmid}/status/shutdown", guestIDs+" timeout?:integer(0-) forceStop?:boolean", func(c *Call) (any, error) {
		g, err := s.running(c, "lxc")
		if err != nil {
			return nil, err
		}
		return s.startTask(g.Node, "vzshutdown", strconv.Itoa(g.VMID), c.User, func(t *Task) error {
			s.setStopped(g)
			return nil
		}), nil
	})
	s.handle("POST", "/nodes/{node}/lxc/{vmid}/status/reboot", guestIDs+" timeout?:integer(0-)", func(c *Call) (any, error) {
		g, err := s.running(c, "lxc")
		if err != nil {
			return nil, err
		}
		return s.startTask(g.Node, "vzreboot", strconv.Itoa(g.VMID), c.User, func(t *Task) error {
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
		return s.startTask(g.Node, "vzsuspend", strconv.Itoa(g.VMID), c.User, func(t *Task) error {
			g.Paused = true // frozen: still listed as running, as lxc-freeze leaves it
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

// lxcHotplug reports whether a change applies to a running container at
// once; the others (rootfs, features, ostype ...) wait for a restart.
func lxcHotplug(key string) bool {
	switch key {
	case "hostname", "memory", "swap", "cores", "cpulimit", "cpuunits", "description", "onboot", "startup", "tags",
		"protection", "hookscript", "nameserver", "searchdomain":
		return true
	}
	return indexedKey(key, "net") || indexedKey(key, "mp") || indexedKey(key, "unused")
}

var reTemplateVol = regexp.MustCompile(`^([a-zA-Z][a-zA-Z0-9_.-]*):(vztmpl|backup)/(.+)$`)

// lxcOSType guesses the OS type from a template name, as Proxmox detects it
// from the unpacked root file system.
func lxcOSType(tmpl string) string {
	base := strings.ToLower(path.Base(tmpl))
	for _, os := range []string{"debian", "ubuntu", "alpine", "centos", "fedora", "archlinux", "opensuse", "gentoo", "devuan", "nixos"} {
		if strings.HasPrefix(base, os) {
			return os
		}
	}
	for _, rhel := range []string{"rockylinux", "almalinux", "oracle", "rhel"} {
		if strings.HasPrefix(base, rhel) {
			return "centos"
		}
	}
	return "unmanaged"
}

func (s *Sim) lxcCreate() func(*Call) (any, error) {
	return func(c *Call) (any, error) {
		vmid := c.Int("vmid")
		if c.Bool("restore") {
			return s.restore(c, "lxc", c.Str("ostemplate"))
		}
		if err := s.vmidUnused(vmid); err != nil {
			return nil, err
		}
		if err := s.checkPool(c.Str("pool")); err != nil {
			return nil, err
		}
		if err := checkDNSName(c, "hostname"); err != nil {
			return nil, err
		}
		tmpl := c.Str("ostemplate")
		m := reTemplateVol.FindStringSubmatch(tmpl)
		if m == nil {
			return nil, fail("unable to parse volume ID '%s'", tmpl)
		}
		if s.storageByID(m[1]) == nil {
			return nil, fail("storage '%s' does not exist", m[1])
		}
		storage := c.Str("storage")
		if storage == "" {
			storage = "local"
		}
		if s.storageByID(storage) == nil {
			return nil, fail("storage '%s' does not exist", storage)
		}
		node := c.Str("node")
		cfg := map[string]string{}
		g := &Guest{VMID: vmid, Type: "lxc", Node: node, Status: "stopped", Config: cfg, Lock: "create"}
		opts := optionValues(c, "node", "vmid", "ostemplate", "password", "ssh-public-keys", "storage", "pool", "start",
			"force", "restore", "ignore-unpack-errors", "unique", "bwlimit", "ha-managed")
		if _, ok := opts["rootfs"]; !ok {
			opts["rootfs"] = storage + ":4" // Proxmox's default: 4 GiB on the default storage
		}
		keys := sortedKeys(opts)
		// rootfs is allocated first, so it gets disk-0 as in Proxmox.
		sort.SliceStable(keys, func(i, j int) bool { return keys[i] == "rootfs" && keys[j] != "rootfs" })
		for _, k := range keys {
			if indexedKey(k, "mp") && !strings.Contains(opts[k], "mp=") {
				return nil, badParam(k, "invalid format - format error: mp: property is missing and it is not optional")
			}
			v, err := s.allocate(g, k, opts[k], storage)
			if err != nil {
				return nil, err
			}
			cfg[k] = v
		}
		defaults := map[string]string{"hostname": fmt.Sprintf("CT%d", vmid), "memory": "512", "swap": "512", "arch": "amd64",
			"ostype": lxcOSType(m[3]), "unprivileged": "1"}
		for k, v := range defaults {
			if _, set := cfg[k]; !set {
				cfg[k] = v
			}
		}
		s.guests[vmid] = g
		if p := c.Str("pool"); p != "" {
			s.addToPool(p, vmid)
		}
		start := c.Bool("start")
		return s.startTask(node, "vzcreate", strconv.Itoa(vmid), c.User, func(t *Task) error {
			g.Lock = ""
			t.Log = append(t.Log, fmt.Sprintf("extracting archive '%s'", tmpl),
				fmt.Sprintf("Detected container architecture: %s", cfg["arch"]))
			if start {
				s.setRunning(g)
			}
			return nil
		}), nil
	}
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
