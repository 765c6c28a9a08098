package pvesim

import (
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"
)

var (
	networkIntKeys  = map[string]bool{"mtu": true, "vlan-id": true, "ovs_tag": true, "netmask6": true, "bridge-access": true, "priority": true}
	networkBoolKeys = map[string]bool{"autostart": true, "bridge_vlan_aware": true}
	physicalTypes   = map[string]bool{"eth": true}
)

// ifaceEntry is one interface as the API lists it: typed values, plus
// active/exists as the kernel reports them (a not yet applied interface is
// neither).
func (nn *nodeNetwork) ifaceEntry(name string, f Iface) map[string]any {
	e := map[string]any{"iface": name}
	for k, v := range f {
		switch {
		case networkIntKeys[k]:
			n, _ := strconv.Atoi(v)
			e[k] = n
		case networkBoolKeys[k]:
			e[k] = b2i(v == "1")
		default:
			e[k] = v
		}
	}
	fams := []string{}
	if f["address"] != "" || f["method"] == "dhcp" {
		fams = append(fams, "inet")
	}
	if f["address6"] != "" {
		fams = append(fams, "inet6")
	}
	if len(fams) > 0 {
		e["families"] = fams
	}
	if _, ok := nn.running[name]; ok {
		e["active"] = 1
		if physicalTypes[f["type"]] {
			e["exists"] = 1
		}
	}
	return e
}

// networkTypeMatch reports whether an interface fits a ?type= filter.
func networkTypeMatch(typ, filter string) bool {
	switch filter {
	case "", "include_sdn":
		return true
	case "any_bridge":
		return typ == "bridge" || typ == "OVSBridge" || typ == "vnet"
	case "any_local_bridge":
		return typ == "bridge" || typ == "OVSBridge"
	}
	return typ == filter
}

const ifaceProps = "address?:string address6?:string autostart?:boolean bond-primary?:string " +
	"bond_mode?:enum(balance-rr|active-backup|balance-xor|broadcast|802.3ad|balance-tlb|balance-alb|balance-slb|lacp-balance-slb|lacp-balance-tcp) " +
	"bond_xmit_hash_policy?:enum(layer2|layer2+3|layer3+4) bridge_ports?:string bridge_vids?:string bridge_vlan_aware?:boolean " +
	"cidr?:string cidr6?:string comments?:string comments6?:string gateway?:string gateway6?:string mtu?:integer(1280-65520) " +
	"netmask?:string netmask6?:integer(0-128) ovs_bonds?:string ovs_bridge?:string ovs_options?:string ovs_ports?:string " +
	"ovs_tag?:integer(1-4094) slaves?:string vlan-id?:integer(1-4094) vlan-raw-device?:string " +
	"type:enum(bridge|bond|eth|alias|vlan|fabric|OVSBridge|OVSBond|OVSPort|OVSIntPort|vnet|unknown)"

// ifaceListKeys are -list properties Proxmox stores space-separated.
var ifaceListKeys = map[string]bool{"bridge_ports": true, "slaves": true, "ovs_ports": true, "ovs_bonds": true, "bridge_vids": true}

func (s *Sim) routesNetwork() {
	s.handle("GET", "/nodes/{node}/network",
		"node:string type?:enum(bridge|bond|eth|alias|vlan|fabric|OVSBridge|OVSBond|OVSPort|OVSIntPort|vnet|any_bridge|any_local_bridge|include_sdn)",
		func(c *Call) (any, error) {
			nn := s.network.nodes[c.Str("node")]
			cfg := nn.config()
			names := make([]string, 0, len(cfg))
			for name := range cfg {
				names = append(names, name)
			}
			sort.Strings(names)
			out := []map[string]any{}
			for i, name := range names {
				f := cfg[name]
				if !networkTypeMatch(f["type"], c.Str("type")) {
					continue
				}
				e := nn.ifaceEntry(name, f)
				e["priority"] = i + 1
				out = append(out, e)
			}
			if changes := nn.pendingChanges(); changes != "" {
				return withAttrs{data: out, attrs: map[string]any{"changes": changes}}, nil
			}
			return out, nil
		})
	s.handle("GET", "/nodes/{node}/network/{iface}", "node:string iface:string", func(c *Call) (any, error) {
		nn := s.network.nodes[c.Str("node")]
		f, ok := nn.config()[c.Str("iface")]
		if !ok {
			return nil, fail("network interface '%s' does not exist", c.Str("iface"))
		}
		return nn.ifaceEntry(c.Str("iface"), f), nil
	})
	s.handle("POST", "/nodes/{node}/network", "node:string iface:string "+ifaceProps, func(c *Call) (any, error) {
		nn := s.network.nodes[c.Str("node")]
		name := c.Str("iface")
		if err := checkIfaceName(name); err != nil {
			return nil, err
		}
		if _, ok := nn.config()[name]; ok {
			return nil, badParam("iface", "interface already exists")
		}
		f := Iface{"type": c.Str("type"), "method6": "manual"}
		if err := s.setIface(nn, name, f, c); err != nil {
			return nil, err
		}
		if !c.Has("autostart") {
			f["autostart"] = "1"
		}
		nn.edit()[name] = f
		return nil, nil
	})
	s.handle("PUT", "/nodes/{node}/network/{iface}", "node:string iface:string delete?:string "+ifaceProps, func(c *Call) (any, error) {
		nn := s.network.nodes[c.Str("node")]
		name := c.Str("iface")
		old, ok := nn.config()[name]
		if !ok {
			return nil, badParam("iface", "interface does not exist")
		}
		f := cloneIface(old)
		for _, k := range splitList(c.Str("delete")) {
			delete(f, k)
			if k == "cidr" || k == "address" {
				delete(f, "cidr")
				delete(f, "address")
				delete(f, "netmask")
				f["method"] = "manual"
			}
		}
		f["type"] = c.Str("type")
		if err := s.setIface(nn, name, f, c); err != nil {
			return nil, err
		}
		nn.edit()[name] = f
		return nil, nil
	})
	s.handle("DELETE", "/nodes/{node}/network/{iface}", "node:string iface:string", func(c *Call) (any, error) {
		nn := s.network.nodes[c.Str("node")]
		name := c.Str("iface")
		if _, ok := nn.config()[name]; !ok {
			return nil, badParam("iface", "interface does not exist")
		}
		delete(nn.edit(), name)
		return nil, nil
	})
	// Apply (reload) and revert the pending configuration.
	s.handle("PUT", "/nodes/{node}/network", "node:string regenerate-frr?:boolean", func(c *Call) (any, error) {
		node := c.Str("node")
		nn := s.network.nodes[node]
		if nn.pending == nil {
			return nil, fail("you need to create /etc/network/interfaces.new first")
		}
		return s.startTask(node, "srvreload", "networking", c.User, func(*Task) error {
			if nn.pending != nil {
				nn.running, nn.pending = nn.pending, nil
			}
			return nil
		}), nil
	})
	s.handle("DELETE", "/nodes/{node}/network", "node:string", func(c *Call) (any, error) {
		s.network.nodes[c.Str("node")].pending = nil
		return nil, nil
	})
}

func checkIfaceName(name string) error {
	if len(name) < 2 || len(name) > 20 {
		return badParam("iface", "value must have a length between 2 and 20")
	}
	for _, r := range name {
		if !(r == '.' || r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return badParam("iface", fmt.Sprintf("invalid format - %s is not a valid interface name", name))
		}
	}
	return nil
}

// setIface copies a create/update call's properties into f and checks what
// Proxmox checks: well-formed addresses, one default gateway per family on
// the node, ports and slaves that exist.
func (s *Sim) setIface(nn *nodeNetwork, name string, f Iface, c *Call) error {
	for k := range c.Values {
		switch k {
		case "node", "iface", "type", "delete":
			continue
		}
		v := c.Str(k)
		if ifaceListKeys[k] {
			v = strings.Join(splitList(v), " ")
		}
		f[k] = v
	}
	if c.Has("cidr") {
		delete(f, "address")
		delete(f, "netmask")
		if _, _, err := net.ParseCIDR(c.Str("cidr")); err != nil || !strings.Contains(c.Str("cidr"), ".") {
			return badParam("cidr", fmt.Sprintf("value does not look like a valid IPv4 network configuration - got '%s'", c.Str("cidr")))
		}
	} else if c.Has("address") {
		delete(f, "cidr")
		if ip := net.ParseIP(c.Str("address")); ip == nil || ip.To4() == nil {
			return badParam("address", "value does not look like a valid IPv4 address")
		}
		if f["netmask"] == "" {
			return badParam("netmask", "missing property - 'address' requires this property")
		}
	}
	if gw := c.Str("gateway"); gw != "" {
		if ip := net.ParseIP(gw); ip == nil || ip.To4() == nil {
			return badParam("gateway", "value does not look like a valid IPv4 address")
		}
		for other, o := range nn.config() {
			if other != name && o["gateway"] != "" {
				return badParam("gateway", fmt.Sprintf("Default gateway already exists on interface '%s'.", other))
			}
		}
	}
	cfg := nn.config()
	for _, key := range []string{"bridge_ports", "slaves"} {
		for _, port := range strings.Fields(f[key]) {
			if _, ok := cfg[port]; !ok && port != name {
				return badParam(key, fmt.Sprintf("interface '%s' does not exist", port))
			}
		}
	}
	if f["type"] == "vlan" && f["vlan-raw-device"] == "" && !strings.Contains(name, ".") {
		return badParam("vlan-raw-device", "vlan-raw-device is required for a vlan interface not named <raw-device>.<vlan-id>")
	}
	normalizeIface(f)
	return nil
}
