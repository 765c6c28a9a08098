package tools

// healthTools: issue 6, in progress.
func healthTools() []*Tool { return nil }
