package tools

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/pve-mcp/pve-mcp/pve"
)

// storageConfigCall is read for a storage's retention.
var storageConfigCall = Call{"GET", "/storage/{storage}"}

// The planners of the calls that start a job on a node: a backup run, a
// download to a storage, an OCI image pull.

// runBackupPlan plans a backup run: the guests vzdump would back up (only
// the node's own), their state during it, and the target storage.
func runBackupPlan(ctx context.Context, env *Env, in runBackupIn) (*Plan, error) {
	p := &Plan{}
	c, err := env.readCluster(ctx)
	if err != nil {
		return nil, err
	}
	if in.Node == "" {
		if len(in.VMID) == 0 {
			return nil, fmt.Errorf("node is required when backing up all guests or a pool (vzdump runs on one node); or name the guests with vmid")
		}
		nodes := map[string][]int{}
		for _, id := range in.VMID {
			if g := c.guest(id); g == nil {
				p.fail("no VM or container with vmid %d in the cluster", id)
			} else {
				nodes[g.Node] = append(nodes[g.Node], id)
			}
		}
		if len(nodes) > 1 {
			p.fail("the guests are on several nodes (%s): run one backup per node", describeNodes(nodes))
		}
		if len(p.WouldFail) > 0 {
			return p, nil
		}
		for n := range nodes {
			in.Node = n
		}
	}
	if p.Request, err = env.requestOf(ctx, vzdumpCall, &in); err != nil {
		return nil, err
	}
	if !c.checkNode(p, in.Node) {
		return p, nil
	}
	storage := in.Storage
	if storage == "" {
		storage = "local"
	}
	c.checkStorage(p, in.Node, storage, "backup", 0)
	var picked []resourceEntry
	for _, r := range c {
		if (r.Type != "qemu" && r.Type != "lxc") || slices.Contains(in.Exclude, r.VMID) {
			continue
		}
		switch {
		case slices.Contains(in.VMID, r.VMID) && r.Node != in.Node:
			p.note("%d skipped: it is on node %s (vzdump backs up only the node's own guests)", r.VMID, r.Node)
		case r.Node != in.Node:
		case in.All, in.Pool != "" && r.Pool == in.Pool, slices.Contains(in.VMID, r.VMID):
			picked = append(picked, r)
		}
	}
	if len(picked) == 0 {
		p.note("nothing would be backed up: no selected guest is on node %s", in.Node)
	}
	mode := in.Mode
	if mode == "" {
		mode = "snapshot"
	}
	for _, r := range picked {
		gp := GuestPlan{VMID: r.VMID, Name: r.Name, Type: r.Type, Node: r.Node, Now: r.Status, After: r.Status, Lock: r.Lock, HA: r.HAState}
		if r.Lock != "" {
			gp.Problems = []string{fmt.Sprintf("locked (%s): its backup fails", r.Lock)}
			p.fail("%d: locked (%s)", r.VMID, r.Lock)
		}
		if r.Status == "running" && mode != "snapshot" {
			p.note("%d: %s mode %s it for the backup, then it runs again", r.VMID, mode, map[string]string{"stop": "stops", "suspend": "suspends"}[mode])
		}
		p.Guests = append(p.Guests, gp)
	}
	prune := in.PruneBackups
	if prune == "" {
		path, err := pve.BuildPath(storageConfigCall.Path, map[string]string{"storage": storage})
		if err != nil {
			return nil, err
		}
		var cfg struct {
			Prune string `json:"prune-backups"`
		}
		if err := env.PVE.Get(ctx, path, nil, &cfg); err != nil {
			p.note("the retention of storage %s could not be read (%v): it may prune older backups", storage, err)
		}
		prune = cfg.Prune
	}
	if prune != "" && !strings.Contains(prune, "keep-all=1") {
		p.note("then prunes these guests' backups on %s to %s: older ones are deleted", storage, prune)
	}
	return p, nil
}

// reUnsafeFileName are the characters Proxmox replaces in a file name.
var reUnsafeFileName = regexp.MustCompile(`[^-a-zA-Z0-9_.]`)

// downloadExt is the file extension each content type needs.
var downloadExt = map[string]*regexp.Regexp{
	"iso":    regexp.MustCompile(`(?i)\.(iso|img)$`),
	"vztmpl": regexp.MustCompile(`\.tar\.(gz|xz|zst|bz2)$`),
	"import": regexp.MustCompile(`(?i)\.(ova|ovf|qcow2|raw|vmdk|img)$`),
}

// planNewFile checks that the storage takes content and that no file
// named name is there yet (Proxmox refuses to overwrite one).
func (env *Env) planNewFile(ctx context.Context, p *Plan, node, storage, content, name string) error {
	c, err := env.readCluster(ctx)
	if err != nil {
		return err
	}
	if !c.checkNode(p, node) {
		return nil
	}
	c.checkStorage(p, node, storage, content, 0)
	if len(p.WouldFail) > 0 {
		return nil
	}
	volid := storage + ":" + content + "/" + name
	vols, err := env.storedVolumes(ctx, node, storage, content)
	if err != nil {
		return err
	}
	if slices.ContainsFunc(vols, func(v storedVolume) bool { return v.VolID == volid }) {
		p.fail("refusing to override existing file '%s'", name)
		return nil
	}
	p.note("would store %s; its size is known once fetched (%s)", volid, c.freeText(node, storage))
	return nil
}

var downloadCall = Call{"POST", "/nodes/{node}/storage/{storage}/download-url"}

// downloadPlan plans a download from a URL to a storage.
func downloadPlan(ctx context.Context, env *Env, in downloadURLIn) (*Plan, error) {
	p := &Plan{}
	var err error
	if p.Request, err = env.requestOf(ctx, downloadCall, &in); err != nil {
		return nil, err
	}
	name := reUnsafeFileName.ReplaceAllString(in.Filename, "_")
	if re := downloadExt[in.Content]; re != nil && !re.MatchString(name) {
		p.fail("filename %s: wrong file extension for %s", name, in.Content)
	}
	if (in.Checksum == "") != (in.ChecksumAlgorithm == "") {
		p.fail("'checksum' and 'checksum-algorithm' must be given together")
	}
	if len(p.WouldFail) > 0 {
		return p, nil
	}
	if in.Checksum == "" {
		p.note("no checksum: the file is stored unverified")
	}
	return p, env.planNewFile(ctx, p, in.Node, in.Storage, in.Content, name)
}

var ociPullCall = Call{"POST", "/nodes/{node}/storage/{storage}/oci-registry-pull"}

// ociPullPlan plans pulling an OCI image as a container template.
func ociPullPlan(ctx context.Context, env *Env, in ociPullIn) (*Plan, error) {
	p := &Plan{}
	var err error
	if p.Request, err = env.requestOf(ctx, ociPullCall, &in); err != nil {
		return nil, err
	}
	name := in.Filename
	if name == "" {
		// Proxmox's default: the image's last path part and its tag.
		i := strings.LastIndex(in.Reference, ":")
		repo := in.Reference[:i]
		name = repo[strings.LastIndex(repo, "/")+1:] + "_" + in.Reference[i+1:]
	}
	name = reUnsafeFileName.ReplaceAllString(strings.TrimSuffix(name, ".tar"), "_") + ".tar"
	return p, env.planNewFile(ctx, p, in.Node, in.Storage, "vztmpl", name)
}
