package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/pve-mcp/pve-mcp/pve"
)

// What a confirmation states of a guest, from live reads (GET only): the
// same facts are hashed into the token, so a token issued before a
// snapshot was added, a disk changed or the guest started no longer fits.

// confirmReads are the reads a guest's confirmation makes; Custom declares
// them on every tool that may ask about a guest, for the schema test.
var confirmReads = []Call{
	resourcesCall,
	{"GET", "/nodes/{node}/qemu/{vmid}/config"},
	{"GET", "/nodes/{node}/qemu/{vmid}/snapshot"},
	{"GET", "/nodes/{node}/lxc/{vmid}/config"},
	{"GET", "/nodes/{node}/lxc/{vmid}/snapshot"},
	{"GET", "/cluster/ha/resources"},
	{"GET", "/cluster/backup"},
}

// confirmCallsOf returns the confirmation reads a tool lacks: none for a
// read-only tool (never confirmed) or one without a guest's vmid.
func confirmCallsOf(kind Kind, in reflect.Type, calls []Call) []Call {
	if kind == Read || !guestVMID(in) {
		return nil
	}
	var out []Call
	for _, c := range confirmReads {
		if !slices.Contains(calls, c) {
			out = append(out, c)
		}
	}
	return out
}

// guestVMID reports whether the input names one guest: a whole-number vmid
// (a backup job's vmid is a list).
func guestVMID(in reflect.Type) bool {
	for _, f := range pve.Fields(in) {
		if f.JSON == "vmid" {
			k := f.Type.Kind()
			return k >= reflect.Int && k <= reflect.Uint64
		}
	}
	return false
}

// guest is what a confirmation states of one guest.
type guest struct {
	VMID      int      `json:"vmid"`
	Missing   bool     `json:"missing,omitempty"`
	Name      string   `json:"name,omitempty"`
	Type      string   `json:"type,omitempty"`
	Node      string   `json:"node,omitempty"`
	Status    string   `json:"status,omitempty"`
	Lock      string   `json:"lock,omitempty"`
	Template  bool     `json:"template,omitempty"`
	Protected bool     `json:"protected,omitempty"` // protection=1: Proxmox refuses to destroy it
	Digest    string   `json:"digest,omitempty"`    // Proxmox's config digest
	Disks     []string `json:"disks,omitempty"`
	Snapshots []string `json:"snapshots,omitempty"`
	HA        []string `json:"ha,omitempty"`
	Backups   []string `json:"backups,omitempty"`
	// Unread names what could not be read (the token's permissions, say).
	Unread []string `json:"unread,omitempty"`
}

// diskKey matches the config keys that hold volumes.
var diskKey = regexp.MustCompile(`^(scsi|virtio|sata|ide|efidisk|tpmstate|unused|rootfs|mp)\d*$`)

func (env *Env) guestFacts(ctx context.Context, vmid int) (*guest, error) {
	var res []struct {
		VMID     int    `json:"vmid"`
		Node     string `json:"node"`
		Type     string `json:"type"`
		Name     string `json:"name"`
		Status   string `json:"status"`
		Lock     string `json:"lock"`
		Template flag   `json:"template"`
	}
	if err := env.PVE.Get(ctx, resourcesCall.Path, pve.Values{"type": {"vm"}}, &res); err != nil {
		return nil, err
	}
	g := &guest{VMID: vmid, Missing: true}
	for _, r := range res {
		if r.VMID == vmid {
			g.Missing = false
			g.Name, g.Type, g.Node, g.Status, g.Lock, g.Template = r.Name, r.Type, r.Node, r.Status, r.Lock, bool(r.Template)
			break
		}
	}
	if g.Missing {
		return g, nil
	}
	if g.Type != "qemu" && g.Type != "lxc" {
		return g, nil
	}
	ids := map[string]string{"node": g.Node, "vmid": strconv.Itoa(vmid)}
	cfgPath, err := pve.BuildPath("/nodes/{node}/"+g.Type+"/{vmid}/config", ids)
	if err != nil {
		return nil, err
	}
	snapPath, err := pve.BuildPath("/nodes/{node}/"+g.Type+"/{vmid}/snapshot", ids)
	if err != nil {
		return nil, err
	}
	var cfg map[string]any
	if err := env.PVE.Get(ctx, cfgPath, nil, &cfg); err != nil {
		g.Unread = append(g.Unread, "config: "+err.Error())
	} else {
		g.Digest, _ = cfg["digest"].(string)
		var prot flag
		if b, err := json.Marshal(cfg["protection"]); err == nil && prot.UnmarshalJSON(b) == nil {
			g.Protected = bool(prot)
		}
		keys := make([]string, 0, len(cfg))
		for k := range cfg {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			v, ok := cfg[k].(string)
			if !ok || !diskKey.MatchString(k) {
				continue
			}
			if strings.Contains(v, "media=cdrom") {
				continue
			}
			vol, rest, _ := strings.Cut(v, ",")
			d := k + "=" + vol
			for _, p := range strings.Split(rest, ",") {
				if s, ok := strings.CutPrefix(p, "size="); ok {
					d += " (" + s + ")"
				}
			}
			g.Disks = append(g.Disks, d)
		}
	}
	var snaps []struct {
		Name string `json:"name"`
	}
	if err := env.PVE.Get(ctx, snapPath, nil, &snaps); err != nil {
		g.Unread = append(g.Unread, "snapshots: "+err.Error())
	}
	for _, s := range snaps {
		if s.Name != "current" {
			g.Snapshots = append(g.Snapshots, s.Name)
		}
	}
	slices.Sort(g.Snapshots)
	var ha []struct {
		SID   string `json:"sid"`
		State string `json:"state"`
	}
	if err := env.PVE.Get(ctx, "/cluster/ha/resources", nil, &ha); err != nil {
		g.Unread = append(g.Unread, "HA resources: "+err.Error())
	}
	for _, h := range ha {
		if _, id, ok := strings.Cut(h.SID, ":"); ok && id == strconv.Itoa(vmid) {
			g.HA = append(g.HA, strings.TrimSpace(h.SID+" "+h.State))
		}
	}
	var jobs []struct {
		ID       string `json:"id"`
		Schedule string `json:"schedule"`
		VMID     string `json:"vmid"`
		All      flag   `json:"all"`
		Exclude  string `json:"exclude"`
		Pool     string `json:"pool"`
	}
	if err := env.PVE.Get(ctx, "/cluster/backup", nil, &jobs); err != nil {
		g.Unread = append(g.Unread, "backup jobs: "+err.Error())
	}
	id := strconv.Itoa(vmid)
	for _, j := range jobs {
		switch {
		case slices.Contains(splitIDs(j.VMID), id):
			g.Backups = append(g.Backups, j.ID+" ("+j.Schedule+")")
		case bool(j.All) && !slices.Contains(splitIDs(j.Exclude), id):
			g.Backups = append(g.Backups, j.ID+" ("+j.Schedule+", all guests)")
		case j.Pool != "":
			g.Backups = append(g.Backups, j.ID+" ("+j.Schedule+", pool "+j.Pool+")")
		}
	}
	return g, nil
}

func splitIDs(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == ';' })
}

// String is the guest as the confirmation states it, one fact a line.
func (g *guest) String() string {
	if g.Missing {
		return fmt.Sprintf("Target: vmid %d is no guest of the cluster now.", g.VMID)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Target: %s %d %q on node %s, %s", g.Type, g.VMID, g.Name, g.Node, g.Status)
	if g.Lock != "" {
		fmt.Fprintf(&b, ", locked (%s)", g.Lock)
	}
	if g.Template {
		b.WriteString(", template")
	}
	if g.Protected {
		b.WriteString(", protected")
	}
	list := func(label string, items []string) {
		if len(items) == 0 {
			fmt.Fprintf(&b, "\n%s: none", label)
			return
		}
		fmt.Fprintf(&b, "\n%s: %s", label, strings.Join(items, "; "))
	}
	list("Disks", g.Disks)
	list("Snapshots", g.Snapshots)
	list("HA resources", g.HA)
	list("Backup jobs", g.Backups)
	for _, u := range g.Unread {
		fmt.Fprintf(&b, "\nNot read: %s", u)
	}
	return b.String()
}

// flag is a Proxmox boolean: 0/1, "0"/"1" or true/false.
type flag bool

func (f *flag) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	*f = s == "1" || s == "true"
	return nil
}
