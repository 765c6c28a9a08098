package tools

import (
	"context"
	"time"
)

// The tool that exists only with several clusters: which there are, and
// whether each answers the caller now.

// clusterCheckTimeout bounds each cluster's answer to pve_list_clusters: a
// cluster that is down must not hold the listing of the others.
const clusterCheckTimeout = 5 * time.Second

// clusterInfo is one cluster as pve_list_clusters shows it.
type clusterInfo struct {
	Name    string `json:"name"`
	Default bool   `json:"default,omitempty"`
	// Ceiling is the most any caller may do there.
	Ceiling  string `json:"tier"`
	Host     string `json:"host"`
	Answers  bool   `json:"answers"`
	Version  string `json:"version,omitempty"`
	Error    string `json:"error,omitempty"`
	ActingAs string `json:"acting_as,omitempty"` // the Proxmox token the caller's calls use
}

var versionCall = Call{Method: "GET", Path: "/version"}

func fleetTools() []*Tool {
	return []*Tool{
		Custom(Spec{Name: "pve_list_clusters", Title: "List clusters", Tier: ReadOnly, Kind: Read, ManyClusters: true,
			Desc: "Clusters you may use: name, default, tier, whether each answers now, its version."},
			[]Call{versionCall}, listClusters),
	}
}

func listClusters(ctx context.Context, env *Env, _ EmptyIn) (Output, error) {
	ctx, cancel := context.WithTimeout(ctx, clusterCheckTimeout)
	defer cancel()
	type answer struct{ version, token string }
	infos := []clusterInfo{}
	for _, o := range env.eachCluster(ctx, func(ctx context.Context, env *Env) (any, error) {
		v, err := env.PVE.Check(ctx)
		return answer{v, env.PVE.TokenID()}, err
	}) {
		c := env.Fleet.Get(o.Cluster)
		info := clusterInfo{Name: c.Name, Default: c.Name == env.Fleet.Default, Ceiling: c.Ceiling.String(), Host: c.PVE.Host()}
		if o.Err != nil {
			info.Error = o.Err.Error()
		} else {
			a := o.Value.(answer)
			info.Answers, info.Version = true, a.version
			if c.ActAs != nil {
				info.ActingAs = a.token
			}
		}
		infos = append(infos, info)
	}
	return JSON(infos)
}
