package pvesim

// backupState holds the simulated backup data (issue 3).
type backupState struct{}

func init() {
	addModule(module{name: "backup", seed: (*Sim).seedBackup, routes: (*Sim).routesBackup})
}

func (s *Sim) seedBackup()   {}
func (s *Sim) routesBackup() {}
