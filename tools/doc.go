// Package tools declares every pve-mcp tool once (name, category, tier,
// annotations, typed input, Proxmox calls, handler) and builds MCP servers
// that hold only the tools a deployment or caller may use.
package tools
