package pvesim

// networkState holds the simulated network data (issue 3).
type networkState struct{}

func init() {
	addModule(module{name: "network", seed: (*Sim).seedNetwork, routes: (*Sim).routesNetwork})
}

func (s *Sim) seedNetwork()   {}
func (s *Sim) routesNetwork() {}
