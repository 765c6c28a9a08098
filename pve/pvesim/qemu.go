package pvesim

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

var reDate = lazyRegexp(`^\d{4}-\d{2}-\d{2}( \d{2}:\d{2}(:\d{2})?)?$`)

const guestIDs = "node:string vmid:integer(100-999999999)"

// routesQemu serves the VMs of a node: listing, config, snapshots, disks,
// clone, migrate and templates. Their run state and power actions are in
// qemu_status.go, the agent and cloud-init subtrees in their own files.
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
	s.routesQemuWrite()
}

// qemuOptions are the VM config options the simulator accepts on create and
// update, declared as the API schema declares them.
const qemuOptions = "name?:string memory?:string cores?:integer(1-) sockets?:integer(1-) vcpus?:integer(1-) cpu?:string " +
	"cpulimit?:number(0-128) cpuunits?:integer(1-262144) balloon?:integer(0-) shares?:integer(0-50000) numa?:boolean " +
	"ostype?:enum(other|wxp|w2k|w2k3|w2k8|wvista|win7|win8|win10|win11|l24|l26|solaris) " +
	"scsihw?:enum(lsi|lsi53c810|virtio-scsi-pci|virtio-scsi-single|megasas|pvscsi) boot?:string bootdisk?:string " +
	"agent?:string onboot?:boolean startup?:string tags?:string description?:string protection?:boolean " +
	"bios?:enum(seabios|ovmf) machine?:string arch?:enum(x86_64|aarch64) kvm?:boolean acpi?:boolean tablet?:boolean " +
	"localtime?:boolean hotplug?:string vga?:string smbios1?:string vmgenid?:string hookscript?:string template?:boolean " +
	"ciuser?:string cipassword?:string citype?:enum(configdrive2|nocloud|opennebula) cicustom?:string ciupgrade?:boolean " +
	"sshkeys?:string nameserver?:string searchdomain?:string efidisk0?:string tpmstate0?:string rng0?:string " +
	"net[n]?:string scsi[n]?:string virtio[n]?:string sata[n]?:string ide[n]?:string ipconfig[n]?:string " +
	"unused[n]?:string serial[n]?:string usb[n]?:string hostpci[n]?:string numa[n]?:string"

// routesQemuWrite serves the writing side of VMs: create, config update,
// delete, clone, snapshots, disk resize, move, unlink and conversion to a
// template. The helpers containers share with it are in guest_ops.go and
// guest_disks.go, the state they change in state_guests.go.
func (s *Sim) routesQemuWrite() {
	s.handle("POST", "/nodes/{node}/qemu",
		guestIDs+" "+qemuOptions+" pool?:string storage?:string start?:boolean unique?:boolean force?:boolean archive?:string ha-managed?:boolean",
		func(c *Call) (any, error) {
			vmid := c.Int("vmid")
			if c.Has("archive") {
				return s.restore(c, "qemu", c.Str("archive"))
			}
			if err := s.vmidUnused(vmid); err != nil {
				return nil, fail("unable to create VM %d - %s", vmid, err.(*APIError).Message)
			}
			if err := s.checkPool(c.Str("pool")); err != nil {
				return nil, err
			}
			if err := checkDNSName(c, "name"); err != nil {
				return nil, err
			}
			node := c.Str("node")
			cfg := map[string]string{}
			g := &Guest{VMID: vmid, Type: "qemu", Node: node, Status: "stopped", Config: cfg, Lock: "create"}
			for k, v := range optionValues(c, "node", "vmid", "pool", "storage", "start", "unique", "force", "ha-managed") {
				nv, err := s.allocate(g, k, v, c.Str("storage"))
				if err != nil {
					return nil, err
				}
				cfg[k] = nv
			}
			if !c.Has("smbios1") {
				cfg["smbios1"] = fmt.Sprintf("uuid=%s", guestUUID(vmid))
			}
			if !c.Has("vmgenid") {
				cfg["vmgenid"] = guestUUID(vmid + 7)
			}
			cfg["meta"] = fmt.Sprintf("creation-qemu=9.2.0,ctime=%d", s.now().Unix())
			s.guests[vmid] = g
			if p := c.Str("pool"); p != "" {
				s.addToPool(p, vmid)
			}
			start := c.Bool("start")
			return s.startTask(node, "qmcreate", strconv.Itoa(vmid), c.User, func(t *Task) error {
				g.Lock = ""
				for k, v := range cfg {
					if isDiskKey(k) && !strings.Contains(v, "media=cdrom") {
						t.Log = append(t.Log, fmt.Sprintf("%s: successfully created disk '%s'", k, strings.Split(v, ",")[0]))
					}
				}
				if start {
					s.setRunning(g)
				}
				return nil
			}), nil
		})

	s.handle("PUT", "/nodes/{node}/qemu/{vmid}/config",
		guestIDs+" "+qemuOptions+" delete?:string revert?:string digest?:string skiplock?:boolean force?:boolean",
		func(c *Call) (any, error) {
			g, err := s.guest(c, "qemu")
			if err != nil {
				return nil, err
			}
			return nil, s.updateConfig(c, g, qemuHotplug)
		})

	s.handle("DELETE", "/nodes/{node}/qemu/{vmid}",
		guestIDs+" purge?:boolean destroy-unreferenced-disks?:boolean skiplock?:boolean",
		func(c *Call) (any, error) {
			g, err := s.guest(c, "qemu")
			if err != nil {
				return nil, err
			}
			purge := c.Bool("purge")
			if err := s.checkDestroy(g, c.Bool("skiplock"), false, purge); err != nil {
				return nil, err
			}
			return s.startTask(g.Node, "qmdestroy", strconv.Itoa(g.VMID), c.User, func(t *Task) error {
				s.destroy(g, t, purge)
				return nil
			}), nil
		})

	s.handle("POST", "/nodes/{node}/qemu/{vmid}/clone",
		guestIDs+" newid:integer(100-999999999) name?:string description?:string target?:string full?:boolean "+
			"storage?:string format?:enum(raw|qcow2|vmdk) pool?:string snapname?:string bwlimit?:integer(0-)",
		func(c *Call) (any, error) {
			g, err := s.guest(c, "qemu")
			if err != nil {
				return nil, err
			}
			if err := checkDNSName(c, "name"); err != nil {
				return nil, err
			}
			return s.clone(c, g)
		})

	s.handle("POST", "/nodes/{node}/qemu/{vmid}/snapshot",
		guestIDs+" snapname:string description?:string vmstate?:boolean",
		func(c *Call) (any, error) {
			g, err := s.guest(c, "qemu")
			if err != nil {
				return nil, err
			}
			return s.snapshotCreate(c, g, c.Bool("vmstate"))
		})
	s.handle("DELETE", "/nodes/{node}/qemu/{vmid}/snapshot/{snapname}",
		guestIDs+" snapname:string force?:boolean",
		func(c *Call) (any, error) {
			g, err := s.guest(c, "qemu")
			if err != nil {
				return nil, err
			}
			return s.snapshotDelete(c, g)
		})
	s.handle("POST", "/nodes/{node}/qemu/{vmid}/snapshot/{snapname}/rollback",
		guestIDs+" snapname:string start?:boolean",
		func(c *Call) (any, error) {
			g, err := s.guest(c, "qemu")
			if err != nil {
				return nil, err
			}
			return s.snapshotRollback(c, g)
		})
	// Disks.
	s.handle("PUT", "/nodes/{node}/qemu/{vmid}/resize", guestIDs+" disk:string size:string digest?:string skiplock?:boolean", func(c *Call) (any, error) {
		g, err := s.guest(c, "qemu")
		if err != nil {
			return nil, err
		}
		if err := checkEnum(c, "disk", reQemuDrive()); err != nil {
			return nil, err
		}
		if !reResizeSize().MatchString(c.Str("size")) {
			return nil, badParam("size", "value does not match the regex pattern")
		}
		disk, sizeStr, dig, skiplock := c.Str("disk"), c.Str("size"), c.Str("digest"), c.Bool("skiplock")
		// Since PVE 8 the checks run inside the worker: a refused resize is a failed task.
		return s.startTask(g.Node, "resize", strconv.Itoa(g.VMID), c.User, func(t *Task) error {
			if dig != "" && !slices.Contains(configDigests(g), dig) {
				return fail("checksum missmatch (file change by other user?)")
			}
			if err := g.checkLock(skiplock); err != nil {
				return err
			}
			v, ok := g.Config[disk]
			if !ok {
				return fail("disk '%s' does not exist", disk)
			}
			if strings.Contains(v, "media=cdrom") {
				return fail("you can't resize a cdrom")
			}
			size, newSize := sizeOf(v), grownSize(sizeOf(v), sizeStr)
			if newSize < size {
				return fail("shrinking disks is not supported")
			}
			if newSize == size {
				return nil
			}
			g.Config[disk] = setProp(v, "size", formatSize(newSize))
			t.Log = append(t.Log, fmt.Sprintf("resized %s (%s) from %s to %s", disk, volumeOf(v), formatSize(size), formatSize(newSize)))
			return nil
		}), nil
	})
	s.handle("POST", "/nodes/{node}/qemu/{vmid}/move_disk",
		guestIDs+" disk:string storage?:string format?:enum(raw|qcow2|vmdk) delete?:boolean digest?:string bwlimit?:integer(0-) "+
			"target-vmid?:integer(100-999999999) target-disk?:string target-digest?:string",
		func(c *Call) (any, error) {
			g, err := s.guest(c, "qemu")
			if err != nil {
				return nil, err
			}
			if err := checkEnum(c, "disk", reQemuDriveOrUnused()); err != nil {
				return nil, err
			}
			if err := checkEnum(c, "target-disk", reQemuDriveOrUnused()); err != nil {
				return nil, err
			}
			return s.moveDisk(c, g, "disk", "target-disk")
		})
	s.handle("PUT", "/nodes/{node}/qemu/{vmid}/unlink", guestIDs+" idlist:string force?:boolean", func(c *Call) (any, error) {
		g, err := s.guest(c, "qemu")
		if err != nil {
			return nil, err
		}
		return nil, s.unlinkDisks(c, g)
	})

	// Templates and images.
	s.handle("POST", "/nodes/{node}/qemu/{vmid}/template", guestIDs+" disk?:string", func(c *Call) (any, error) {
		g, err := s.guest(c, "qemu")
		if err != nil {
			return nil, err
		}
		if err := checkEnum(c, "disk", reQemuDrive()); err != nil {
			return nil, err
		}
		disk := c.Str("disk")
		if g.Template && disk == "" {
			return nil, fail("you can't convert a template to a template")
		}
		if g.Status == "running" {
			return nil, fail("you can't convert a VM to template if VM is running")
		}
		if err := g.checkLock(false); err != nil {
			return nil, err
		}
		if disk != "" && g.Config[disk] == "" {
			return nil, fail("disk '%s' does not exist", disk)
		}
		g.Lock = "create"
		return s.startTask(g.Node, "qmtemplate", strconv.Itoa(g.VMID), c.User, func(t *Task) error {
			g.Lock = ""
			s.makeTemplate(g, disk, t)
			return nil
		}), nil
	})
}
