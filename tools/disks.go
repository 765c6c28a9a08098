package tools

// diskTools: issue 6, in progress.
func diskTools() []*Tool { return nil }
