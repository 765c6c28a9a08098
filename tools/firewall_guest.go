package tools

// guestFirewallTools: issue 6, in progress.
func guestFirewallTools() []*Tool { return nil }
