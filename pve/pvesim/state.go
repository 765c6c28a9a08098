package pvesim

import (
	"encoding/json"
	"sync"
	"time"
)

// The root of the state model: the simulated cluster (Sim) and its options.

// Options configure a simulated cluster.
type Options struct {
	TokenID     string // user@realm!name the simulator accepts
	TokenSecret string
	// Tokens are more API tokens the simulator accepts (token id to
	// secret), as a cluster with one token per person has them; each acts
	// as its own user, so tasks it starts name that user.
	Tokens map[string]string
	// Site chooses the seeded cluster: "" (or "lab") is three nodes pve1-3
	// with the guests the tests know; "office" is a second, smaller
	// cluster with other nodes and guests (vmids overlap, as they do
	// between real clusters), for the multi-cluster demo.
	Site string
	// Unrecorded keeps no record of the requests (Requests answers none):
	// a demo serves for hours, and the record is for tests.
	Unrecorded bool
	// TaskDuration is how long a task runs before it finishes and its
	// effect (VM started, disk moved ...) happens; its log grows over that
	// time. Zero finishes tasks before the call that started them returns.
	TaskDuration time.Duration
	// Now is the clock (tests pin it); time.Now when nil.
	Now func() time.Time
	// Answered, when set, sees every successful answer: the route's
	// method and path template and the JSON under "data". Tests check it
	// against the endpoint's returns schema.
	Answered func(method, template string, data json.RawMessage)
}

// Sim is a simulated Proxmox VE cluster. It is an http.Handler serving
// /api2/json/...; every method is safe for concurrent use.
type Sim struct {
	opts   Options
	routes []*route

	mu         sync.Mutex
	requests   []Request
	nodes      []*Node
	guests     map[int]*Guest
	tasks      map[string]*Task
	taskSeq    int
	clusterLog []LogEntry

	storage  storageState
	cluster  clusterState
	access   accessState
	pools    poolState
	network  networkState
	firewall firewallState
	backup   backupState
	ha       haState
	health   healthState
	fwScoped fwScopedState
	agent    agentState
}

func (s *Sim) now() time.Time { return s.opts.Now() }
