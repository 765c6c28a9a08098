package tools

// backupTools declares the backup tools (issue 3).
func backupTools() []*Tool { return nil }
