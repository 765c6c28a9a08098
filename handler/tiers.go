package handler

import (
	"fmt"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/pve-mcp/pve-mcp/tools"
)

// serverKey is an effective selection: a tier and a category set (the
// categories joined in tools.Categories order; "" for all).
type serverKey struct {
	tier tools.Tier
	cats string
}

func keyOf(tier tools.Tier, cats []tools.Category) serverKey {
	var names []string
	for _, c := range tools.Categories {
		for _, k := range cats {
			if k == c {
				names = append(names, string(c))
				break
			}
		}
	}
	return serverKey{tier: tier, cats: strings.Join(names, ",")}
}

func (k serverKey) String() string {
	if k.cats == "" {
		return k.tier.String()
	}
	return k.tier.String() + "/" + k.cats
}

// tierServer is one cached MCP server and the names of the tools it holds.
type tierServer struct {
	srv   *mcp.Server
	tools map[string]bool
}

// serverSet holds one MCP server per effective selection a caller can have.
// All are built at startup from the configuration (the deployment's own, one
// per static token, one per tier an OAuth scope can grant), so the set is
// bounded by the configuration, never grown by requests, and read without locks.
type serverSet map[serverKey]*tierServer

// add builds the server for (tier, cats) unless it exists. build makes a
// server holding the given tools.
func (s serverSet) add(base tools.Selection, tier tools.Tier, cats []tools.Category, build func(serverKey, []*tools.Tool) (*mcp.Server, error)) error {
	k := keyOf(tier, cats)
	if _, ok := s[k]; ok {
		return nil
	}
	sel := tools.Selection{Tier: tier, Categories: cats, Allow: base.Allow, Deny: base.Deny}
	selected, err := tools.Select(sel)
	if err != nil {
		return err
	}
	srv, err := build(k, selected)
	if err != nil {
		return fmt.Errorf("building the %s server: %w", k, err)
	}
	names := make(map[string]bool, len(selected))
	for _, t := range selected {
		names[t.Name] = true
	}
	s[k] = &tierServer{srv: srv, tools: names}
	return nil
}

// lookup returns the server for a caller.
func (s serverSet) lookup(c *Caller) *tierServer {
	return s[keyOf(c.Tier, c.Categories)]
}
