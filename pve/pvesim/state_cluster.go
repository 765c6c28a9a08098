package pvesim

// State model of the datacenter: cluster name, options, replication jobs, quorum and the cluster log.
// clusterState is datacenter-wide data: the cluster's name and config
// version, datacenter.cfg options and storage replication jobs.
type clusterState struct {
	name    string
	version int
	options map[string]string // datacenter.cfg as written: property strings stay strings
	repl    []*ReplJob
}

// ReplJob is a storage replication job (/etc/pve/replication.cfg).
type ReplJob struct {
	ID       string // <vmid>-<jobnum>
	Guest    int
	JobNum   int
	Target   string
	Schedule string
	Rate     float64
	Comment  string
	Disable  bool
}

func (s *Sim) seedCluster() {
	s.cluster = clusterState{
		name:    "lab",
		version: 7,
		options: map[string]string{
			"keyboard":    "en-us",
			"console":     "html5",
			"migration":   "type=secure,network=10.0.0.0/24",
			"crs":         "ha=static,ha-rebalance-on-start=1",
			"description": "Lab cluster, three nodes",
		},
		repl: []*ReplJob{
			{ID: "101-0", Guest: 101, JobNum: 0, Target: "pve2", Schedule: "*/15", Comment: "db01 to pve2"},
			{ID: "200-0", Guest: 200, JobNum: 0, Target: "pve3", Schedule: "*/30", Rate: 50, Disable: true},
		},
	}
}

// quorate reports whether more than half of the nodes are online.
func (s *Sim) quorate() bool {
	online := 0
	for _, n := range s.nodes {
		if n.Online {
			online++
		}
	}
	return online*2 > len(s.nodes)
}

// logCluster adds a line to the cluster log, as pvedaemon does for tasks.
func (s *Sim) logCluster(node, user, tag, msg string) {
	s.clusterLog = append(s.clusterLog, LogEntry{Time: s.now().Unix(), Node: node, User: user, Tag: tag, Pri: 6, Msg: msg})
}

// localNode is the node that answers API calls: the first online one.
func (s *Sim) localNode() string {
	for _, n := range s.nodes {
		if n.Online {
			return n.Name
		}
	}
	return s.nodes[0].Name
}
