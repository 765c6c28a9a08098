package tools

// accessTools declares the access tools (issue 3).
func accessTools() []*Tool { return nil }
