package pvesim

import (
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Storage types and what each can hold (the first list), with the content
// a new storage of the type gets when none is given (the second).
var storageTypes = map[string][2][]string{
	"dir":         {{"images", "rootdir", "vztmpl", "iso", "backup", "snippets", "import"}, {"images", "rootdir"}},
	"btrfs":       {{"images", "rootdir", "vztmpl", "iso", "backup", "snippets", "import"}, {"images", "rootdir"}},
	"nfs":         {{"images", "rootdir", "vztmpl", "iso", "backup", "snippets", "import"}, {"images"}},
	"cifs":        {{"images", "rootdir", "vztmpl", "iso", "backup", "snippets", "import"}, {"images"}},
	"cephfs":      {{"vztmpl", "iso", "backup", "snippets", "import"}, {"vztmpl", "iso", "backup"}},
	"lvm":         {{"images", "rootdir"}, {"images"}},
	"lvmthin":     {{"images", "rootdir"}, {"images", "rootdir"}},
	"zfspool":     {{"images", "rootdir"}, {"images", "rootdir"}},
	"rbd":         {{"images", "rootdir"}, {"images"}},
	"zfs":         {{"images"}, {"images"}},
	"iscsi":       {{"images"}, {"images"}},
	"iscsidirect": {{"images"}, {"images"}},
	"pbs":         {{"backup"}, {"backup"}},
	"esxi":        {{"import"}, {"import"}},
}

// storageRequired lists the options a storage type cannot do without.
var storageRequired = map[string][]string{
	"dir": {"path"}, "btrfs": {"path"}, "nfs": {"server", "export"}, "cifs": {"server", "share"},
	"lvm": {"vgname"}, "lvmthin": {"vgname", "thinpool"}, "zfspool": {"pool"},
	"iscsi": {"portal", "target"}, "iscsidirect": {"portal", "target"},
	"zfs": {"portal", "target", "pool", "blocksize", "iscsiprovider"},
	"pbs": {"server", "datastore"}, "esxi": {"server", "username", "password"},
}

// storageFixed lists options that cannot change after creation.
var storageFixed = []string{"path", "server", "export", "share", "vgname", "thinpool", "datastore", "portal", "target", "base"}

// storageSecret options are kept out of storage.cfg (Proxmox puts them in /etc/pve/priv).
var storageSecret = map[string]bool{"password": true, "encryption-key": true, "keyring": true, "master-pubkey": true}

var storageNumeric = map[string]bool{
	"krbd": true, "sparse": true, "saferemove": true, "nocow": true, "fuse": true, "port": true, "max-protected-backups": true,
	"create-base-path": true, "create-subdirs": true, "mkdir": true, "skip-cert-verification": true, "tagged_only": true,
	"nowritecache": true, "snapshot-as-volume-chain": true, "saferemove-stepsize": true,
}

var reStorageID = lazyRegexp(`(?i)^[a-z][a-z0-9\-_.]*[a-z0-9]$`)

// storageConfig is a storage as GET /storage lists it.
func (s *Sim) storageConfig(st *Storage) map[string]any {
	m := map[string]any{"storage": st.ID, "type": st.Type, "content": join(st.Content), "digest": s.storageDigest()}
	if len(st.Nodes) > 0 {
		m["nodes"] = join(st.Nodes)
	}
	if st.Shared {
		m["shared"] = 1
	}
	if st.Disable {
		m["disable"] = 1
	}
	for k, v := range st.Props {
		if n, err := strconv.Atoi(v); err == nil && storageNumeric[k] {
			m[k] = n
		} else {
			m[k] = v
		}
	}
	return m
}

// storageDigest fingerprints the whole storage.cfg, as Proxmox's digest does.
func (s *Sim) storageDigest() string {
	flat := map[string]string{}
	for _, st := range s.storage.list {
		p := st.ID + "."
		flat[p+"type"], flat[p+"content"], flat[p+"nodes"] = st.Type, join(st.Content), join(st.Nodes)
		flat[p+"shared"], flat[p+"disable"] = strconv.Itoa(b2i(st.Shared)), strconv.Itoa(b2i(st.Disable))
		for k, v := range st.Props {
			flat[p+k] = v
		}
	}
	return digest(flat)
}

// storageOf returns the call's storage, failing as Proxmox does.
func (s *Sim) storageOf(c *Call) (*Storage, error) {
	st := s.storageByID(c.Str("storage"))
	if st == nil {
		return nil, fail("storage '%s' does not exist", c.Str("storage"))
	}
	return st, nil
}

// storageOnNode is storageOf plus the checks Proxmox makes before touching
// a storage's content on a node.
func (s *Sim) storageOnNode(c *Call) (*Storage, error) {
	st, err := s.storageOf(c)
	if err != nil {
		return nil, err
	}
	if !st.onNode(c.Str("node")) {
		return nil, fail("storage '%s' is not available on node '%s'", st.ID, c.Str("node"))
	}
	if st.Disable {
		return nil, fail("storage '%s' is disabled", st.ID)
	}
	return st, nil
}

// parseContent checks a content list against what the storage type can hold.
func parseContent(typ, list string) ([]string, error) {
	var out []string
	for _, c := range strings.Split(list, ",") {
		c = strings.TrimSpace(c)
		if c == "" || c == "none" {
			continue
		}
		ok := false
		for _, v := range storageTypes[typ][0] {
			ok = ok || v == c
		}
		if !ok {
			return nil, badParam("content", fmt.Sprintf("storage type '%s' does not support content type '%s'", typ, c))
		}
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out, nil
}

// storageStatus is a storage's status on a node, as the node storage index has it.
func (s *Sim) storageStatus(st *Storage, node string) map[string]any {
	e := map[string]any{"storage": st.ID, "type": st.Type, "content": join(st.Content), "shared": b2i(st.isShared()),
		"enabled": b2i(!st.Disable), "active": 0, "total": 0, "used": 0, "avail": 0}
	if !st.Disable {
		used := s.storageUsed(st, node)
		e["active"], e["total"], e["used"], e["avail"] = 1, st.Total, used, st.Total-used
		e["used_fraction"] = float64(used) / float64(st.Total)
	}
	return e
}

func (s *Sim) routesStorage() {
	s.handle("GET", "/storage", "type?:enum(btrfs|cephfs|cifs|dir|esxi|iscsi|iscsidirect|lvm|lvmthin|nfs|pbs|rbd|zfs|zfspool)", func(c *Call) (any, error) {
		out := []map[string]any{}
		for _, st := range s.storage.list {
			if c.Has("type") && st.Type != c.Str("type") {
				continue
			}
			out = append(out, s.storageConfig(st))
		}
		return out, nil
	})
	s.handle("GET", "/storage/{storage}", "storage:string", func(c *Call) (any, error) {
		st, err := s.storageOf(c)
		if err != nil {
			return nil, err
		}
		return s.storageConfig(st), nil
	})
	s.handle("POST", "/storage", storageCreateParams, s.createStorage)
	s.handle("PUT", "/storage/{storage}", storageUpdateParams, s.updateStorage)
	s.handle("DELETE", "/storage/{storage}", "storage:string", func(c *Call) (any, error) {
		st, err := s.storageOf(c)
		if err != nil {
			return nil, err
		}
		for _, o := range s.storage.list {
			if strings.HasPrefix(o.Props["base"], st.ID+":") {
				return nil, fail("delete storage failed: can't remove storage - storage is used as base of another storage")
			}
		}
		s.storage.list = slices.DeleteFunc(s.storage.list, func(o *Storage) bool { return o == st })
		s.storage.volumes = slices.DeleteFunc(s.storage.volumes, func(v *Volume) bool { return v.Storage == st.ID })
		for _, p := range s.pools.list {
			p.Storage = slices.DeleteFunc(p.Storage, func(id string) bool { return id == st.ID })
		}
		return nil, nil
	})
	s.handle("GET", "/nodes/{node}/storage", "node:string content?:string enabled?:boolean format?:boolean storage?:string target?:string", func(c *Call) (any, error) {
		node := c.Str("node")
		want := splitList(c.Str("content"))
		out := []map[string]any{}
		for _, st := range s.storage.list {
			switch {
			case !st.onNode(node):
			case c.Has("storage") && st.ID != c.Str("storage"):
			case c.Bool("enabled") && st.Disable:
			case c.Has("target") && c.Str("target") != node && (!st.isShared() || !st.onNode(c.Str("target"))):
			case len(want) > 0 && !containsAny(st.Content, want):
			default:
				e := s.storageStatus(st, node)
				if c.Bool("format") {
					e["formats"] = map[string]any{"default": "raw", "supported": []string{"raw", "qcow2", "vmdk"}}
				}
				out = append(out, e)
			}
		}
		return out, nil
	})
	s.handle("GET", "/nodes/{node}/storage/{storage}/status", "node:string storage:string", func(c *Call) (any, error) {
		st := s.storageByID(c.Str("storage"))
		if st == nil || !st.onNode(c.Str("node")) {
			return nil, badParam("storage", "No such storage.")
		}
		e := s.storageStatus(st, c.Str("node"))
		delete(e, "storage")
		delete(e, "used_fraction")
		return e, nil
	})
	s.handle("GET", "/nodes/{node}/storage/{storage}/content", "node:string storage:string content?:string vmid?:integer(100-999999999)", func(c *Call) (any, error) {
		st, err := s.storageOnNode(c)
		if err != nil {
			return nil, err
		}
		node := c.Str("node")
		vols := s.imageVolumes(st, node)
		for _, v := range s.storage.volumes {
			if v.Storage == st.ID && (v.Node == "" || v.Node == node) {
				vols = append(vols, v)
			}
		}
		sort.SliceStable(vols, func(i, j int) bool { return vols[i].VolID < vols[j].VolID })
		out := []map[string]any{}
		for _, v := range vols {
			if c.Has("content") && v.Content != c.Str("content") || c.Has("vmid") && v.VMID != c.Int("vmid") {
				continue
			}
			if !st.has(v.Content) && !(v.Content == "images" && st.has("rootdir")) && !(v.Content == "rootdir" && st.has("images")) {
				continue // Proxmox lists only the content types the storage is configured for
			}
			out = append(out, v.entry())
		}
		return out, nil
	})
	s.handle("DELETE", "/nodes/{node}/storage/{storage}/content/{volume}", "node:string storage:string volume:string delay?:integer(1-30)", s.deleteVolume)
	s.handle("POST", "/nodes/{node}/storage/{storage}/oci-registry-pull", "node:string storage:string filename?:string reference:string", s.ociPull)
	s.handle("POST", "/nodes/{node}/storage/{storage}/download-url",
		"node:string storage:string url:string filename:string content:enum(iso|vztmpl|import) checksum?:string "+
			"checksum-algorithm?:enum(md5|sha1|sha224|sha256|sha384|sha512) verify-certificates?:boolean compression?:string",
		s.downloadToStorage)
}

func containsAny(have, want []string) bool {
	for _, w := range want {
		if slices.Contains(have, w) {
			return true
		}
	}
	return false
}

func (v *Volume) entry() map[string]any {
	e := map[string]any{"volid": v.VolID, "content": v.Content, "format": v.Format, "size": v.Size}
	if v.CTime != 0 {
		e["ctime"] = v.CTime
	}
	if v.VMID != 0 {
		e["vmid"] = v.VMID
	}
	if v.Subtype != "" {
		e["subtype"] = v.Subtype
	}
	if v.Notes != "" {
		e["notes"] = v.Notes
	}
	if v.Protected {
		e["protected"] = 1
	}
	if v.Content == "images" || v.Content == "rootdir" {
		e["used"] = v.Size / 3
	}
	return e
}

const storageCreateParams = "storage:string type:enum(btrfs|cephfs|cifs|dir|esxi|iscsi|iscsidirect|lvm|lvmthin|nfs|pbs|rbd|zfs|zfspool) " +
	"authsupported?:string base?:string blocksize?:string bwlimit?:string comstar_hg?:string comstar_tg?:string content?:string " +
	"content-dirs?:string create-base-path?:boolean create-subdirs?:boolean data-pool?:string datastore?:string disable?:boolean " +
	"domain?:string encryption-key?:string export?:string fingerprint?:string format?:enum(raw|qcow2|subvol|vmdk) fs-name?:string " +
	"fuse?:boolean is_mountpoint?:string iscsiprovider?:string keyring?:string krbd?:boolean lio_tpg?:string master-pubkey?:string " +
	"max-protected-backups?:integer mkdir?:boolean monhost?:string mountpoint?:string namespace?:string nocow?:boolean nodes?:string " +
	"nowritecache?:boolean options?:string password?:string path?:string pool?:string port?:integer(1-65535) portal?:string " +
	"preallocation?:enum(off|metadata|falloc|full) prune-backups?:string saferemove?:boolean saferemove-stepsize?:integer " +
	"saferemove_throughput?:string server?:string share?:string shared?:boolean skip-cert-verification?:boolean " +
	"smbversion?:enum(default|2.0|2.1|3|3.0|3.11) snapshot-as-volume-chain?:boolean sparse?:boolean subdir?:string " +
	"tagged_only?:boolean target?:string thinpool?:string username?:string vgname?:string zfs-base-path?:string"

const storageUpdateParams = "storage:string blocksize?:string bwlimit?:string comstar_hg?:string comstar_tg?:string content?:string " +
	"content-dirs?:string create-base-path?:boolean create-subdirs?:boolean data-pool?:string delete?:string digest?:string " +
	"disable?:boolean domain?:string encryption-key?:string fingerprint?:string format?:enum(raw|qcow2|subvol|vmdk) fs-name?:string " +
	"fuse?:boolean is_mountpoint?:string keyring?:string krbd?:boolean lio_tpg?:string master-pubkey?:string " +
	"max-protected-backups?:integer mkdir?:boolean monhost?:string mountpoint?:string namespace?:string nocow?:boolean nodes?:string " +
	"nowritecache?:boolean options?:string password?:string pool?:string port?:integer(1-65535) " +
	"preallocation?:enum(off|metadata|falloc|full) prune-backups?:string saferemove?:boolean saferemove-stepsize?:integer " +
	"saferemove_throughput?:string server?:string shared?:boolean skip-cert-verification?:boolean " +
	"smbversion?:enum(default|2.0|2.1|3|3.0|3.11) snapshot-as-volume-chain?:boolean sparse?:boolean subdir?:string " +
	"tagged_only?:boolean username?:string zfs-base-path?:string"

// storageOwnParams are the parameters that are not storage properties.
var storageOwnParams = map[string]bool{"storage": true, "type": true, "content": true, "nodes": true, "shared": true, "disable": true, "delete": true, "digest": true}

// setStorageProps applies the property parameters of a create or update call.
func setStorageProps(st *Storage, c *Call) error {
	for k := range c.Values {
		if storageOwnParams[k] || storageSecret[k] {
			continue
		}
		v := c.Str(k)
		if _, isBool := boolish[strings.ToLower(v)]; isBool && storageNumeric[k] {
			v = strconv.Itoa(b2i(c.Bool(k)))
		}
		if k == "prune-backups" {
			if _, err := parsePrune(v); err != nil {
				return badParam(k, err.Error())
			}
		}
		st.Props[k] = v
	}
	if c.Has("nodes") {
		st.Nodes = splitList(c.Str("nodes"))
	}
	if c.Has("shared") {
		st.Shared = c.Bool("shared")
	}
	if c.Has("disable") {
		st.Disable = c.Bool("disable")
	}
	return nil
}

func (s *Sim) createStorage(c *Call) (any, error) {
	id, typ := c.Str("storage"), c.Str("type")
	if !reStorageID().MatchString(id) {
		return nil, badParam("storage", fmt.Sprintf("invalid format - storage ID '%s' contains illegal characters", id))
	}
	for _, k := range storageRequired[typ] {
		if !c.Has(k) {
			return nil, badParam(k, fmt.Sprintf("missing value for required option '%s'", k))
		}
	}
	st := &Storage{ID: id, Type: typ, Props: map[string]string{}, Content: storageTypes[typ][1], Total: 500 * gib}
	if c.Has("content") {
		content, err := parseContent(typ, c.Str("content"))
		if err != nil {
			return nil, err
		}
		st.Content = content
	}
	if err := setStorageProps(st, c); err != nil {
		return nil, err
	}
	if (typ == "nfs" || typ == "cifs" || typ == "cephfs") && st.Props["path"] == "" {
		st.Props["path"] = "/mnt/pve/" + id
	}
	if typ == "pbs" && !c.Has("username") {
		st.Props["username"] = "root@pam"
	}
	if typ == "dir" && st.Props["path"] == "/var/lib/vz" {
		st.Total = 94 * gib
	}
	if s.storageByID(id) != nil {
		return nil, fail("create storage failed: storage ID '%s' already defined", id)
	}
	s.storage.list = append(s.storage.list, st)
	res := map[string]any{"storage": id, "type": typ}
	if c.Str("encryption-key") == "autogen" {
		res["config"] = map[string]any{"encryption-key": `{"kdf":null,"created":"` + s.now().UTC().Format(time.RFC3339) + `","fingerprint":"` + strings.Repeat("ab:", 31) + `ab"}`}
	}
	return res, nil
}

func (s *Sim) updateStorage(c *Call) (any, error) {
	st, err := s.storageOf(c)
	if err != nil {
		return nil, fail("update storage failed: %s", err.(*APIError).Message)
	}
	if c.Has("digest") && c.Str("digest") != s.storageDigest() {
		return nil, fail("update storage failed: detected modified configuration - file changed by other user? Try again.")
	}
	del := splitList(c.Str("delete"))
	for _, k := range del {
		switch {
		case c.Has(k):
			return nil, fail("update storage failed: cannot set and delete property '%s' at the same time!", k)
		case slices.Contains(storageFixed, k) || slices.Contains(storageRequired[st.Type], k):
			return nil, fail("update storage failed: unable to delete required option '%s'", k)
		}
	}
	next := &Storage{ID: st.ID, Type: st.Type, Content: st.Content, Nodes: st.Nodes, Shared: st.Shared, Disable: st.Disable, Props: cloneMap(st.Props), Total: st.Total}
	if c.Has("content") {
		content, err := parseContent(st.Type, c.Str("content"))
		if err != nil {
			return nil, err
		}
		next.Content = content
	}
	for _, k := range del {
		switch k {
		case "nodes":
			next.Nodes = nil
		case "shared":
			next.Shared = false
		case "disable":
			next.Disable = false
		case "content":
			next.Content = storageTypes[st.Type][1]
		default:
			delete(next.Props, k)
		}
	}
	if err := setStorageProps(next, c); err != nil {
		return nil, err
	}
	*st = *next
	return map[string]any{"storage": st.ID, "type": st.Type}, nil
}

var reOCIRef = lazyRegexp(`^(?:(?:[a-zA-Z\d]|[a-zA-Z\d][a-zA-Z\d-]*[a-zA-Z\d])(?:\.(?:[a-zA-Z\d]|[a-zA-Z\d][a-zA-Z\d-]*[a-zA-Z\d]))*(?::\d+)?/)?[a-z\d]+(?:(?:[._]|__|[-]*)[a-z\d]+)*(?:/[a-z\d]+(?:(?:[._]|__|[-]*)[a-z\d]+)*)*:\w[\w.-]{0,127}$`)

var reUnsafeName = lazyRegexp(`[^a-zA-Z0-9_.\-]`)

// ociPull stores an OCI image as a container template, named like Proxmox
// names it: <image>_<tag>.tar, or the normalized filename with .tar added.
func (s *Sim) ociPull(c *Call) (any, error) {
	ref := c.Str("reference")
	if !reOCIRef().MatchString(ref) {
		return nil, badParam("reference", "value does not match the regex pattern")
	}
	st, err := s.storageOnNode(c)
	if err != nil {
		return nil, err
	}
	if !st.has("vztmpl") {
		return nil, fail("storage '%s' is not configured for content-type 'vztmpl'", st.ID)
	}
	repo, tag := ref[:strings.LastIndex(ref, ":")], ref[strings.LastIndex(ref, ":")+1:]
	name := c.Str("filename")
	if name == "" {
		name = repo[strings.LastIndex(repo, "/")+1:] + "_" + tag
	}
	name = reUnsafeName().ReplaceAllString(strings.TrimSuffix(name, ".tar"), "_") + ".tar"
	node := c.Str("node")
	volid := st.ID + ":vztmpl/" + name
	if s.volumeOn(volid, node) != nil {
		return nil, fail("refusing to override existing file '%s'", name)
	}
	volNode := st.holder(node)
	return s.startTask(node, "download", name, c.User, func(t *Task) error {
		if s.volumeOn(volid, node) != nil {
			return fmt.Errorf("refusing to override existing file '%s'", name)
		}
		if s.storageByID(st.ID) != st {
			return fmt.Errorf("storage '%s' does not exist", st.ID)
		}
		size := int64(40+len(ref)%60) * 1048576
		t.Log = append(t.Log, "Pulling "+ref, fmt.Sprintf("Writing image to %s", volid), fmt.Sprintf("downloaded %d bytes", size))
		s.addVolume(&Volume{Storage: st.ID, Node: volNode, VolID: volid, Content: "vztmpl", Format: "tar", Size: size, CTime: s.now().Unix()})
		return nil
	}), nil
}

// downloadToStorage serves download-url: checks as Proxmox makes them, then a
// "download" task that stores the file. The simulator cannot fetch the URL:
// a checksum of all zeros stands for a mismatch, any other is taken as
// verified, and a host under .invalid cannot be resolved.
func (s *Sim) downloadToStorage(c *Call) (any, error) {
	rawURL := c.Str("url")
	if !reDownloadURL().MatchString(rawURL) {
		return nil, badParam("url", "value does not match the regex pattern")
	}
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" {
		return nil, badParam("url", "invalid URL")
	}
	content := c.Str("content")
	name := reDownloadUnsafeName().ReplaceAllString(c.Str("filename"), "_")
	ext := map[string]*regexp.Regexp{"iso": reDownloadISO(), "vztmpl": reDownloadVztmpl(), "import": reDownloadImport()}[content]
	if !ext.MatchString(name) {
		return nil, badParam("filename", "wrong file extension")
	}
	sum, algo := strings.ToLower(c.Str("checksum")), c.Str("checksum-algorithm")
	if (sum == "") != (algo == "") {
		return nil, badParam("checksum-algorithm", "'checksum' and 'checksum-algorithm' must be given together")
	}
	st, err := s.storageOnNode(c)
	if err != nil {
		return nil, err
	}
	if !st.has(content) {
		return nil, fail("storage '%s' is not configured for content-type '%s'", st.ID, content)
	}
	node := c.Str("node")
	dir := map[string]string{"iso": "iso", "vztmpl": "vztmpl", "import": "import"}[content]
	volid := st.ID + ":" + dir + "/" + name
	if s.volumeOn(volid, node) != nil {
		return nil, fail("refusing to override existing file '%s'", name)
	}
	volNode := st.holder(node)
	return s.startTask(node, "download", name, c.User, func(t *Task) error {
		t.Log = append(t.Log, fmt.Sprintf("downloading %s to %s", rawURL, volid))
		if strings.HasSuffix(u.Hostname(), ".invalid") {
			return fmt.Errorf("download failed: 500 Can't connect to %s:443 (Name or service not known)", u.Hostname())
		}
		h := sha512.Sum512([]byte(rawURL))
		size := int64(50+int(h[0])%200) * 1048576
		t.Log = append(t.Log, fmt.Sprintf("%d bytes downloaded", size))
		if sum != "" {
			t.Log = append(t.Log, "calculating checksum...")
			if strings.Trim(sum, "0") == "" {
				got := hex.EncodeToString(h[:])[:len(sum)]
				return fmt.Errorf("checksum mismatch: got '%s' != expect '%s'", got, sum)
			}
			t.Log = append(t.Log, "checksum verified")
		}
		if s.volumeOn(volid, node) != nil {
			return fmt.Errorf("refusing to override existing file '%s'", name)
		}
		if s.storageByID(st.ID) != st {
			return fmt.Errorf("storage '%s' does not exist", st.ID)
		}
		format := strings.ToLower(name[strings.LastIndex(name, ".")+1:])
		if content == "vztmpl" {
			format = "t" + strings.TrimPrefix(format, "t")
		}
		s.addVolume(&Volume{Storage: st.ID, Node: volNode, VolID: volid, Content: content, Format: format, Size: size, CTime: s.now().Unix()})
		t.Log = append(t.Log, fmt.Sprintf("download of '%s' to '%s' finished", rawURL, volid))
		return nil
	}), nil
}

// deleteVolume is DELETE .../content/{volume}: an imgdel task that fails,
// as Proxmox's does, on a protected backup.
func (s *Sim) deleteVolume(c *Call) (any, error) {
	st, err := s.storageOnNode(c)
	if err != nil {
		return nil, err
	}
	node, volid := c.Str("node"), c.Str("volume")
	if sid, _, ok := strings.Cut(volid, ":"); ok {
		if sid != st.ID {
			return nil, badParam("volume", fmt.Sprintf("storage ID mismatch (%s != %s)", sid, st.ID))
		}
	} else {
		volid = st.ID + ":" + volid
	}
	v := s.volumeOn(volid, node)
	if v == nil {
		return nil, fail("volume '%s' does not exist", volid)
	}
	id := st.ID
	if v.VMID != 0 {
		id = fmt.Sprintf("%d@%s", v.VMID, st.ID)
	}
	return s.startTask(node, "imgdel", id, c.User, func(t *Task) error {
		if v.Protected {
			return fmt.Errorf("cannot remove protected volume '%s' on '%s'", strings.TrimPrefix(volid, st.ID+":"), st.ID)
		}
		s.storage.volumes = slices.DeleteFunc(s.storage.volumes, func(x *Volume) bool { return x == v })
		t.Log = append(t.Log, fmt.Sprintf("Removed volume '%s'", volid))
		return nil
	}), nil
}
