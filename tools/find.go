package tools

import (
	"context"
	"encoding/json"
	"sort"
	"strings"
)

// findGuestsIn holds filters applied here, over one /cluster/resources call.
type findGuestsIn struct {
	Name     string `json:"name,omitempty" jsonschema:"Name contains" pve:"-"`
	Tag      string `json:"tag,omitempty" jsonschema:"Has this tag" pve:"-"`
	Status   string `json:"status,omitempty" jsonschema:"State" enum:"running|stopped|paused|unknown" pve:"-"`
	Node     string `json:"node,omitempty" jsonschema:"On this node" pve:"-"`
	Pool     string `json:"pool,omitempty" jsonschema:"In this pool" pve:"-"`
	Type     string `json:"type,omitempty" jsonschema:"qemu = VM, lxc = container" enum:"qemu|lxc" pve:"-"`
	Template *bool  `json:"template,omitempty" jsonschema:"true: only templates; false: none" pve:"-"`
}

// resource is the part of a /cluster/resources entry the tools here use.
type resource struct {
	ID       string  `json:"id"`
	Type     string  `json:"type"`
	VMID     int     `json:"vmid,omitempty"`
	Name     string  `json:"name,omitempty"`
	Node     string  `json:"node,omitempty"`
	Status   string  `json:"status,omitempty"`
	Tags     string  `json:"tags,omitempty"`
	Pool     string  `json:"pool,omitempty"`
	Template int     `json:"template,omitempty"`
	Lock     string  `json:"lock,omitempty"`
	Storage  string  `json:"storage,omitempty"`
	Disk     int64   `json:"disk,omitempty"`
	MaxDisk  int64   `json:"maxdisk,omitempty"`
	HAState  string  `json:"hastate,omitempty"`
	CPU      float64 `json:"cpu,omitempty"`
}

// guestHit is one guest as pve_find_guests returns it: only what an agent
// needs to pick a guest and act on it.
type guestHit struct {
	// Cluster is set when the search looked at several clusters.
	Cluster  string `json:"cluster,omitempty"`
	VMID     int    `json:"vmid"`
	Name     string `json:"name"`
	Type     string `json:"type"`
	Node     string `json:"node"`
	Status   string `json:"status"`
	Tags     string `json:"tags,omitempty"`
	Pool     string `json:"pool,omitempty"`
	Template bool   `json:"template,omitempty"`
	Lock     string `json:"lock,omitempty"`
}

func (env *Env) resources(ctx context.Context, typ string) ([]resource, error) {
	var q map[string][]string
	if typ != "" {
		q = map[string][]string{"type": {typ}}
	}
	var res []resource
	err := env.PVE.Get(ctx, resourcesCall.Path, q, &res)
	return res, err
}

func findGuests(ctx context.Context, env *Env, in findGuestsIn) (Output, error) {
	if env.acrossAll() {
		return findAcross(ctx, env, in)
	}
	hits, err := env.findHits(ctx, in)
	if err != nil {
		return Output{}, err
	}
	out, err := JSON(hits)
	if len(hits) == 0 && err == nil {
		out.Note = "No guest matches; loosen the filters or list all with pve_list_cluster_resources type=vm."
	}
	return out, err
}

// findAcross searches every cluster the caller may read; a cluster that
// does not answer is named in the note, and the others still answer.
func findAcross(ctx context.Context, env *Env, in findGuestsIn) (Output, error) {
	hits := []guestHit{}
	var down []string
	for _, o := range env.eachCluster(ctx, func(ctx context.Context, env *Env) (any, error) { return env.findHits(ctx, in) }) {
		if o.Err != nil {
			down = append(down, o.Err.Error()) // it names the cluster
			continue
		}
		for _, h := range o.Value.([]guestHit) {
			h.Cluster = o.Cluster
			hits = append(hits, h)
		}
	}
	out, err := JSON(hits)
	switch {
	case err != nil:
	case len(down) > 0:
		out.Note = "Not searched, the cluster did not answer: " + strings.Join(down, "; ")
	case len(hits) == 0:
		out.Note = "No guest matches in any cluster; loosen the filters."
	}
	return out, err
}

// findHits are the guests of env's cluster that match in, by vmid.
func (env *Env) findHits(ctx context.Context, in findGuestsIn) ([]guestHit, error) {
	res, err := env.resources(ctx, "vm")
	if err != nil {
		return nil, err
	}
	name := strings.ToLower(in.Name)
	hits := []guestHit{}
	for _, r := range res {
		status := r.Status
		tags := strings.FieldsFunc(r.Tags, func(c rune) bool { return c == ';' || c == ',' || c == ' ' })
		switch {
		case r.Type != "qemu" && r.Type != "lxc":
		case name != "" && !strings.Contains(strings.ToLower(r.Name), name):
		case in.Tag != "" && !containsFold(tags, in.Tag):
		case in.Status != "" && status != in.Status:
		case in.Node != "" && r.Node != in.Node:
		case in.Pool != "" && r.Pool != in.Pool:
		case in.Type != "" && r.Type != in.Type:
		case in.Template != nil && (r.Template == 1) != *in.Template:
		default:
			hits = append(hits, guestHit{VMID: r.VMID, Name: r.Name, Type: r.Type, Node: r.Node, Status: status,
				Tags: r.Tags, Pool: r.Pool, Template: r.Template == 1, Lock: r.Lock})
		}
	}
	sort.Slice(hits, func(i, j int) bool { return hits[i].VMID < hits[j].VMID })
	return hits, nil
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// clusterSummary is the one-call health view of a cluster.
type clusterSummary struct {
	Cluster     string         `json:"cluster,omitempty"`
	Quorate     bool           `json:"quorate"`
	NodesOnline []string       `json:"nodes_online"`
	NodesDown   []string       `json:"nodes_down"`
	Guests      map[string]int `json:"guests"`      // "qemu running": 4, ...
	CPU         float64        `json:"cpu_used"`    // share of all online CPU, 0..1
	Memory      float64        `json:"memory_used"` // share of all online memory, 0..1
	StorageFull []storageUse   `json:"storage_over_80"`
	HAErrors    []string       `json:"ha_errors,omitempty"` // HA resources in error/fence state
	Locked      []string       `json:"locked,omitempty"`    // guests with a lock (backup, migrate ...)
}

type storageUse struct {
	Storage string  `json:"storage"`
	Node    string  `json:"node"`
	Used    float64 `json:"used"` // 0..1
	FreeGiB float64 `json:"free_gib"`
}

var clusterStatusCall = Call{Method: "GET", Path: "/cluster/status"}

func summarize(ctx context.Context, env *Env, _ EmptyIn) (Output, error) {
	if env.acrossAll() {
		return summarizeAcross(ctx, env)
	}
	sum, err := env.summary(ctx)
	if err != nil {
		return Output{}, err
	}
	return JSON(sum)
}

// clustersSummary is the summary of every cluster a caller may read.
type clustersSummary struct {
	Clusters []namedSummary `json:"clusters"`
	// Unreachable are the clusters that did not answer, with the error.
	Unreachable []clusterError `json:"unreachable,omitempty"`
}

type namedSummary struct {
	Name string `json:"name"`
	clusterSummary
}

type clusterError struct {
	Cluster string `json:"cluster"`
	Error   string `json:"error"`
}

func summarizeAcross(ctx context.Context, env *Env) (Output, error) {
	all := clustersSummary{Clusters: []namedSummary{}}
	for _, o := range env.eachCluster(ctx, func(ctx context.Context, env *Env) (any, error) { return env.summary(ctx) }) {
		if o.Err != nil {
			all.Unreachable = append(all.Unreachable, clusterError{o.Cluster, o.Err.Error()})
			continue
		}
		all.Clusters = append(all.Clusters, namedSummary{o.Cluster, *o.Value.(*clusterSummary)})
	}
	return JSON(all)
}

// summary is the health view of env's cluster.
func (env *Env) summary(ctx context.Context) (*clusterSummary, error) {
	var status []struct {
		Type    string `json:"type"`
		Name    string `json:"name"`
		Quorate int    `json:"quorate"`
		Online  int    `json:"online"`
	}
	if err := env.PVE.Get(ctx, clusterStatusCall.Path, nil, &status); err != nil {
		return nil, err
	}
	var raw []json.RawMessage
	if err := env.PVE.Get(ctx, resourcesCall.Path, nil, &raw); err != nil {
		return nil, err
	}
	sum := clusterSummary{Guests: map[string]int{}, NodesOnline: []string{}, NodesDown: []string{}, StorageFull: []storageUse{}}
	single := true
	for _, s := range status {
		if s.Type == "cluster" {
			sum.Cluster, sum.Quorate, single = s.Name, s.Quorate == 1, false
		}
	}
	var cpuUsed, cpuMax, memUsed, memMax float64
	for _, r := range raw {
		var x resource
		var n struct {
			MaxCPU float64 `json:"maxcpu"`
			Mem    float64 `json:"mem"`
			MaxMem float64 `json:"maxmem"`
		}
		if json.Unmarshal(r, &x) != nil || json.Unmarshal(r, &n) != nil {
			continue
		}
		switch x.Type {
		case "node":
			if x.Status == "online" {
				sum.NodesOnline = append(sum.NodesOnline, x.Node)
				cpuUsed += x.CPU * n.MaxCPU
				cpuMax += n.MaxCPU
				memUsed += n.Mem
				memMax += n.MaxMem
			} else {
				sum.NodesDown = append(sum.NodesDown, x.Node)
			}
		case "qemu", "lxc":
			if x.Template == 1 {
				sum.Guests[x.Type+" template"]++
				continue
			}
			sum.Guests[x.Type+" "+x.Status]++
			if x.Lock != "" {
				sum.Locked = append(sum.Locked, x.ID+" ("+x.Lock+")")
			}
			if x.HAState == "error" || x.HAState == "fence" {
				sum.HAErrors = append(sum.HAErrors, x.ID+" "+x.HAState)
			}
		case "storage":
			if x.MaxDisk > 0 && float64(x.Disk)/float64(x.MaxDisk) > 0.8 {
				sum.StorageFull = append(sum.StorageFull, storageUse{Storage: x.Storage, Node: x.Node,
					Used: round2(float64(x.Disk) / float64(x.MaxDisk)), FreeGiB: round2(float64(x.MaxDisk-x.Disk) / (1 << 30))})
			}
		}
	}
	if single {
		sum.Quorate = len(sum.NodesOnline) > 0 // a standalone node has no quorum to lose
	}
	if cpuMax > 0 {
		sum.CPU = round2(cpuUsed / cpuMax)
	}
	if memMax > 0 {
		sum.Memory = round2(memUsed / memMax)
	}
	return &sum, nil
}

func round2(f float64) float64 { return float64(int64(f*100+0.5)) / 100 }

func findTools() []*Tool {
	return []*Tool{
		Custom(Spec{Name: "pve_find_guests", Title: "Find guests", Tier: ReadOnly, Kind: Read, AcrossClusters: true,
			Desc: "Find guests by name, tag, status, node, pool or type."},
			[]Call{resourcesCall}, findGuests),
		Custom(Spec{Name: "pve_get_cluster_summary", Title: "Cluster health summary", Tier: ReadOnly, Kind: Read, AcrossClusters: true,
			Desc: "Cluster health: quorum, nodes up/down, guests by state, CPU/memory, storages over 80 %, HA errors, locks."},
			[]Call{clusterStatusCall, resourcesCall}, summarize),
	}
}
