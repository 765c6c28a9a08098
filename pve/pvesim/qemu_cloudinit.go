package pvesim

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"
)

// The /nodes/{node}/qemu/{vmid}/cloudinit subtree: dump, pending view and
// regenerate of a VM's cloud-init drive.

// diskState is what this file keeps beside the guests: the cloud-init
// values last written to each VM's drive (Proxmox's [special:cloudinit]
// section), against which pending changes are shown.
type diskState struct {
	ciDrive map[int]map[string]string
}

func (s *Sim) routesQemuCloudinit() {
	// The drives as the seed left them are up to date with the configs.
	st := &diskState{ciDrive: map[int]map[string]string{}}
	for _, g := range s.guests {
		if g.Type == "qemu" && ciDriveKey(g) != "" {
			st.ciDrive[g.VMID] = ciValues(g.Config)
		}
	}

	// Cloud-init.
	s.handle("GET", "/nodes/{node}/qemu/{vmid}/cloudinit/dump", guestIDs+" type:enum(user|network|meta)", func(c *Call) (any, error) {
		g, err := s.guest(c, "qemu")
		if err != nil {
			return nil, err
		}
		switch c.Str("type") {
		case "user":
			return ciUserData(g), nil
		case "network":
			return ciNetworkConfig(g), nil
		}
		return ciMetaData(g), nil
	})
	s.handle("GET", "/nodes/{node}/qemu/{vmid}/cloudinit", guestIDs, func(c *Call) (any, error) {
		g, err := s.guest(c, "qemu")
		if err != nil {
			return nil, err
		}
		return ciPending(ciValues(g.Config), st.ciDrive[g.VMID]), nil
	})
	s.handle("PUT", "/nodes/{node}/qemu/{vmid}/cloudinit", guestIDs, func(c *Call) (any, error) {
		g, err := s.guest(c, "qemu")
		if err != nil {
			return nil, err
		}
		if err := g.checkLock(false); err != nil {
			return nil, err
		}
		// Proxmox returns quietly when the VM has no cloud-init drive.
		if ciDriveKey(g) != "" {
			st.ciDrive[g.VMID] = ciValues(g.Config)
		}
		return nil, nil
	})
}

// ciKeys are the options Proxmox renders into the cloud-init drive
// (cloudinit_pending_properties): the cloud-init options, name and netN.
var reCIKey = lazyRegexp(`^(ciuser|cipassword|citype|ciupgrade|cicustom|sshkeys|nameserver|searchdomain|name|ipconfig\d+|net\d+)$`)

func ciValues(cfg map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range cfg {
		if reCIKey().MatchString(k) {
			out[k] = v
		}
	}
	return out
}

// ciDriveKey is the key of the VM's cloud-init drive ("" if it has none).
func ciDriveKey(g *Guest) string {
	for _, k := range sortedKeys(g.Config) {
		if isDiskKey(k) && strings.Contains(volumeOf(g.Config[k]), "cloudinit") {
			return k
		}
	}
	return ""
}

// ciPending answers GET .../cloudinit as Proxmox does: each setting with the
// value on the drive and, when it changed since, the pending one; settings
// removed since are flagged delete. Passwords are masked.
func ciPending(cfg, drive map[string]string) []map[string]any {
	names := unionKeys(cfg, drive)
	mask := func(k, v string) string {
		if k == "cipassword" {
			return "**********"
		}
		return v
	}
	out := []map[string]any{}
	for _, k := range names {
		cur, inCfg := cfg[k]
		old, onDrive := drive[k]
		item := map[string]any{"key": k}
		switch {
		case inCfg && onDrive && cur == old:
			item["value"] = mask(k, cur)
		case inCfg && onDrive:
			item["value"], item["pending"] = mask(k, old), mask(k, cur)
		case inCfg:
			item["pending"] = mask(k, cur)
		default:
			item["value"], item["delete"] = mask(k, old), 1
		}
		out = append(out, item)
	}
	return out
}

func ciHostname(g *Guest) (host, fqdn string) {
	host = g.Config["name"]
	if host == "" {
		host = fmt.Sprintf("VM%d", g.VMID)
	}
	if h, domain, ok := strings.Cut(host, "."); ok {
		return h, h + "." + domain
	}
	if sd := g.Config["searchdomain"]; sd != "" {
		return host, host + "." + strings.Fields(sd)[0]
	}
	return host, ""
}

// ciUserData renders user-data as qemu-server's cloudinit_userdata does.
// The password never appears in clear: Proxmox stores a crypt hash of it.
func ciUserData(g *Guest) string {
	host, fqdn := ciHostname(g)
	var b strings.Builder
	b.WriteString("#cloud-config\nhostname: " + host + "\nmanage_etc_hosts: true\n")
	if fqdn != "" {
		b.WriteString("fqdn: " + fqdn + "\n")
	}
	user, hasUser := g.Config["ciuser"]
	if hasUser {
		b.WriteString("user: " + user + "\n")
		if user == "root" {
			b.WriteString("disable_root: False\n")
		}
	}
	if pw, ok := g.Config["cipassword"]; ok {
		b.WriteString("password: " + ciCrypt(pw, g.VMID) + "\n")
	}
	if enc, ok := g.Config["sshkeys"]; ok {
		keys, err := url.PathUnescape(enc)
		if err != nil {
			keys = enc
		}
		b.WriteString("ssh_authorized_keys:\n")
		for _, k := range strings.Split(keys, "\n") {
			if k = strings.TrimSpace(k); k != "" {
				b.WriteString("  - " + k + "\n")
			}
		}
	}
	b.WriteString("chpasswd:\n  expire: False\n")
	if !hasUser || user != "root" {
		b.WriteString("users:\n  - default\n")
	}
	if up, ok := g.Config["ciupgrade"]; !ok || boolish[up] {
		b.WriteString("package_upgrade: true\n")
	}
	return b.String()
}

// ciCrypt stands in for the SHA-256 crypt hash Proxmox stores (unless the
// value already is one).
func ciCrypt(pw string, vmid int) string {
	if strings.HasPrefix(pw, "$") {
		return pw
	}
	salt := fmt.Sprintf("%08x", vmid*2654435761%(1<<32))
	sum := sha256.Sum256([]byte(salt + pw))
	return "$5$" + salt + "$" + strings.TrimRight(base64.StdEncoding.EncodeToString(sum[:]), "=")
}

// ciNetworkConfig renders the nocloud network config (version 1): one
// physical interface per NIC with its ipconfig, then the DNS settings.
func ciNetworkConfig(g *Guest) string {
	var b strings.Builder
	b.WriteString("version: 1\nconfig:\n")
	for i := 0; i < 32; i++ {
		nic, ok := g.Config[fmt.Sprintf("net%d", i)]
		if !ok {
			continue
		}
		b.WriteString(fmt.Sprintf("    - type: physical\n      name: eth%d\n", i))
		if mac := nicMAC(nic); mac != "" {
			b.WriteString("      mac_address: '" + strings.ToLower(mac) + "'\n")
		}
		ipc := g.Config[fmt.Sprintf("ipconfig%d", i)]
		if ipc == "" {
			continue
		}
		b.WriteString("      subnets:\n")
		props := map[string]string{}
		for _, p := range strings.Split(ipc, ",") {
			k, v, _ := strings.Cut(p, "=")
			props[k] = v
		}
		switch ip := props["ip"]; {
		case ip == "dhcp":
			b.WriteString("      - type: dhcp4\n")
		case ip != "":
			addr, mask := ip, ""
			if a, n, err := net.ParseCIDR(ip); err == nil {
				addr, mask = a.String(), net.IP(n.Mask).String()
			}
			b.WriteString("      - type: static\n        address: '" + addr + "'\n")
			if mask != "" {
				b.WriteString("        netmask: '" + mask + "'\n")
			}
			if gw := props["gw"]; gw != "" {
				b.WriteString("        gateway: '" + gw + "'\n")
			}
		}
		switch ip6 := props["ip6"]; ip6 {
		case "":
		case "dhcp":
			b.WriteString("      - type: dhcp6\n")
		case "auto":
			b.WriteString("      - type: ipv6_slaac\n")
		default:
			b.WriteString("      - type: static6\n        address: '" + ip6 + "'\n")
			if gw := props["gw6"]; gw != "" {
				b.WriteString("        gateway: '" + gw + "'\n")
			}
		}
	}
	ns, sd := strings.Fields(g.Config["nameserver"]), strings.Fields(g.Config["searchdomain"])
	if len(ns) > 0 || len(sd) > 0 {
		b.WriteString("    - type: nameserver\n")
		if len(ns) > 0 {
			b.WriteString("      address:\n")
			for _, a := range ns {
				b.WriteString("      - '" + a + "'\n")
			}
		}
		if len(sd) > 0 {
			b.WriteString("      search:\n")
			for _, d := range sd {
				b.WriteString("      - '" + d + "'\n")
			}
		}
	}
	return b.String()
}

// ciMetaData is the nocloud meta-data: an instance id that changes with
// the rendered configuration, so cloud-init in the guest runs again.
func ciMetaData(g *Guest) string {
	sum := sha1.Sum([]byte(ciUserData(g) + ciNetworkConfig(g)))
	return "instance-id: " + hex.EncodeToString(sum[:]) + "\n"
}

func nicMAC(nic string) string {
	for _, p := range strings.Split(nic, ",") {
		k, v, ok := strings.Cut(p, "=")
		if ok && (slices.Contains(nicModels, k) || k == "macaddr" || k == "hwaddr") {
			return v
		}
	}
	return ""
}
