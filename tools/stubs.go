package tools

// Categories still to be declared (see issue 3). Each moves to its own file.

func lxcTools() []*Tool      { return nil }
func storageTools() []*Tool  { return nil }
func clusterTools() []*Tool  { return nil }
func accessTools() []*Tool   { return nil }
func poolTools() []*Tool     { return nil }
func networkTools() []*Tool  { return nil }
func firewallTools() []*Tool { return nil }
func backupTools() []*Tool   { return nil }
func haTools() []*Tool       { return nil }
