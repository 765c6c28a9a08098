package tools

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/pve-mcp/pve-mcp/pve"
)

type backupJobIn struct {
	ID string `json:"id" jsonschema:"Job ID" pattern:"^\\S+$" maxlen:"50"`
}

// vzdumpOptions are the backup settings a run and a scheduled job share.
type vzdumpOptions struct {
	VMID         []int          `json:"vmid,omitempty" pve:"vmid,join" jsonschema:"Guests to back up" min:"100" max:"999999999"`
	All          bool           `json:"all,omitempty" jsonschema:"All guests"`
	Exclude      []int          `json:"exclude,omitempty" pve:"exclude,join" jsonschema:"Guests to skip (with all/pool)" min:"100" max:"999999999"`
	Pool         string         `json:"pool,omitempty" jsonschema:"All guests of this pool"`
	Storage      string         `json:"storage,omitempty" jsonschema:"Target storage (default local)"`
	Mode         string         `json:"mode,omitempty" jsonschema:"Default snapshot (live)" enum:"snapshot|suspend|stop"`
	Compress     string         `json:"compress,omitempty" jsonschema:"Default none; zstd recommended" enum:"0|gzip|lzo|zstd"`
	PruneBackups string         `json:"prune_backups,omitempty" pve:"prune-backups" jsonschema:"Retention, e.g. keep-last=3 (default: storage's)"`
	Protected    *bool          `json:"protected,omitempty" jsonschema:"Protect new backups from pruning"`
	Extra        map[string]any `json:"extra,omitempty" pve:"*" jsonschema:"Further vzdump options, e.g. bwlimit (KiB/s), notes-template"`
}

type runBackupIn struct {
	Node string `json:"node,omitempty" jsonschema:"Default: the vmid's node"`
	vzdumpOptions
}

type createBackupJobIn struct {
	ID       string `json:"id,omitempty" jsonschema:"Job ID (default random)" pattern:"^[a-zA-Z][a-zA-Z0-9_-]+$" maxlen:"50"`
	Schedule string `json:"schedule" jsonschema:"systemd calendar event, e.g. sat 02:30" maxlen:"128"`
	vzdumpOptions
	Node    string `json:"node,omitempty" jsonschema:"Only on this node"`
	Enabled *bool  `json:"enabled,omitempty" jsonschema:"Default true"`
	Comment string `json:"comment,omitempty" jsonschema:"Comment" maxlen:"512"`
}

var (
	vzdumpCall     = Call{Method: "POST", Path: "/nodes/{node}/vzdump"}
	createJobCall  = Call{Method: "POST", Path: "/cluster/backup"}
	readJobCall    = Call{Method: "GET", Path: "/cluster/backup/{id}"}
	backupJobCalls = []Call{createJobCall, readJobCall}
)

func backupTools() []*Tool {
	return []*Tool{
		Endpoint[EmptyIn](Spec{Name: "pve_list_backup_jobs", Title: "List backup jobs", Tier: ReadOnly, Kind: Read,
			Desc: "List backup jobs: id, schedule, next-run, guests, storage, retention, enabled."}, "GET", "/cluster/backup"),
		Endpoint[backupJobIn](Spec{Name: "pve_get_backup_job", Title: "Get backup job", Tier: ReadOnly, Kind: Read,
			Desc: "One backup job's settings."}, "GET", "/cluster/backup/{id}"),
		planned(Custom(Spec{Name: "pve_run_backup", Title: "Back up now", Tier: ReadExecute, Kind: Act, Task: true,
			Desc: "Back up guests now (vzdump); all/pool need node. Returns the task."},
			[]Call{vzdumpCall, resourcesCall}, runBackup), []Call{storageConfigCall}, runBackupPlan),
		planned(Custom(Spec{Name: "pve_create_backup_job", Title: "Create backup job", Tier: Full, Kind: Act,
			Desc: "Schedule a recurring backup job; returns the stored job with its id."},
			backupJobCalls, createBackupJob), backupJobReads, createBackupJobPlan),
		planned(Endpoint[backupJobIn](Spec{Name: "pve_delete_backup_job", Title: "Delete backup job", Tier: Full, Kind: Destroy,
			Desc: "Delete a backup job; existing backups stay."}, "DELETE", "/cluster/backup/{id}"), backupJobReads, deleteBackupJobPlan),
	}
}

// runBackup finds the node when only guests are named: vzdump runs per node
// and silently skips guests that live elsewhere, so the node must be right.
func runBackup(ctx context.Context, env *Env, in runBackupIn) (Output, error) {
	if in.Node == "" {
		if len(in.VMID) == 0 {
			return Output{}, fmt.Errorf("node is required when backing up all guests or a pool (vzdump runs on one node); or name the guests with vmid")
		}
		nodes := map[string][]int{}
		for _, id := range in.VMID {
			node, err := env.NodeOf(ctx, id)
			if err != nil {
				return Output{}, err
			}
			nodes[node] = append(nodes[node], id)
		}
		if len(nodes) > 1 {
			return Output{}, fmt.Errorf("the guests are on several nodes (%s): run one backup per node", describeNodes(nodes))
		}
		for n := range nodes {
			in.Node = n
		}
	}
	out, err := env.Call(ctx, vzdumpCall, &in)
	if err != nil {
		return Output{}, err
	}
	if strings.TrimSpace(string(out.Data)) == `"OK"` {
		out.Note = fmt.Sprintf("Nothing was backed up: none of the selected guests is on node %s (vzdump only backs up the node's own guests).", in.Node)
	}
	return out, nil
}

func describeNodes(nodes map[string][]int) string {
	names := make([]string, 0, len(nodes))
	for n := range nodes {
		names = append(names, n)
	}
	sort.Strings(names)
	parts := make([]string, 0, len(names))
	for _, n := range names {
		ids := make([]string, 0, len(nodes[n]))
		for _, id := range nodes[n] {
			ids = append(ids, strconv.Itoa(id))
		}
		parts = append(parts, n+": "+strings.Join(ids, ","))
	}
	return strings.Join(parts, "; ")
}

// createBackupJob creates the job and reads it back: Proxmox answers a
// create with nothing, so the agent would not learn the generated id. The
// id is chosen here, in Proxmox's own backup-xxxxxxxx-xxxx form.
func createBackupJob(ctx context.Context, env *Env, in createBackupJobIn) (Output, error) {
	if in.ID == "" {
		b := make([]byte, 6)
		if _, err := rand.Read(b); err != nil {
			return Output{}, err
		}
		h := hex.EncodeToString(b)
		in.ID = "backup-" + h[:8] + "-" + h[8:]
	}
	if _, err := env.Call(ctx, createJobCall, &in); err != nil {
		return Output{}, err
	}
	path, err := pve.BuildPath(readJobCall.Path, map[string]string{"id": in.ID})
	if err != nil {
		return Output{}, err
	}
	var job json.RawMessage
	if err := env.PVE.Get(ctx, path, nil, &job); err != nil {
		return Output{}, fmt.Errorf("job %s was created, but reading it back failed: %w", in.ID, err)
	}
	return Output{Data: job}, nil
}
