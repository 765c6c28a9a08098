package pvesim

import (
	"fmt"
	"sort"
	"strings"
)

// The node network as files: /etc/network/interfaces (what runs) and
// interfaces.new (what is pending), written the way Proxmox writes them,
// and the `diff -u` between the two that GET /nodes/{node}/network sets
// as its "changes" attribute while changes are pending.

// ifaceOrder is the order Proxmox writes stanzas in: by type, then name.
var ifaceOrder = map[string]int{"eth": 2, "OVSPort": 2, "OVSIntPort": 3, "bond": 4, "OVSBond": 4, "bridge": 5, "OVSBridge": 5, "vlan": 6}

// ifaceFileKeys are API properties written under another name, or not
// at all (they are the stanza's header, or its inet6 part).
var ifaceFileKeys = map[string]string{
	"slaves": "bond-slaves", "bond_mode": "bond-mode", "bond_xmit_hash_policy": "bond-xmit-hash-policy",
	"bridge_ports": "bridge-ports", "bridge_stp": "bridge-stp", "bridge_fd": "bridge-fd",
	"bridge_vlan_aware": "bridge-vlan-aware", "bridge_vids": "bridge-vids", "cidr": "address",
	"type": "", "method": "", "method6": "", "autostart": "", "comments": "", "address": "", "netmask": "",
	"cidr6": "", "address6": "", "netmask6": "", "gateway6": "", "comments6": "",
}

// interfacesFile writes cfg as /etc/network/interfaces.
func interfacesFile(cfg map[string]Iface) []string {
	names := make([]string, 0, len(cfg))
	for n := range cfg {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool {
		a, b := ifaceOrder[cfg[names[i]]["type"]], ifaceOrder[cfg[names[j]]["type"]]
		return a < b || a == b && names[i] < names[j]
	})
	lines := []string{"auto lo", "iface lo inet loopback", ""}
	for _, n := range names {
		f := cfg[n]
		if f["autostart"] == "1" {
			lines = append(lines, "auto "+n)
		}
		lines = append(lines, fmt.Sprintf("iface %s inet %s", n, f["method"]))
		keys := make([]string, 0, len(f))
		for k := range f {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool {
			return fileKeyRank(keys[i]) < fileKeyRank(keys[j]) || fileKeyRank(keys[i]) == fileKeyRank(keys[j]) && keys[i] < keys[j]
		})
		for _, k := range keys {
			name, renamed := ifaceFileKeys[k]
			switch {
			case renamed && name == "":
				continue
			case !renamed:
				name = strings.ReplaceAll(k, "_", "-")
			}
			v := f[k]
			if k == "bridge_vlan_aware" {
				if v != "1" {
					continue
				}
				v = "yes"
			}
			lines = append(lines, "\t"+name+" "+v)
		}
		if c := f["comments"]; c != "" {
			lines = append(lines, "#"+c)
		}
		if f["cidr6"] != "" {
			lines = append(lines, "", fmt.Sprintf("iface %s inet6 static", n), "\taddress "+f["cidr6"])
			if g := f["gateway6"]; g != "" {
				lines = append(lines, "\tgateway "+g)
			}
		}
		lines = append(lines, "")
	}
	return append(lines, "source /etc/network/interfaces.d/*")
}

// fileKeyRank puts the address and gateway first, as Proxmox does.
func fileKeyRank(k string) int {
	switch k {
	case "cidr":
		return 0
	case "gateway":
		return 1
	}
	return 2
}

// unifiedDiff is `diff -u a b` of two files' lines (three lines of
// context), "" when they are equal.
func unifiedDiff(nameA, nameB string, a, b []string) string {
	// lcs[i][j] is the longest common subsequence of a[i:] and b[j:].
	lcs := make([][]int, len(a)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	type op struct {
		kind byte // ' ', '-', '+'
		text string
		ai   int // lines of a and b before this one
		bi   int
	}
	var ops []op
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case i < len(a) && j < len(b) && a[i] == b[j]:
			ops = append(ops, op{' ', a[i], i, j})
			i, j = i+1, j+1
		case i < len(a) && (j == len(b) || lcs[i+1][j] >= lcs[i][j+1]):
			ops = append(ops, op{'-', a[i], i, j}) // diff writes removals first
			i++
		default:
			ops = append(ops, op{'+', b[j], i, j})
			j++
		}
	}
	const context = 3
	var out strings.Builder
	for k := 0; k < len(ops); {
		if ops[k].kind == ' ' {
			k++
			continue
		}
		// A hunk: from context lines before the change to context lines
		// after the last change that is no more than 2*context away.
		start, end := max(0, k-context), k
		for end < len(ops) {
			if ops[end].kind != ' ' {
				end++
				continue
			}
			next := end
			for next < len(ops) && ops[next].kind == ' ' {
				next++
			}
			if next == len(ops) || next-end > 2*context {
				end = min(len(ops), end+context)
				break
			}
			end = next
		}
		if out.Len() == 0 {
			fmt.Fprintf(&out, "--- %s\n+++ %s\n", nameA, nameB)
		}
		var na, nb int
		for _, o := range ops[start:end] {
			if o.kind != '+' {
				na++
			}
			if o.kind != '-' {
				nb++
			}
		}
		fmt.Fprintf(&out, "@@ -%s +%s @@\n", hunkRange(ops[start].ai, na), hunkRange(ops[start].bi, nb))
		for _, o := range ops[start:end] {
			out.WriteByte(o.kind)
			out.WriteString(o.text)
			out.WriteByte('\n')
		}
		k = end
	}
	return out.String()
}

// hunkRange is a hunk's line range as diff writes it: "start,count", the
// start 1-based, or the line before for an empty range.
func hunkRange(before, n int) string {
	if n == 0 {
		return fmt.Sprintf("%d,0", before)
	}
	if n == 1 {
		return fmt.Sprintf("%d", before+1)
	}
	return fmt.Sprintf("%d,%d", before+1, n)
}

// pendingChanges is the "changes" attribute of a node's network listing:
// the diff from the running to the pending file, "" when nothing is pending.
func (nn *nodeNetwork) pendingChanges() string {
	if nn.pending == nil {
		return ""
	}
	return unifiedDiff("/etc/network/interfaces", "/etc/network/interfaces.new", interfacesFile(nn.running), interfacesFile(nn.pending))
}
