package tools

import (
	"context"
	"encoding/json"
	"fmt"
)

type listNetworksIn struct {
	NodeIn
	Type string `json:"type,omitempty" jsonschema:"Filter by type" enum:"bridge|bond|eth|alias|vlan|fabric|OVSBridge|OVSBond|OVSPort|OVSIntPort|vnet|any_bridge|any_local_bridge|include_sdn"`
}

type ifaceIn struct {
	NodeIn
	Iface string `json:"iface" jsonschema:"Interface, e.g. vmbr0" pattern:"^[a-zA-Z][a-zA-Z0-9._\\-]{1,19}$" minlen:"2" maxlen:"20"`
}

// ifaceProps are the settings create and update share. Rarer ones
// (address/netmask, bond-primary, bond_xmit_hash_policy, bridge_vids,
// vlan-id, vlan-raw-device, OVS settings) go through Extra.
type ifaceProps struct {
	CIDR        string         `json:"cidr,omitempty" jsonschema:"IPv4 CIDR, e.g. 10.0.0.5/24"`
	Gateway     string         `json:"gateway,omitempty" jsonschema:"IPv4 gateway (one per node)"`
	CIDR6       string         `json:"cidr6,omitempty" jsonschema:"IPv6 CIDR"`
	Gateway6    string         `json:"gateway6,omitempty" jsonschema:"IPv6 gateway"`
	BridgePorts string         `json:"bridge_ports,omitempty" jsonschema:"Bridge ports, space-separated"`
	VLANAware   *bool          `json:"bridge_vlan_aware,omitempty" jsonschema:"VLAN-aware bridge"`
	Slaves      string         `json:"slaves,omitempty" jsonschema:"Bond members, space-separated"`
	BondMode    string         `json:"bond_mode,omitempty" jsonschema:"Bond mode" enum:"balance-rr|active-backup|balance-xor|broadcast|802.3ad|balance-tlb|balance-alb"`
	MTU         *int           `json:"mtu,omitempty" jsonschema:"MTU" min:"1280" max:"65520"`
	Autostart   *bool          `json:"autostart,omitempty" jsonschema:"Start at boot"`
	Comments    string         `json:"comments,omitempty" jsonschema:"Comment"`
	Extra       map[string]any `json:"extra,omitempty" pve:"*" jsonschema:"Further Proxmox properties, e.g. {\"vlan-raw-device\":\"eno1\"}"`
}

type createNetworkIn struct {
	ifaceIn
	Type string `json:"type" jsonschema:"Type" enum:"bridge|bond|eth|alias|vlan|OVSBridge|OVSBond|OVSPort|OVSIntPort"`
	ifaceProps
}

type updateNetworkIn struct {
	ifaceIn
	Type string `json:"type,omitempty" jsonschema:"Type (default: current)" enum:"bridge|bond|eth|alias|vlan|OVSBridge|OVSBond|OVSPort|OVSIntPort"`
	ifaceProps
	Delete []string `json:"delete,omitempty" pve:"delete,join" jsonschema:"Settings to remove"`
}

// pendingNote tells the agent that Proxmox stages network changes.
const pendingNote = "Pending: Proxmox wrote this to /etc/network/interfaces.new; it takes effect only when pve_apply_network reloads the node's network (ifreload), and pve_revert_network discards it until then. pve_list_networks shows the pending state; 'active' is missing on interfaces not yet applied."

var (
	getNetworkCall    = Call{"GET", "/nodes/{node}/network/{iface}"}
	createNetworkCall = Call{"POST", "/nodes/{node}/network"}
	updateNetworkCall = Call{"PUT", "/nodes/{node}/network/{iface}"}
	deleteNetworkCall = Call{"DELETE", "/nodes/{node}/network/{iface}"}
	revertNetworkCall = Call{"DELETE", "/nodes/{node}/network"}
)

func networkTools() []*Tool {
	return []*Tool{
		Endpoint[listNetworksIn](Spec{Name: "pve_list_networks", Title: "List network interfaces", Tier: ReadOnly, Kind: Read,
			Desc: "List a node's network interfaces, pending changes included; active=1 = running."}, "GET", "/nodes/{node}/network"),
		Endpoint[ifaceIn](Spec{Name: "pve_get_network", Title: "Get network interface", Tier: ReadOnly, Kind: Read,
			Desc: "One network interface's config, pending changes included."}, "GET", "/nodes/{node}/network/{iface}"),
		planned(Custom(Spec{Name: "pve_create_network", Title: "Create network interface", Tier: Full, Kind: Act,
			Desc: "Create a node network interface; pending until the network config is applied."},
			[]Call{createNetworkCall}, func(ctx context.Context, env *Env, in createNetworkIn) (Output, error) {
				return pending(env.Call(ctx, createNetworkCall, &in))
			}), networkReads, createNetworkPlan),
		planned(Custom(Spec{Name: "pve_update_network", Title: "Change network interface", Tier: Full, Kind: Set,
			Desc: "Change given settings of a network interface; pending until applied."},
			[]Call{getNetworkCall, updateNetworkCall}, func(ctx context.Context, env *Env, in updateNetworkIn) (Output, error) {
				if in.Type == "" {
					cur, err := env.Call(ctx, getNetworkCall, &in.ifaceIn)
					if err != nil {
						return Output{}, err
					}
					var v struct {
						Type string `json:"type"`
					}
					if err := json.Unmarshal(cur.Data, &v); err != nil || v.Type == "" {
						return Output{}, fmt.Errorf("interface %s on %s: Proxmox did not report its type; pass type", in.Iface, in.Node)
					}
					in.Type = v.Type
				}
				return pending(env.Call(ctx, updateNetworkCall, &in))
			}), networkReads, updateNetworkPlan),
		planned(Custom(Spec{Name: "pve_delete_network", Title: "Delete network interface", Tier: Full, Kind: Destroy,
			Desc: "Delete a network interface; pending until applied."},
			[]Call{deleteNetworkCall}, func(ctx context.Context, env *Env, in ifaceIn) (Output, error) {
				return pending(env.Call(ctx, deleteNetworkCall, &in))
			}), networkReads, deleteNetworkPlan),
		// Both are Destroy: a reload can cut the node off the network, a
		// revert throws staged edits away.
		planned(Endpoint[NodeIn](Spec{Name: "pve_apply_network", Title: "Apply network changes", Tier: Full, Kind: Destroy, Task: true,
			Desc: "Reload a node's network with its pending changes (ifreload); a wrong bridge or gateway can cut the node off."}, "PUT", "/nodes/{node}/network"),
			networkReads, applyNetworkPlan),
		planned(Custom(Spec{Name: "pve_revert_network", Title: "Discard network changes", Tier: Full, Kind: Destroy,
			Desc: "Discard a node's pending network changes."},
			[]Call{revertNetworkCall}, func(ctx context.Context, env *Env, in NodeIn) (Output, error) {
				out, err := env.Call(ctx, revertNetworkCall, &in)
				if err == nil {
					out.Note = "Pending network changes discarded; the running configuration is unchanged."
				}
				return out, err
			}), networkReads, revertNetworkPlan),
	}
}

func pending(out Output, err error) (Output, error) {
	if err != nil {
		return out, err
	}
	out.Note = pendingNote
	return out, nil
}
