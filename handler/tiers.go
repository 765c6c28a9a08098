package handler

import (
	"fmt"
	"strings"
	"sync"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/pve-mcp/pve-mcp/tools"
)

// serverKey is an effective selection: a tier and a category set (the
// categories joined in tools.Categories order; "" for all), the clusters
// the caller may use ("" for all) and its confirmation policy.
type serverKey struct {
	tier     tools.Tier
	cats     string
	clusters string
	confirm  tools.ConfirmPolicy
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

// String is the selection as the audit line's "tier" names it.
func (k serverKey) String() string {
	if k.cats == "" {
		return k.tier.String()
	}
	return k.tier.String() + "/" + k.cats
}

// reach is the key's clusters, nil for all.
func (k serverKey) reach() []string {
	if k.clusters == "" {
		return nil
	}
	return strings.Split(k.clusters, ",")
}

// tierServer is one cached MCP server and the names of the tools it holds.
type tierServer struct {
	srv   *mcp.Server
	tools map[string]bool
}

// buildFunc makes the server of a key holding the given tools.
type buildFunc func(serverKey, []*tools.Tool) (*mcp.Server, error)

// serverSet holds one MCP server per effective selection a caller can have.
// Those of the configuration (the deployment's own, one per static token,
// one per tier an OAuth scope can grant) are built at startup; an OAuth
// caller whose scopes narrow the clusters gets its server built on first
// use. Either way the set is bounded by the configuration (tiers, category
// sets and cluster subsets it names), never by what requests send.
type serverSet struct {
	base  tools.Selection
	build buildFunc
	// fleetNames are the configured clusters, in order (nil: one cluster).
	fleetNames []string

	mu sync.RWMutex
	m  map[serverKey]*tierServer
}

func newServerSet(base tools.Selection, fleetNames []string, build buildFunc) *serverSet {
	return &serverSet{base: base, build: build, fleetNames: fleetNames, m: map[serverKey]*tierServer{}}
}

// keyFor is the key of a caller's server; the clusters are kept in
// configuration order, so two callers with the same clusters share one.
func (s *serverSet) keyFor(c *Caller, confirm tools.ConfirmPolicy) serverKey {
	k := keyOf(c.Tier, c.Categories)
	k.confirm = confirm
	if c.Confirm != nil {
		k.confirm = *c.Confirm
	}
	if c.Clusters != nil && s.fleetNames != nil { // any cluster list, even of one
		var names []string
		for _, n := range s.fleetNames {
			for _, w := range c.Clusters {
				if w == n {
					names = append(names, n)
					break
				}
			}
		}
		k.clusters = strings.Join(names, ",")
		if k.clusters == "" {
			k.clusters = "-" // none: a server of no cluster has no tools
		}
	}
	return k
}

// add builds the server for k unless it exists.
func (s *serverSet) add(k serverKey) (*tierServer, error) {
	s.mu.RLock()
	ts := s.m[k]
	s.mu.RUnlock()
	if ts != nil {
		return ts, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if ts := s.m[k]; ts != nil {
		return ts, nil
	}
	sel := s.base
	sel.Tier, sel.Categories = k.tier, nil
	if k.cats != "" {
		for _, c := range strings.Split(k.cats, ",") {
			sel.Categories = append(sel.Categories, tools.Category(c))
		}
	}
	sel.ManyClusters = len(s.fleetNames) > 1
	selected, err := tools.Select(sel)
	if err != nil {
		return nil, err
	}
	srv, err := s.build(k, selected)
	if err != nil {
		return nil, fmt.Errorf("building the %s server: %w", k, err)
	}
	names := make(map[string]bool, len(selected))
	for _, t := range selected {
		names[t.Name] = true
	}
	ts = &tierServer{srv: srv, tools: names}
	s.m[k] = ts
	return ts, nil
}

// len is the number of servers built.
func (s *serverSet) len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.m)
}
