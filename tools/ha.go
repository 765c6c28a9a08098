package tools

// haTools declares the ha tools (issue 3).
func haTools() []*Tool { return nil }
