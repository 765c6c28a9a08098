package tools

// lxcExtraTools: issue 6, in progress.
func lxcExtraTools() []*Tool { return nil }
