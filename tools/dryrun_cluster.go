package tools

import (
	"context"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/pve-mcp/pve-mcp/pve"
)

// What the plans of calls that make something new (a guest, a disk, a
// file) check in the cluster, from one read of /cluster/resources: the ID
// is free, the node is online, the storage is there, takes that content
// and has room.

// resourceEntry is one entry of /cluster/resources with a storage's use.
type resourceEntry struct {
	clusterEntry
	Pool       string  `json:"pool"`
	Content    string  `json:"content"`
	PluginType string  `json:"plugintype"`
	Disk       float64 `json:"disk"`
	MaxDisk    float64 `json:"maxdisk"`
}

// clusterView is the cluster's resources as a plan reads them.
type clusterView []resourceEntry

func (env *Env) readCluster(ctx context.Context) (clusterView, error) {
	var res clusterView
	if err := env.PVE.Get(ctx, resourcesCall.Path, nil, &res); err != nil {
		return nil, err
	}
	return res, nil
}

// guest is the VM or container with vmid, or nil.
func (c clusterView) guest(vmid int) *resourceEntry {
	i := slices.IndexFunc(c, func(r resourceEntry) bool { return (r.Type == "qemu" || r.Type == "lxc") && r.VMID == vmid })
	if i < 0 {
		return nil
	}
	return &c[i]
}

// checkFreeID fails the plan when vmid is taken, as Proxmox refuses a
// create or restore onto it.
func (c clusterView) checkFreeID(p *Plan, vmid int) {
	if g := c.guest(vmid); g != nil {
		p.fail("vmid %d already exists: %s %q on node %s", vmid, g.Type, g.Name, g.Node)
	}
}

// checkNode fails the plan unless node is a cluster node and online.
func (c clusterView) checkNode(p *Plan, node string) bool {
	i := slices.IndexFunc(c, func(r resourceEntry) bool { return r.Type == "node" && r.Node == node })
	switch {
	case i < 0:
		p.fail("no cluster node '%s'", node)
	case c[i].Status != "online":
		p.fail("node '%s' is not online", node)
	default:
		return true
	}
	return false
}

// thickStorage are the storage types that reserve a volume's whole size
// when it is created: there a volume larger than the free space fails.
// The others (thin pools, sparse files, Ceph) allocate as data is written.
var thickStorage = []string{"lvm", "zfspool", "zfs", "iscsi", "iscsidirect"}

// checkStorage fails the plan unless storage id is on node, enabled and
// configured for content; need bytes are compared with its free space.
func (c clusterView) checkStorage(p *Plan, node, id, content string, need int64) {
	i := slices.IndexFunc(c, func(r resourceEntry) bool { return r.Type == "storage" && r.Node == node && r.Storage == id })
	if i < 0 {
		p.fail("storage '%s' does not exist on node %s", id, node)
		return
	}
	st := c[i]
	if content != "" && !slices.Contains(strings.Split(st.Content, ","), content) {
		p.fail("storage '%s' does not support content-type '%s' (it holds %s)", id, content, st.Content)
		return
	}
	if st.Status != "available" {
		p.fail("storage '%s' is not available on node %s (%s)", id, node, st.Status)
		return
	}
	if need <= 0 {
		return
	}
	free := int64(st.MaxDisk - st.Disk)
	switch {
	case need <= free:
		p.note("storage %s on %s: %s needed, %s free", id, node, sizeText(need), sizeText(free))
	case slices.Contains(thickStorage, st.PluginType):
		p.fail("storage '%s' on %s has %s free, %s needed", id, node, sizeText(free), sizeText(need))
	default:
		p.note("storage %s on %s: %s needed, only %s free; %s allocates as data is written, so it fills up", id, node, sizeText(need), sizeText(free), st.PluginType)
	}
}

// freeText says how much room storage id has on node, for the plans of
// files whose size is known only once they are written.
func (c clusterView) freeText(node, id string) string {
	i := slices.IndexFunc(c, func(r resourceEntry) bool { return r.Type == "storage" && r.Node == node && r.Storage == id })
	if i < 0 || c[i].MaxDisk == 0 {
		return "free space not known"
	}
	return sizeText(int64(c[i].MaxDisk-c[i].Disk)) + " free"
}

// checkPool fails the plan unless pool (when given) exists.
func (env *Env) checkPool(ctx context.Context, p *Plan, pool string) error {
	if pool == "" {
		return nil
	}
	var pools []struct {
		PoolID string `json:"poolid"`
	}
	if err := env.PVE.Get(ctx, poolsCall.Path, nil, &pools); err != nil {
		return err
	}
	if !slices.ContainsFunc(pools, func(x struct {
		PoolID string `json:"poolid"`
	}) bool {
		return x.PoolID == pool
	}) {
		p.fail("pool '%s' does not exist", pool)
	}
	return nil
}

var poolsCall = Call{"GET", "/pools"}

// storedVolume is one entry of a storage's content.
type storedVolume struct {
	VolID   string `json:"volid"`
	Size    int64  `json:"size"`
	Format  string `json:"format"`
	VMID    int    `json:"vmid"`
	Subtype string `json:"subtype"` // a backup's guest type: qemu, lxc
}

// storedVolumes lists the volumes of one content type on a node's storage.
func (env *Env) storedVolumes(ctx context.Context, node, storage, content string) ([]storedVolume, error) {
	path, err := pve.BuildPath(storageContentCall.Path, map[string]string{"node": node, "storage": storage})
	if err != nil {
		return nil, err
	}
	var vols []storedVolume
	err = env.PVE.Get(ctx, path, pve.Values{"content": {content}}, &vols)
	return vols, err
}

// findVolume reads the volume volid (storage:content/name) as node sees
// it; nil, with the reason in p.WouldFail, when it is not there.
func (env *Env) findVolume(ctx context.Context, p *Plan, node, volid string) *storedVolume {
	storage, rest, _ := strings.Cut(volid, ":")
	content, _, _ := strings.Cut(rest, "/")
	vols, err := env.storedVolumes(ctx, node, storage, content)
	if err != nil {
		p.fail("reading storage %s on %s: %v", storage, node, err)
		return nil
	}
	if i := slices.IndexFunc(vols, func(v storedVolume) bool { return v.VolID == volid }); i >= 0 {
		return &vols[i]
	}
	p.fail("volume '%s' does not exist on node %s", volid, node)
	return nil
}

// reNewDisk is a disk to allocate: STORAGE:SIZE_IN_GIB[,options].
var reNewDisk = regexp.MustCompile(`^([a-zA-Z][a-zA-Z0-9_.-]*):(\d+(?:\.\d+)?)(?:,|$)`)

// reFileVolume is a volume of a file storage: STORAGE:iso/NAME and the like.
var reFileVolume = regexp.MustCompile(`^([a-zA-Z][a-zA-Z0-9_.-]*):(iso|vztmpl|import|snippets)/[^,]+`)

// newDisks sums, per storage, the disks params would allocate, and lists
// the file volumes (ISOs, templates) they name.
func newDisks(params pve.Values) (need map[string]int64, files []string) {
	need = map[string]int64{}
	for _, k := range slices.Sorted(maps.Keys(params)) {
		v := params.Get(k)
		if m := reFileVolume.FindString(v); m != "" {
			files = append(files, m)
			continue
		}
		if !diskKey.MatchString(k) {
			continue
		}
		if m := reNewDisk.FindStringSubmatch(strings.TrimPrefix(v, "file=")); m != nil {
			gib, _ := strconv.ParseFloat(m[2], 64)
			need[m[1]] += int64(gib * (1 << 30))
		}
	}
	return need, files
}

// reSizeProp is a volume's size=N[KMGT] option.
var reSizeProp = regexp.MustCompile(`(?:^|,)size=(\d+(?:\.\d+)?)([KMGT]?)(?:,|$)`)

// volumeSize is the size a disk's config value states, in bytes.
func volumeSize(v string) int64 {
	m := reSizeProp.FindStringSubmatch(v)
	if m == nil {
		return 0
	}
	return sizeBytes(m[1], m[2])
}

func sizeBytes(num, unit string) int64 {
	n, _ := strconv.ParseFloat(num, 64)
	return int64(n * float64(map[string]int64{"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}[unit]))
}

// sizeText is a size as Proxmox writes it: in the largest unit, to one
// decimal.
func sizeText(b int64) string {
	for _, u := range []struct {
		s string
		n int64
	}{{"T", 1 << 40}, {"G", 1 << 30}, {"M", 1 << 20}, {"K", 1 << 10}} {
		if b >= u.n {
			return strings.TrimSuffix(strconv.FormatFloat(float64(b)/float64(u.n), 'f', 1, 64), ".0") + u.s
		}
	}
	return fmt.Sprintf("%dB", b)
}
