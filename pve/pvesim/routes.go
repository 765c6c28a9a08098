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
	(*Sim).seedCluster,
	(*Sim).seedExtras, // cloud-init drive of VM 104
	(*Sim).seedFirewall,
	(*Sim).seedFwScoped,
	(*Sim).seedHa,
	(*Sim).seedHealth,
	(*Sim).seedNetwork,
	(*Sim).seedPools,
	(*Sim).seedStorage,
}

// subtree is one part of the API: its name and the function that
// registers its routes (with Sim.handle).
type subtree struct {
	name   string
	routes func(*Sim)
}

// subtrees is the route table. Routes never overlap (TestRouteTable), so
// the order only decides the order Routes lists them in.
var subtrees = []subtree{
	{"version", (*Sim).routesVersion},
	{"nodes", (*Sim).routesNodes},
	{"tasks", (*Sim).routesTasks},
	{"qemu", (*Sim).routesQemu},
	{"qemu_write", (*Sim).routesQemuWrite},
	{"qemu_agent", (*Sim).routesAgent},
	{"qemu_cloudinit", (*Sim).routesQemuCloudinit},
	{"lxc", (*Sim).routesLxc},
	{"pending", (*Sim).routesPending},
	{"storage", (*Sim).routesStorage},
	{"access", (*Sim).routesAccess},
	{"pools", (*Sim).routesPools},
	{"cluster", (*Sim).routesCluster},
	{"firewall", (*Sim).routesFirewall},
	{"firewall_scoped", (*Sim).routesFwScoped},
	{"ha", (*Sim).routesHa},
	{"backup", (*Sim).routesBackup},
	{"replication", (*Sim).routesReplication},
	{"ceph", (*Sim).routesCeph},
	{"sdn", (*Sim).routesSdn},
	{"disks", (*Sim).routesDisks},
	{"network", (*Sim).routesNetwork},
	{"apt", (*Sim).routesApt},
}
