package pvesim

import (
	"fmt"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"
)

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
			purge := c.Bool("purge")
			if err := s.checkDestroy(g, false, force, purge); err != nil {
				return nil, err
			}
			return s.startTask(g.Node, "vzdestroy", strconv.Itoa(g.VMID), c.User, func(t *Task) error {
				if g.Status == "running" {
					t.Log = append(t.Log, fmt.Sprintf("stopping CT %d", g.VMID))
					s.setStopped(g)
				}
				s.destroy(g, t, purge)
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
	s.handle("PUT", "/nodes/{node}/lxc/{vmid}/resize", guestIDs+" disk:string size:string digest?:string", func(c *Call) (any, error) {
		g, err := s.guest(c, "lxc")
		if err != nil {
			return nil, err
		}
		if err := checkEnum(c, "disk", reLxcVolume()); err != nil {
			return nil, err
		}
		if !reResizeSize().MatchString(c.Str("size")) {
			return nil, badParam("size", "value does not match the regex pattern")
		}
		// pve-container checks before it forks the worker.
		if err := g.checkLock(false); err != nil {
			return nil, err
		}
		if d := c.Str("digest"); d != "" && !slices.Contains(configDigests(g), d) {
			return nil, fail("detected modified configuration - file changed by other user? Try again.")
		}
		disk := c.Str("disk")
		v, ok := g.Config[disk]
		if !ok {
			return nil, fail("disk '%s' does not exist", disk)
		}
		size, newSize := sizeOf(v), grownSize(sizeOf(v), c.Str("size"))
		if newSize < size {
			return nil, fail("unable to shrink disk size")
		}
		if newSize == size {
			return nil, fail("disk is already at specified size")
		}
		return s.startTask(g.Node, "resize", strconv.Itoa(g.VMID), c.User, func(t *Task) error {
			g.Config[disk] = setProp(g.Config[disk], "size", formatSize(newSize))
			t.Log = append(t.Log, fmt.Sprintf("Resizing %s (%s) to %s", disk, volumeOf(v), formatSize(newSize)))
			return nil
		}), nil
	})
	s.handle("POST", "/nodes/{node}/lxc/{vmid}/move_volume",
		guestIDs+" volume:string storage?:string delete?:boolean digest?:string bwlimit?:number(0-) "+
			"target-vmid?:integer(100-999999999) target-volume?:string target-digest?:string",
		func(c *Call) (any, error) {
			g, err := s.guest(c, "lxc")
			if err != nil {
				return nil, err
			}
			if err := checkEnum(c, "volume", reLxcVolumeOrUnused()); err != nil {
				return nil, err
			}
			if err := checkEnum(c, "target-volume", reLxcVolumeOrUnused()); err != nil {
				return nil, err
			}
			return s.moveDisk(c, g, "volume", "target-volume")
		})
	s.handle("POST", "/nodes/{node}/lxc/{vmid}/template", guestIDs, func(c *Call) (any, error) {
		g, err := s.guest(c, "lxc")
		if err != nil {
			return nil, err
		}
		if g.Template {
			return nil, fail("you can't convert a template to a template")
		}
		if g.Status == "running" {
			return nil, fail("you can't convert a CT to template if the CT is running")
		}
		if err := g.checkLock(false); err != nil {
			return nil, err
		}
		// pve-container forks a worker here but answers null, not its UPID.
		s.startTask(g.Node, "vztemplate", strconv.Itoa(g.VMID), c.User, func(t *Task) error {
			s.makeTemplate(g, "", t)
			return nil
		})
		return nil, nil
	})
	s.handle("GET", "/nodes/{node}/lxc/{vmid}/interfaces", guestIDs, func(c *Call) (any, error) {
		g, err := s.guest(c, "lxc")
		if err != nil {
			return nil, err
		}
		if g.Status != "running" {
			// Proxmox finds no container process and answers null.
			return nil, nil
		}
		return lxcInterfaces(g), nil
	})
	s.handle("POST", "/nodes/{node}/lxc/{vmid}/migrate",
		guestIDs+" target:string bwlimit?:number(0-) online?:boolean restart?:boolean target-storage?:string timeout?:integer",
		func(c *Call) (any, error) {
			g, err := s.guest(c, "lxc")
			if err != nil {
				return nil, err
			}
			running := g.Status == "running"
			if running && !c.Bool("online") && !c.Bool("restart") {
				return nil, fail("can't migrate running container without --online or --restart")
			}
			if running && !c.Bool("restart") && !s.haManaged(g) {
				// Checked by the migration task, after the target checks.
				if tn := s.node(c.Str("target")); tn == nil || tn.Name == g.Node || !tn.Online {
					return s.migrate(c, g, "vzmigrate", false, "")
				}
				return s.startTask(g.Node, "vzmigrate", strconv.Itoa(g.VMID), c.User, func(t *Task) error {
					t.Log = append(t.Log, fmt.Sprintf("starting migration of CT %d to node '%s' (%s)", g.VMID, c.Str("target"), s.node(c.Str("target")).IP))
					return fmt.Errorf("lxc live migration is currently not implemented")
				}), nil
			}
			return s.migrate(c, g, "vzmigrate", false, "")
		})
}

var reTemplateVol = lazyRegexp(`^([a-zA-Z][a-zA-Z0-9_.-]*):(vztmpl|backup)/(.+)$`)

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
		m := reTemplateVol().FindStringSubmatch(tmpl)
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
			// The worker unpacks the template from its file: a template the
			// node does not have fails the task, and the new CT goes again.
			if s.volumeOn(tmpl, node) == nil {
				s.destroy(g, t, false)
				return fmt.Errorf("can't find file '%s'", tmpl)
			}
			t.Log = append(t.Log, fmt.Sprintf("extracting archive '%s'", tmpl),
				fmt.Sprintf("Detected container architecture: %s", cfg["arch"]))
			if start {
				s.setRunning(g)
			}
			return nil
		}), nil
	}
}

// lxcInterfaces derives lo and one interface per netN from the config:
// static addresses as configured, DHCP ones from the lab's 10.0.0.0/24.
func lxcInterfaces(g *Guest) []map[string]any {
	out := []map[string]any{lxcIface("lo", "00:00:00:00:00:00", "127.0.0.1/8", "::1/128")}
	var keys []string
	for k := range g.Config {
		if strings.HasPrefix(k, "net") {
			if _, err := strconv.Atoi(k[3:]); err == nil {
				keys = append(keys, k)
			}
		}
	}
	sort.Strings(keys)
	for i, k := range keys {
		props := map[string]string{}
		for _, part := range strings.Split(g.Config[k], ",") {
			if kk, v, ok := strings.Cut(part, "="); ok {
				props[kk] = v
			}
		}
		mac := strings.ToLower(props["hwaddr"])
		v4 := props["ip"]
		if v4 == "dhcp" || v4 == "" {
			v4 = fmt.Sprintf("10.0.%d.%d/24", i, g.VMID%250+2)
		}
		if v4 == "manual" {
			v4 = ""
		}
		v6 := ""
		if mac != "" {
			b := strings.Split(mac, ":")
			if len(b) == 6 {
				v6 = fmt.Sprintf("fe80::be24:11ff:fe%s:%s%s/64", b[3], b[4], b[5])
			}
		}
		out = append(out, lxcIface(props["name"], mac, v4, v6))
	}
	return out
}

func lxcIface(name, mac, v4, v6 string) map[string]any {
	e := map[string]any{"name": name, "hwaddr": mac, "hardware-address": mac}
	ips := []map[string]any{}
	for _, a := range []struct{ cidr, typ string }{{v4, "inet"}, {v6, "inet6"}} {
		if a.cidr == "" {
			continue
		}
		e[a.typ] = a.cidr
		ip, prefix, _ := strings.Cut(a.cidr, "/")
		p, _ := strconv.Atoi(prefix)
		ips = append(ips, map[string]any{"ip-address": ip, "ip-address-type": a.typ, "prefix": p})
	}
	e["ip-addresses"] = ips
	return e
}
