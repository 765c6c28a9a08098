package tools

// clusterTools declares the cluster tools (issue 3).
func clusterTools() []*Tool { return nil }
