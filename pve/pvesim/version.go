package pvesim

// routesVersion serves /version, the one endpoint outside any subtree.
func (s *Sim) routesVersion() {
	s.handle("GET", "/version", "", func(c *Call) (any, error) {
		return map[string]any{"version": "9.1.2", "release": "9.1", "repoid": "f1a2b3c4d5e6f7a8"}, nil
	})
}
