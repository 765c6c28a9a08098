package pvesim

import (
	"net"
	"strconv"
)

// State model of node networks: interfaces as applied and as pending.

// Iface is one stanza of /etc/network/interfaces, keyed as the API names
// its properties (type, cidr, bridge_ports, autostart ...).
type Iface map[string]string

// nodeNetwork is a node's network configuration: what runs, and the
// pending file (/etc/network/interfaces.new) that changes write until a
// reload applies them or a revert drops them.
type nodeNetwork struct {
	running map[string]Iface
	pending map[string]Iface // nil: no pending changes
}

type networkState struct {
	nodes map[string]*nodeNetwork
}

func (s *Sim) seedNetwork() {
	s.network.nodes = map[string]*nodeNetwork{}
	for i, n := range s.nodes {
		ifs := map[string]Iface{
			"eno1": {"type": "eth", "method": "manual", "method6": "manual", "autostart": "1"},
			"eno2": {"type": "eth", "method": "manual", "method6": "manual", "autostart": "1"},
			"eno3": {"type": "eth", "method": "manual", "method6": "manual", "autostart": "1"},
			"bond0": {"type": "bond", "method": "manual", "method6": "manual", "autostart": "1", "slaves": "eno2 eno3",
				"bond_mode": "802.3ad", "bond_xmit_hash_policy": "layer3+4"},
			"vmbr0": {"type": "bridge", "method": "static", "method6": "manual", "autostart": "1", "bridge_ports": "eno1",
				"bridge_stp": "off", "bridge_fd": "0", "cidr": n.IP + "/24", "gateway": "10.0.0.1", "comments": "Management and VM LAN"},
			"vmbr1": {"type": "bridge", "method": "manual", "method6": "manual", "autostart": "1", "bridge_ports": "bond0",
				"bridge_stp": "off", "bridge_fd": "0", "bridge_vlan_aware": "1", "bridge_vids": "2-4094", "comments": "VM trunk"},
		}
		if i == 0 {
			ifs["vmbr1.50"] = Iface{"type": "vlan", "method": "static", "method6": "manual", "autostart": "1", "cidr": "10.50.0.11/24",
				"vlan-raw-device": "vmbr1", "vlan-id": "50", "comments": "Storage network"}
		}
		for _, f := range ifs {
			normalizeIface(f)
		}
		s.network.nodes[n.Name] = &nodeNetwork{running: ifs}
	}
}

// normalizeIface fills address/netmask from cidr (and back), as Proxmox
// reports both.
func normalizeIface(f Iface) {
	if cidr := f["cidr"]; cidr != "" {
		ip, ipnet, err := net.ParseCIDR(cidr)
		if err == nil {
			ones, _ := ipnet.Mask.Size()
			f["address"], f["netmask"] = ip.String(), strconv.Itoa(ones)
		}
	} else if f["address"] != "" && f["netmask"] != "" {
		bits := f["netmask"]
		if m := net.ParseIP(bits).To4(); m != nil {
			ones, _ := net.IPMask(m).Size()
			bits = strconv.Itoa(ones)
		}
		f["cidr"], f["netmask"] = f["address"]+"/"+bits, bits
	}
	if f["address"] != "" && f["method"] != "dhcp" {
		f["method"] = "static"
	}
	if f["method"] == "" {
		f["method"] = "manual"
	}
}

// config returns the configuration reads show: the pending one if any, as
// Proxmox reads /etc/network/interfaces.new first.
func (nn *nodeNetwork) config() map[string]Iface {
	if nn.pending != nil {
		return nn.pending
	}
	return nn.running
}

// edit returns the pending configuration, starting it from the running one.
func (nn *nodeNetwork) edit() map[string]Iface {
	if nn.pending == nil {
		nn.pending = map[string]Iface{}
		for name, f := range nn.running {
			nn.pending[name] = cloneIface(f)
		}
	}
	return nn.pending
}

func cloneIface(f Iface) Iface {
	out := Iface{}
	for k, v := range f {
		out[k] = v
	}
	return out
}

// NetworkPending reports whether a node has network changes not yet applied.
func (s *Sim) NetworkPending(node string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	nn := s.network.nodes[node]
	return nn != nil && nn.pending != nil
}

// NetworkIface returns a node's interface as the running (applied) or the
// pending configuration has it, for tests.
func (s *Sim) NetworkIface(node, iface string, pending bool) (Iface, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	nn := s.network.nodes[node]
	if nn == nil {
		return nil, false
	}
	cfg := nn.running
	if pending {
		cfg = nn.config()
	}
	f, ok := cfg[iface]
	if !ok {
		return nil, false
	}
	return cloneIface(f), true
}
