package pvesim

// haState holds the simulated ha data (issue 3).
type haState struct{}

func init() {
	addModule(module{name: "ha", seed: (*Sim).seedHa, routes: (*Sim).routesHa})
}

func (s *Sim) seedHa()   {}
func (s *Sim) routesHa() {}
