package pvesim

// firewallState holds the simulated firewall data (issue 3).
type firewallState struct{}

func init() {
	addModule(module{name: "firewall", seed: (*Sim).seedFirewall, routes: (*Sim).routesFirewall})
}

func (s *Sim) seedFirewall()   {}
func (s *Sim) routesFirewall() {}
