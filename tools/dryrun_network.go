package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"slices"
	"strings"

	"github.com/pve-mcp/pve-mcp/pve"
)

// The planners of the network tools. Proxmox stages every change in
// /etc/network/interfaces.new and reports the staged diff beside the
// interface list (the "changes" attribute): a plan states the settings the
// call changes, what is staged already (applied with it), and what Proxmox
// refuses (an interface that exists or not, ports that do not, a second
// default gateway).

var (
	listNetworksCall = Call{"GET", "/nodes/{node}/network"}
	networkReads     = []Call{listNetworksCall, getNetworkCall}
)

// nodeNetwork is a node's interfaces as the pending configuration has
// them, and its staged diff.
type nodeNetwork struct {
	ifaces  map[string]textMap
	pending []string
}

// readNetwork reads a node's interfaces and staged changes; a node
// Proxmox refuses is the plan's would_fail (nil).
func (env *Env) readNetwork(ctx context.Context, p *Plan, node string) (*nodeNetwork, error) {
	var a pve.Answer
	if err := env.getAt(ctx, listNetworksCall, map[string]string{"node": node}, nil, &a); err != nil {
		return nil, p.failOn(err)
	}
	var list []map[string]any
	if err := json.Unmarshal(a.Data, &list); err != nil {
		return nil, fmt.Errorf("network of %s: unexpected answer: %v", node, err)
	}
	nn := &nodeNetwork{ifaces: map[string]textMap{}}
	for _, m := range list {
		t := textMapOf(m)
		nn.ifaces[t["iface"]] = t
	}
	var diff string
	if raw, ok := a.Attrs["changes"]; ok && json.Unmarshal(raw, &diff) != nil {
		return nil, fmt.Errorf("network of %s: unexpected changes attribute: %.100s", node, raw)
	}
	nn.pending = pendingLines(diff, nn.ifaces)
	return nn, nil
}

// startNetworkPlan begins a plan of call on node's network: the request,
// its parameters and the network; nn is nil when Proxmox refuses the read
// (the plan's would_fail), p nil on any other error.
func (env *Env) startNetworkPlan(ctx context.Context, call Call, in any, node string) (p *Plan, nn *nodeNetwork, params pve.Values, err error) {
	if p, params, err = env.startPlan(ctx, call, in); err != nil {
		return nil, nil, nil, err
	}
	nn, err = env.readNetwork(ctx, p, node)
	return p, nn, params, err
}

// maxPendingLines bounds the staged diff a plan shows.
const maxPendingLines = 30

// pendingLines condenses a `diff -u` of the interfaces file to its changed
// lines, each option named with its interface: "+ vmbr2: bridge-ports eno3".
// An option whose stanza header is outside the hunk's context is named
// from ifaces (the pending configuration) when one interface alone has it.
func pendingLines(diff string, ifaces map[string]textMap) []string {
	type line struct{ mark, iface, text string }
	var lines []line
	iface, inHunk := "", false
	for _, l := range strings.Split(diff, "\n") {
		if strings.HasPrefix(l, "@@") {
			iface, inHunk = "", true
			continue
		}
		if !inHunk || l == "" {
			continue
		}
		mark, text := l[:1], l[1:]
		if f := strings.Fields(text); len(f) >= 2 && (f[0] == "iface" || f[0] == "auto") {
			iface = f[1]
		}
		if mark != " " && strings.TrimSpace(text) != "" {
			lines = append(lines, line{mark, iface, text})
		}
	}
	var out []string
	for i, l := range lines {
		option := strings.HasPrefix(l.text, "\t") || strings.HasPrefix(l.text, "#")
		if option && l.iface == "" && l.mark == "+" {
			l.iface = ifaceWith(ifaces, strings.TrimSpace(l.text))
		}
		if option && l.iface == "" && l.mark == "-" && i+1 < len(lines) && lines[i+1].mark == "+" {
			if next := ifaceWith(ifaces, strings.TrimSpace(lines[i+1].text)); next != "" && fileKey(lines[i+1].text) == fileKey(l.text) {
				l.iface = next // a changed value: the same interface
			}
		}
		switch {
		case option && l.iface != "":
			out = append(out, l.mark+" "+l.iface+": "+strings.TrimSpace(l.text))
		default:
			out = append(out, l.mark+" "+strings.TrimSpace(l.text))
		}
	}
	if len(out) > maxPendingLines {
		out = append(out[:maxPendingLines], fmt.Sprintf("... %d more lines (pve_list_networks shows the pending state)", len(out)-maxPendingLines))
	}
	return out
}

func fileKey(option string) string {
	k, _, _ := strings.Cut(strings.TrimSpace(option), " ")
	return k
}

// ifaceWith names the one interface whose settings hold option (a line of
// the interfaces file, "mtu 9000"); "" if none or several.
func ifaceWith(ifaces map[string]textMap, option string) string {
	k, v, _ := strings.Cut(option, " ")
	if c, ok := strings.CutPrefix(option, "#"); ok {
		k, v = "comments", c
	}
	key := map[string]string{"address": "cidr", "bond-slaves": "slaves"}[k]
	if key == "" {
		key = strings.ReplaceAll(k, "-", "_")
	}
	if key == "bridge_vlan_aware" && v == "yes" {
		v = "1"
	}
	found := ""
	for _, name := range sortedKeys(ifaces) {
		f := ifaces[name]
		if !has(f, key, v) && !has(f, k, v) {
			continue
		}
		if found != "" {
			return ""
		}
		found = name
	}
	return found
}

func has(f textMap, k, v string) bool {
	got, ok := f[k]
	return ok && got == v
}

// notePending tells that changes are staged already: the apply takes them
// along.
func notePending(p *Plan, nn *nodeNetwork, node string) {
	if len(nn.pending) > 0 {
		p.Pending = nn.pending
		p.note("changes already staged on %s (pending) are applied together with this one by pve_apply_network", node)
	}
	p.note("staged in /etc/network/interfaces.new: takes effect at pve_apply_network, pve_revert_network discards it")
}

// checkIface states what Proxmox refuses in an interface's new settings.
func checkIface(p *Plan, nn *nodeNetwork, name, typ string, params pve.Values) {
	for _, key := range []string{"bridge_ports", "slaves"} {
		for _, port := range strings.FieldsFunc(params.Get(key), func(r rune) bool { return r == ' ' || r == ',' || r == ';' }) {
			if _, ok := nn.ifaces[port]; !ok && port != name {
				p.fail("%s: interface '%s' does not exist", key, port)
			}
		}
	}
	if params.Get("gateway") != "" {
		for _, other := range sortedKeys(nn.ifaces) {
			if other != name && nn.ifaces[other]["gateway"] != "" {
				p.fail("gateway: Default gateway already exists on interface '%s'", other)
			}
		}
	}
	if c := params.Get("cidr"); c != "" {
		if _, _, err := net.ParseCIDR(c); err != nil || !strings.Contains(c, ".") {
			p.fail("cidr: value does not look like a valid IPv4 network configuration - got '%s'", c)
		}
	}
	raw := params.Get("vlan-raw-device")
	if cur, ok := nn.ifaces[name]; ok && raw == "" {
		raw = cur["vlan-raw-device"]
	}
	if typ == "vlan" && raw == "" && !strings.Contains(name, ".") {
		p.fail("vlan-raw-device: required for a vlan interface not named <raw-device>.<vlan-id>")
	}
}

func createNetworkPlan(ctx context.Context, env *Env, in createNetworkIn) (*Plan, error) {
	p, nn, params, err := env.startNetworkPlan(ctx, createNetworkCall, &in, in.Node)
	if err != nil || nn == nil {
		return p, err
	}
	if _, ok := nn.ifaces[in.Iface]; ok {
		p.fail("iface: interface already exists")
	}
	checkIface(p, nn, in.Iface, in.Type, params)
	p.Changes = newSettings(params)
	notePending(p, nn, in.Node)
	return p, nil
}

func updateNetworkPlan(ctx context.Context, env *Env, in updateNetworkIn) (*Plan, error) {
	head := &Plan{}
	nn, err := env.readNetwork(ctx, head, in.Node)
	if err != nil || nn == nil {
		return head, err
	}
	cur, ok := nn.ifaces[in.Iface]
	if !ok {
		head.fail("iface: interface %s does not exist on %s", in.Iface, in.Node)
		return head, nil
	}
	if in.Type == "" {
		in.Type = cur["type"] // as the call does
	}
	p, _, err := configPlan(ctx, env, getNetworkCall, updateNetworkCall, &in)
	if err != nil {
		return nil, err
	}
	params, err := paramsOf(updateNetworkCall, &in)
	if err != nil {
		return nil, err
	}
	checkIface(p, nn, in.Iface, in.Type, params)
	notePending(p, nn, in.Node)
	return p, nil
}

// ifaceSummary is an interface on one line: type, address, ports.
func ifaceSummary(name string, f textMap) string {
	parts := []string{f["type"]}
	for _, k := range []string{"cidr", "gateway", "bridge_ports", "slaves", "vlan-raw-device"} {
		if v := f[k]; v != "" {
			parts = append(parts, k+" "+v)
		}
	}
	if _, up := f["active"]; up {
		parts = append(parts, "active")
	}
	return name + " (" + strings.Join(parts, ", ") + ")"
}

func deleteNetworkPlan(ctx context.Context, env *Env, in ifaceIn) (*Plan, error) {
	p, nn, _, err := env.startNetworkPlan(ctx, deleteNetworkCall, &in, in.Node)
	if err != nil || nn == nil {
		return p, err
	}
	f, ok := nn.ifaces[in.Iface]
	if !ok {
		p.fail("iface: interface does not exist")
		return p, nil
	}
	p.Destroys = []string{"interface " + ifaceSummary(in.Iface, f)}
	for _, other := range sortedKeys(nn.ifaces) {
		o := nn.ifaces[other]
		for _, key := range []string{"bridge_ports", "slaves", "vlan-raw-device"} {
			if slices.Contains(strings.Fields(o[key]), in.Iface) {
				p.note("%s names it (%s): check that interface once this one is gone", other, key)
			}
		}
	}
	notePending(p, nn, in.Node)
	return p, nil
}

// applyNetworkPlan plans reloading a node's network: the staged diff that
// takes effect, and what in it can cut the node off.
func applyNetworkPlan(ctx context.Context, env *Env, in NodeIn) (*Plan, error) {
	p, nn, _, err := env.startNetworkPlan(ctx, Call{"PUT", listNetworksCall.Path}, &in, in.Node)
	if err != nil || nn == nil {
		return p, err
	}
	if len(nn.pending) == 0 {
		p.note("nothing is staged on %s: Proxmox refuses the reload unless /etc/network/interfaces.new exists", in.Node)
		return p, nil
	}
	p.Pending = nn.pending
	for _, l := range nn.pending {
		if strings.Contains(l, ": address ") || strings.Contains(l, ": gateway ") || strings.Contains(l, ": bridge-ports ") {
			p.note("the diff changes addresses, gateways or bridge ports: check the node stays reachable (a wrong one cuts it off)")
			break
		}
	}
	for _, name := range sortedKeys(nn.ifaces) {
		if _, up := nn.ifaces[name]["active"]; !up && nn.ifaces[name]["type"] != "eth" {
			p.note("%s comes up", ifaceSummary(name, nn.ifaces[name]))
		}
	}
	return p, nil
}

// revertNetworkPlan plans discarding a node's staged network changes.
func revertNetworkPlan(ctx context.Context, env *Env, in NodeIn) (*Plan, error) {
	p, nn, _, err := env.startNetworkPlan(ctx, revertNetworkCall, &in, in.Node)
	if err != nil || nn == nil {
		return p, err
	}
	if len(nn.pending) == 0 {
		p.note("nothing is staged on %s: nothing to discard", in.Node)
	}
	p.Destroys = nn.pending
	return p, nil
}
