package tools

import (
	"fmt"
	"strings"
)

// Tier is an access level. Each tool has a minimum tier; a server at tier T
// registers the tools whose minimum is T or lower.
type Tier int

// The three tiers, lowest first.
const (
	ReadOnly    Tier = iota // reads only
	ReadExecute             // plus power actions, migrations, backups, task control
	Full                    // plus create, change and delete
)

var tierNames = []string{"read-only", "read-execute", "full"}

func (t Tier) String() string {
	if t < 0 || int(t) >= len(tierNames) {
		return fmt.Sprintf("Tier(%d)", int(t))
	}
	return tierNames[t]
}

// ParseTier reads a tier name. Unlike the reference server, an unknown name is
// an error: a typo must never widen access.
func ParseTier(s string) (Tier, error) {
	for i, n := range tierNames {
		if strings.EqualFold(strings.TrimSpace(s), n) {
			return Tier(i), nil
		}
	}
	return 0, fmt.Errorf("unknown access tier %q: valid tiers are %s", s, strings.Join(tierNames, ", "))
}

// Category groups tools by the part of Proxmox they operate on.
type Category string

// The categories, in the order the README lists them.
const (
	Nodes    Category = "nodes"
	QEMU     Category = "qemu"
	LXC      Category = "lxc"
	Storage  Category = "storage"
	Cluster  Category = "cluster"
	Access   Category = "access"
	Pools    Category = "pools"
	Network  Category = "network"
	Firewall Category = "firewall"
	Backup   Category = "backup"
	Tasks    Category = "tasks"
	HA       Category = "ha"
)

// Categories lists every category.
var Categories = []Category{Nodes, QEMU, LXC, Storage, Cluster, Access, Pools, Network, Firewall, Backup, Tasks, HA}

// CategoryDocs says in a few words what each category covers: the README's
// tables and compact mode's search show it.
var CategoryDocs = map[Category]string{
	Nodes:    "Node status, version, DNS, time, journal and system services.",
	QEMU:     "Virtual machines: list, status, config, metrics, power, create, clone, migrate, snapshots.",
	LXC:      "Containers: list, status, config, metrics, power, create, clone, snapshots.",
	Storage:  "Storage definitions, status and content; OCI image pulls.",
	Cluster:  "Cluster status, resources, log, options, next free VM id, replication, backup coverage, bulk guest actions.",
	Access:   "Users, groups, roles, realms and ACLs.",
	Pools:    "Resource pools.",
	Network:  "Node network interfaces.",
	Firewall: "Firewall rules, options, aliases and IP sets.",
	Backup:   "Scheduled backup jobs and one-off backups.",
	Tasks:    "Task list, status and log; abort a running task.",
	HA:       "High-availability resources and rules; arm and disarm HA.",
}

// ParseCategories reads a comma list of category names; empty or "all" means all.
func ParseCategories(s string) ([]Category, error) {
	if t := strings.TrimSpace(s); t == "" || strings.EqualFold(t, "all") {
		return nil, nil
	}
	var out []Category
	for _, part := range strings.Split(s, ",") {
		name := Category(strings.ToLower(strings.TrimSpace(part)))
		if name == "" {
			continue
		}
		known := false
		for _, c := range Categories {
			if c == name {
				known = true
			}
		}
		if !known {
			names := make([]string, len(Categories))
			for i, c := range Categories {
				names[i] = string(c)
			}
			return nil, fmt.Errorf("unknown category %q: valid categories are %s", part, strings.Join(names, ", "))
		}
		out = append(out, name)
	}
	return out, nil
}
