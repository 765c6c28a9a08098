package tools

// Input structs shared by many tools. Descriptions are short on purpose:
// they are repeated in tools/list for every tool that embeds them.

// NodeIn names a cluster node.
type NodeIn struct {
	Node string `json:"node" jsonschema:"Node name"`
}

// GuestIn names a VM or container; node may be left out. What vmid is,
// and that node is found from it, is said once in the server instructions
// rather than in each of the guest tools' schemas (doc:"instructions").
type GuestIn struct {
	Node string `json:"node,omitempty" jsonschema:"Node (default: vmid's)" doc:"instructions"`
	VMID int    `json:"vmid" jsonschema:"Guest ID" min:"100" max:"999999999" doc:"instructions"`
}

// EmptyIn is the input of tools that take no arguments.
type EmptyIn struct{}
