package tools

import "github.com/modelcontextprotocol/go-sdk/mcp"

// Beyond tools, a server offers resources (resources.go), prompts
// (prompts.go) and completions (complete.go), each bounded by the tools it
// holds.

func toolSetOf(tools []*Tool) toolSet {
	sel := toolSet{}
	for _, t := range tools {
		sel[t.Name] = true
	}
	return sel
}

// addCapabilities registers the resources, templates and prompts of a server
// holding sel.
func addCapabilities(s *mcp.Server, env *Env, sel toolSet) {
	addResources(s, env, sel)
	addPrompts(s, sel)
}
