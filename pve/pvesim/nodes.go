package pvesim

import (
	"crypto/md5"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"strings"
)

func (s *Sim) routesNodes() {
	s.handle("GET", "/nodes", "", func(c *Call) (any, error) {
		out := []map[string]any{}
		for _, n := range s.nodes {
			e := map[string]any{"node": n.Name, "status": "offline", "type": "node", "id": "node/" + n.Name, "level": "",
				"ssl_fingerprint": sslFingerprint(n.Name)}
			if n.Online {
				e["status"] = "online"
				e["cpu"], e["maxcpu"] = s.nodeCPU(n), n.CPUs
				e["mem"], e["maxmem"] = s.nodeMem(n), n.MaxMem
				e["disk"], e["maxdisk"] = 12*gib, 94*gib
				e["uptime"] = int64(s.now().Sub(n.Boot).Seconds())
			}
			out = append(out, e)
		}
		return out, nil
	})
	s.handle("GET", "/nodes/{node}", "node:string", func(c *Call) (any, error) {
		var out []map[string]string
		for _, d := range []string{"apt", "capabilities", "ceph", "disks", "dns", "firewall", "hosts", "lxc", "netstat", "network",
			"qemu", "replication", "report", "rrd", "rrddata", "scan", "sdn", "services", "status", "storage", "syslog", "tasks", "time", "version", "vzdump"} {
			out = append(out, map[string]string{"name": d})
		}
		return out, nil
	})
	s.handle("GET", "/nodes/{node}/status", "node:string", func(c *Call) (any, error) {
		n := s.node(c.Str("node"))
		used := s.nodeMem(n)
		return map[string]any{
			"cpu": s.nodeCPU(n), "loadavg": []string{"0.82", "0.91", "1.04"}, "wait": 0.0012,
			"uptime": int64(s.now().Sub(n.Boot).Seconds()), "idle": 0,
			"cpuinfo":        map[string]any{"model": n.CPUModel, "cpus": n.CPUs, "cores": n.CPUs / 2, "sockets": 1},
			"memory":         map[string]any{"total": n.MaxMem, "used": used, "free": n.MaxMem - used, "available": n.MaxMem - used},
			"swap":           map[string]any{"total": 8 * gib, "used": 0, "free": 8 * gib},
			"rootfs":         map[string]any{"total": 94 * gib, "used": 12 * gib, "free": 82 * gib, "avail": 77 * gib},
			"ksm":            map[string]any{"shared": 0},
			"kversion":       "Linux 6.14.11-4-pve #1 SMP PREEMPT_DYNAMIC PMX 6.14.11-4 (2025-10-10T08:04Z) x86_64",
			"pveversion":     "pve-manager/9.1.2/f1a2b3c4d5e6f7a8",
			"current-kernel": map[string]any{"sysname": "Linux", "release": "6.14.11-4-pve", "machine": "x86_64", "version": "#1 SMP PREEMPT_DYNAMIC PMX 6.14.11-4"},
			"boot-info":      map[string]any{"mode": "efi", "secureboot": 0},
		}, nil
	})
	s.handle("GET", "/nodes/{node}/version", "node:string", func(c *Call) (any, error) {
		return map[string]any{"version": "9.1.2", "release": "9.1", "repoid": "f1a2b3c4d5e6f7a8"}, nil
	})
	s.handle("GET", "/nodes/{node}/dns", "node:string", func(c *Call) (any, error) {
		n := s.node(c.Str("node"))
		out := map[string]any{}
		for k, v := range n.DNS {
			out[k] = v
		}
		return out, nil
	})
	s.handle("GET", "/nodes/{node}/time", "node:string", func(c *Call) (any, error) {
		n := s.node(c.Str("node"))
		now := s.now()
		_, off := now.Zone()
		return map[string]any{"timezone": n.Timezone, "time": now.Unix(), "localtime": now.Unix() + int64(off) + 3600}, nil
	})
	s.handle("GET", "/nodes/{node}/syslog",
		`node:string start?:integer(0-) limit?:integer(0-) since?:string until?:string service?:string`,
		func(c *Call) (any, error) {
			n := s.node(c.Str("node"))
			for _, k := range []string{"since", "until"} {
				if c.Has(k) && !reDate().MatchString(c.Str(k)) {
					return nil, badParam(k, "value does not match the regex pattern")
				}
			}
			lines := n.Syslog
			if svc := c.Str("service"); svc != "" {
				var f []string
				for _, l := range lines {
					if strings.Contains(l, " "+svc+"[") {
						f = append(f, l)
					}
				}
				lines = f
			}
			start, limit := c.Int("start"), 50
			if c.Has("limit") {
				limit = c.Int("limit")
			}
			out := []map[string]any{}
			for i := start; i < len(lines) && len(out) < limit; i++ {
				out = append(out, map[string]any{"n": i + 1, "t": lines[i]})
			}
			return out, nil
		})
	s.handle("GET", "/nodes/{node}/services", "node:string", func(c *Call) (any, error) {
		n := s.node(c.Str("node"))
		out := []map[string]any{}
		for _, sv := range n.Services {
			out = append(out, map[string]any{"service": sv.Name, "name": sv.Name, "desc": sv.Desc, "state": sv.State,
				"active-state": map[bool]string{true: "active", false: "inactive"}[sv.State == "running"], "unit-state": "enabled"})
		}
		return out, nil
	})
	for _, cmd := range []string{"start", "stop", "restart", "reload"} {
		cmd := cmd
		s.handle("POST", "/nodes/{node}/services/{service}/"+cmd, "node:string service:string", func(c *Call) (any, error) {
			n := s.node(c.Str("node"))
			var sv *Service
			for _, x := range n.Services {
				if x.Name == c.Str("service") {
					sv = x
				}
			}
			if sv == nil {
				return nil, badParam("service", fmt.Sprintf("value '%s' does not have a value in the enumeration", c.Str("service")))
			}
			typ := "srv" + cmd
			return s.startTask(n.Name, typ, sv.Name, c.User, func(t *Task) error {
				t.Log = append(t.Log, fmt.Sprintf("%s %s", cmd, sv.Name))
				switch cmd {
				case "stop":
					sv.State = "dead" // systemd's SubState of a stopped service, as Proxmox reports it
				default:
					sv.State = "running"
				}
				return nil
			}), nil
		})
	}
	s.handle("GET", "/nodes/{node}/aplinfo", "node:string", func(c *Call) (any, error) {
		return applianceList(), nil
	})
}

func sslFingerprint(node string) string {
	var parts []string
	for i := 0; i < 32; i++ {
		parts = append(parts, fmt.Sprintf("%02X", (int(node[len(node)-1])*31+i*7)%256))
	}
	return strings.Join(parts, ":")
}

// applianceList is the appliance index (aplinfo) as a node has it after
// pveam update: the Proxmox system templates and some TurnKey appliances.
func applianceList() []map[string]any {
	type apl struct{ section, pkg, version, os, headline string }
	list := []apl{
		{"system", "alpine-3.21-default", "20241217", "alpine", "Alpine Linux 3.21 (default)"},
		{"system", "almalinux-9-default", "20240911", "almalinux", "AlmaLinux 9 (default)"},
		{"system", "archlinux-base", "20240911-1", "archlinux", "ArchLinux base image"},
		{"system", "debian-12-standard", "12.7-1", "debian-12", "Debian 12 Bookworm (standard)"},
		{"system", "debian-13-standard", "13.1-2", "debian-13", "Debian 13 Trixie (standard)"},
		{"system", "fedora-42-default", "20250428", "fedora", "Fedora 42 (default)"},
		{"system", "rockylinux-9-default", "20240912", "rockylinux", "Rocky Linux 9 (default)"},
		{"system", "ubuntu-24.04-standard", "24.04-2", "ubuntu-24.04", "Ubuntu 24.04 Noble (standard)"},
		{"turnkeylinux", "debian-12-turnkey-gitea", "18.1-1", "debian-12", "TurnKey Gitea"},
		{"turnkeylinux", "debian-12-turnkey-nextcloud", "18.2-1", "debian-12", "TurnKey Nextcloud"},
		{"turnkeylinux", "debian-12-turnkey-wordpress", "18.3-1", "debian-12", "TurnKey WordPress"},
		{"mail", "proxmox-mailgateway-8.2-standard", "8.2-1", "debian-12", "Proxmox Mail Gateway 8.2"},
	}
	out := make([]map[string]any, 0, len(list))
	for _, a := range list {
		ext := "tar.zst"
		if a.section == "turnkeylinux" {
			ext = "tar.gz"
		}
		tmpl := fmt.Sprintf("%s_%s_amd64.%s", a.pkg, a.version, ext)
		source := "http://download.proxmox.com/images"
		if a.section == "turnkeylinux" {
			source = "https://releases.turnkeylinux.org/pve"
		}
		sha, md := sha512.Sum512([]byte(tmpl)), md5.Sum([]byte(tmpl))
		maintainer := "Proxmox Support Team <support@proxmox.com>"
		if a.section == "turnkeylinux" {
			maintainer = "Turnkey Linux <admin@turnkeylinux.org>"
		}
		out = append(out, map[string]any{
			"template": tmpl, "package": a.pkg, "version": a.version, "os": a.os, "section": a.section, "type": "lxc",
			"headline": a.headline, "architecture": "amd64",
			"description": a.headline + ": a container template ready for pct create.",
			"location":    source + "/" + a.section + "/" + tmpl, "source": source,
			"infopage":   "https://pve.proxmox.com/wiki/Linux_Container#pct_supported_distributions",
			"maintainer": maintainer,
			"sha512sum":  hex.EncodeToString(sha[:]), "md5sum": hex.EncodeToString(md[:]),
		})
	}
	return out
}
