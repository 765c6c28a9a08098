package main

import (
	"testing"

	"github.com/pve-mcp/pve-mcp/config"
	"github.com/pve-mcp/pve-mcp/handler"
)

// BenchmarkNewServer is the startup work of every runner after the
// configuration: the Proxmox client and the MCP server with every tool of
// tier full (schemas included). It is most of the cold start; profile it
// with -cpuprofile.
func BenchmarkNewServer(b *testing.B) {
	vars := map[string]string{
		"PVE_BASE_URL":     "https://127.0.0.1:8006",
		"PVE_TOKEN_ID":     "mcp@pve!bench",
		"PVE_TOKEN_SECRET": "00000000-bench-4000-8000-000000000000",
	}
	cfg, err := config.FromEnv(func(k string) string { return vars[k] }, false)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := handler.NewServer(cfg, nil); err != nil {
			b.Fatal(err)
		}
	}
}
