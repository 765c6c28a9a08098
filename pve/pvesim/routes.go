package pvesim

// The simulator's two tables: the seed data, laid down in order when a Sim
// is made, and the route table, one entry per API subtree. Every endpoint
// the simulator serves is registered by exactly one entry here, and
// TestRouteTable walks them all.

// seeds lay down the cluster's state, in this order: a later seed may read
// what an earlier one made (the core seed makes the nodes and guests).
var seeds = []func(*Sim){
	(*Sim).seedCore,
	(*Sim).seedAccess,
	(*Sim).seedAgent,
	(*Sim).seedBackup,
	(*Sim).seedCloudInitVM, // cloud-init drive of VM 104
	(*Sim).seedCluster,
	(*Sim).seedFirewall,
	(*Sim).seedFwScoped,
	(*Sim).seedHa,
	(*Sim).seedHealth,
	(*Sim).seedNetwork,
	(*Sim).seedPools,
	(*Sim).seedStorage,
	(*Sim).seedSiteJobs, // last: replaces the lab's jobs and pools on another site
}

// subtree is one part of the API: the file that serves it (name.go), the
// path prefixes it owns, and the function that registers its routes (with
// Sim.handle). A route belongs to the entry owning the longest prefix of its
// path (TestRouteTable checks it).
type subtree struct {
	name   string
	paths  []string
	routes func(*Sim)
}

// subtrees is the route table. Routes never overlap (TestRouteTable), so
// the order only decides the order Routes lists them in.
var subtrees = []subtree{
	{"version", []string{"/version"}, (*Sim).routesVersion},
	{"nodes", []string{"/nodes"}, (*Sim).routesNodes},
	{"tasks", []string{"/nodes/{node}/tasks"}, (*Sim).routesTasks},
	{"qemu", []string{"/nodes/{node}/qemu"}, (*Sim).routesQemu},
	{"qemu_status", []string{"/nodes/{node}/qemu/{vmid}/status"}, (*Sim).routesQemuStatus},
	{"qemu_agent", []string{"/nodes/{node}/qemu/{vmid}/agent"}, (*Sim).routesAgent},
	{"qemu_cloudinit", []string{"/nodes/{node}/qemu/{vmid}/cloudinit"}, (*Sim).routesQemuCloudinit},
	{"lxc", []string{"/nodes/{node}/lxc"}, (*Sim).routesLxc},
	{"lxc_status", []string{"/nodes/{node}/lxc/{vmid}/status"}, (*Sim).routesLxcStatus},
	{"pending", []string{"/nodes/{node}/qemu/{vmid}/pending", "/nodes/{node}/lxc/{vmid}/pending"}, (*Sim).routesPending},
	{"storage", []string{"/storage", "/nodes/{node}/storage"}, (*Sim).routesStorage},
	{"access", []string{"/access"}, (*Sim).routesAccess},
	{"pools", []string{"/pools"}, (*Sim).routesPools},
	{"cluster", []string{"/cluster"}, (*Sim).routesCluster},
	{"firewall", []string{"/cluster/firewall"}, (*Sim).routesFirewall},
	{"firewall_scoped", []string{"/nodes/{node}/firewall", "/nodes/{node}/qemu/{vmid}/firewall", "/nodes/{node}/lxc/{vmid}/firewall"}, (*Sim).routesFwScoped},
	{"ha", []string{"/cluster/ha"}, (*Sim).routesHa},
	{"backup", []string{"/cluster/backup", "/cluster/backup-info", "/nodes/{node}/vzdump"}, (*Sim).routesBackup},
	{"replication", []string{"/cluster/replication", "/nodes/{node}/replication"}, (*Sim).routesReplication},
	{"ceph", []string{"/cluster/ceph", "/nodes/{node}/ceph"}, (*Sim).routesCeph},
	{"sdn", []string{"/cluster/sdn"}, (*Sim).routesSdn},
	{"disks", []string{"/nodes/{node}/disks"}, (*Sim).routesDisks},
	{"network", []string{"/nodes/{node}/network"}, (*Sim).routesNetwork},
	{"apt", []string{"/nodes/{node}/apt"}, (*Sim).routesApt},
}
