package pvesim

// clusterState holds the simulated cluster data (issue 3).
type clusterState struct{}

func init() {
	addModule(module{name: "cluster", seed: (*Sim).seedCluster, routes: (*Sim).routesCluster})
}

func (s *Sim) seedCluster()   {}
func (s *Sim) routesCluster() {}
