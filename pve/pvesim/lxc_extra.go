package pvesim

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Container network interfaces as the running container reports them, and
// container migration (restart mode: Proxmox cannot live-migrate containers).

func (s *Sim) routesLxcExtra() {
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
			if running && !c.Bool("restart") {
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
