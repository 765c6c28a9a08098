package pvesim

// accessState holds the simulated access data (issue 3).
type accessState struct{}

func init() {
	addModule(module{name: "access", seed: (*Sim).seedAccess, routes: (*Sim).routesAccess})
}

func (s *Sim) seedAccess()   {}
func (s *Sim) routesAccess() {}
