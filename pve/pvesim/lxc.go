package pvesim

// lxcState holds the simulated lxc data (issue 3).
type lxcState struct{}

func init() {
	addModule(module{name: "lxc", seed: (*Sim).seedLxc, routes: (*Sim).routesLxc})
}

func (s *Sim) seedLxc()   {}
func (s *Sim) routesLxc() {}
