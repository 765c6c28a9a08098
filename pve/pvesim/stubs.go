package pvesim

// State of the categories still to be simulated (issue 3); each moves to
// its own file with its seed data and routes.

type clusterState struct{}
type accessState struct{}
type networkState struct{}
type firewallState struct{}
type backupState struct{}
type haState struct{}
