package pvesim

import (
	"errors"
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"
)

func (s *Sim) routesCluster() {
	s.handle("GET", "/cluster/status", "", func(c *Call) (any, error) {
		out := []map[string]any{{
			"type": "cluster", "id": "cluster", "name": s.cluster.name, "nodes": len(s.nodes),
			"quorate": b2i(s.quorate()), "version": s.cluster.version,
		}}
		for i, n := range s.nodes {
			out = append(out, map[string]any{
				"type": "node", "id": "node/" + n.Name, "name": n.Name, "nodeid": i + 1, "ip": n.IP,
				"online": b2i(n.Online), "local": b2i(i == 0), "level": "",
			})
		}
		return out, nil
	})
	s.handle("GET", "/cluster/nextid", "vmid?:integer(100-999999999)", func(c *Call) (any, error) {
		if c.Has("vmid") {
			vmid := c.Int("vmid")
			if s.guests[vmid] != nil {
				return nil, badParam("vmid", fmt.Sprintf("VM %d already exists", vmid))
			}
			// Proxmox answers the id as a string, though its schema says integer.
			return strconv.Itoa(vmid), nil
		}
		lower, upper := 100, 1000000
		if r := parsePropString(s.cluster.options["next-id"], ""); r != nil {
			if v, err := strconv.Atoi(r["lower"]); err == nil {
				lower = v
			}
			if v, err := strconv.Atoi(r["upper"]); err == nil {
				upper = v
			}
		}
		for id := lower; id < upper; id++ {
			if s.guests[id] == nil {
				return strconv.Itoa(id), nil
			}
		}
		return nil, fail("unable to get any free VMID in range [%d, %d]", lower, upper)
	})
	s.handle("GET", "/cluster/log", "max?:integer(1-)", func(c *Call) (any, error) {
		max := 50
		if c.Has("max") {
			max = c.Int("max")
		}
		out := []map[string]any{}
		for i := len(s.clusterLog) - 1; i >= 0 && len(out) < max; i-- {
			e := s.clusterLog[i]
			out = append(out, map[string]any{
				"uid": fmt.Sprintf("%08X:%08X", e.Time, i), "time": e.Time, "node": e.Node, "user": e.User,
				"tag": e.Tag, "pid": 2216 + i, "pri": e.Pri, "msg": e.Msg,
			})
		}
		return out, nil
	})
	s.handle("GET", "/cluster/options", "", func(c *Call) (any, error) {
		out := map[string]any{}
		for k, v := range s.cluster.options {
			spec := datacenterOptions[k]
			switch {
			case spec.propString != nil:
				m := map[string]any{}
				for pk, pv := range parsePropString(v, spec.defaultKey) {
					m[pk] = pv
				}
				out[k] = m
			case spec.typ == "integer" || spec.typ == "boolean":
				n, _ := strconv.Atoi(v)
				out[k] = n
			default:
				out[k] = v
			}
		}
		return out, nil
	})
	s.handle("PUT", "/cluster/options", datacenterDecl(), func(c *Call) (any, error) {
		set := map[string]string{}
		for k := range c.Values {
			if k == "delete" {
				continue
			}
			v := c.Str(k)
			if msg := checkDatacenterOption(k, v); msg != "" {
				return nil, badParam(k, msg)
			}
			if datacenterOptions[k].typ == "boolean" {
				v = strconv.Itoa(b2i(c.Bool(k)))
			}
			set[k] = v
		}
		var del []string
		for _, k := range splitList(c.Str("delete")) {
			if !reCfgID().MatchString(k) {
				return nil, badParam("delete", fmt.Sprintf("invalid configuration ID '%s'", k))
			}
			del = append(del, k)
		}
		for k, v := range set {
			s.cluster.options[k] = v
		}
		for _, k := range del {
			delete(s.cluster.options, k)
		}
		s.cluster.version++
		return nil, nil
	})
	s.routesBulk()
	s.handle("GET", "/cluster/resources", "type?:enum(vm|storage|node|sdn)", func(c *Call) (any, error) {
		typ := c.Str("type")
		out := []map[string]any{}
		if typ == "" || typ == "node" {
			for _, n := range s.nodes {
				e := map[string]any{"id": "node/" + n.Name, "type": "node", "node": n.Name, "status": "offline", "maxcpu": n.CPUs, "maxmem": n.MaxMem, "level": ""}
				if n.Online {
					e["status"] = "online"
					e["cpu"], e["mem"] = s.nodeCPU(n), s.nodeMem(n)
					e["disk"], e["maxdisk"] = 12*gib, 94*gib
					e["uptime"] = int64(s.now().Sub(n.Boot).Seconds())
				}
				out = append(out, e)
			}
		}
		if typ == "" || typ == "vm" {
			for _, g := range s.sortedGuests() {
				e := s.resourceEntry(g)
				if p := s.poolOf(g.VMID); p != "" {
					e["pool"] = p
				}
				if n := s.node(g.Node); n != nil && !n.Online {
					e["status"] = "unknown"
				}
				out = append(out, e)
			}
		}
		if typ == "" || typ == "storage" {
			out = append(out, s.storageResources()...)
		}
		if typ == "" {
			out = append(out, s.poolResources()...)
		}
		if typ == "" || typ == "sdn" {
			for _, n := range s.nodes {
				out = append(out, map[string]any{"id": "sdn/" + n.Name + "/localnetwork", "type": "sdn", "sdn": "localnetwork", "node": n.Name, "status": "ok"})
			}
		}
		return out, nil
	})
}

// ---- datacenter.cfg options ----

// dcOption is one datacenter.cfg property: its type and, for property
// strings, the allowed keys with a check for each value.
type dcOption struct {
	typ        string // string, integer, boolean
	enum       string // for enum(...) declaration
	min        string // integer lower bound
	propString map[string]func(string) bool
	defaultKey string
	check      func(string) string
}

var (
	reCfgID     = lazyRegexp(`^(?i:[a-z][a-z0-9_-]+)$`)
	reMacPrefix = lazyRegexp(`^(?i:[a-f0-9][02468ace](?::[a-f0-9]{2}){0,2}:?)$`)
	reTag       = lazyRegexp(`^(?i:[a-z0-9_][a-z0-9_\-+.]*)$`)
)

func oneOf(vals ...string) func(string) bool {
	return func(v string) bool {
		for _, x := range vals {
			if v == x {
				return true
			}
		}
		return false
	}
}

func isNumber(v string) bool  { _, err := strconv.ParseFloat(v, 64); return err == nil }
func isInteger(v string) bool { return reInt().MatchString(v) }
func isBool(v string) bool    { _, ok := boolish[strings.ToLower(v)]; return ok }
func isCIDR(v string) bool    { _, _, err := net.ParseCIDR(v); return err == nil }
func anyValue(v string) bool  { return v != "" }

var datacenterOptions = map[string]dcOption{
	"bwlimit": {typ: "string", propString: map[string]func(string) bool{
		"clone": isNumber, "default": isNumber, "migration": isNumber, "move": isNumber, "restore": isNumber}},
	"consent-text": {typ: "string"},
	"console":      {typ: "string", enum: "applet|vv|html5|xtermjs"},
	"crs": {typ: "string", propString: map[string]func(string) bool{
		"ha": oneOf("basic", "static", "dynamic"), "ha-rebalance-on-start": isBool, "ha-auto-rebalance": isBool,
		"ha-auto-rebalance-hold-duration": isNumber, "ha-auto-rebalance-margin": isNumber,
		"ha-auto-rebalance-method": oneOf("bruteforce", "topsis"), "ha-auto-rebalance-threshold": isNumber}},
	"description": {typ: "string"},
	"email_from":  {typ: "string"},
	"fencing":     {typ: "string", enum: "watchdog|hardware|both"},
	"ha": {typ: "string", defaultKey: "shutdown_policy", propString: map[string]func(string) bool{
		"shutdown_policy": oneOf("freeze", "failover", "conditional", "migrate")}},
	"http_proxy": {typ: "string", check: func(v string) string {
		if !strings.HasPrefix(v, "http://") {
			return "value does not match the regex pattern"
		}
		return ""
	}},
	"keyboard": {typ: "string", enum: "de|de-ch|da|en-gb|en-us|es|fi|fr|fr-be|fr-ca|fr-ch|hu|is|it|ja|lt|mk|nl|no|pl|pt|pt-br|sv|sl|tr"},
	"language": {typ: "string", enum: "ar|ca|da|de|en|es|eu|fa|fr|hr|he|it|ja|ka|kr|nb|nl|nn|pl|pt_BR|ru|sl|sv|tr|ukr|zh_CN|zh_TW"},
	"location": {typ: "string", propString: map[string]func(string) bool{
		"latitude": isNumber, "longitude": isNumber, "name": anyValue}},
	"mac_prefix": {typ: "string", check: func(v string) string {
		if !reMacPrefix().MatchString(v) {
			return fmt.Sprintf("value does not match the regex pattern")
		}
		return ""
	}},
	"max_workers": {typ: "integer", min: "1"},
	"migration": {typ: "string", defaultKey: "type", propString: map[string]func(string) bool{
		"type": oneOf("secure", "insecure"), "network": isCIDR}},
	"migration_unsecure": {typ: "boolean"},
	"next-id":            {typ: "string", propString: map[string]func(string) bool{"lower": isInteger, "upper": isInteger}},
	"notify": {typ: "string", propString: map[string]func(string) bool{
		"fencing": oneOf("always", "never"), "package-updates": oneOf("auto", "always", "never"),
		"replication": oneOf("always", "never"), "target-fencing": anyValue, "target-package-updates": anyValue,
		"target-replication": anyValue}},
	"registered-tags": {typ: "string", check: checkTagList},
	"replication": {typ: "string", defaultKey: "type", propString: map[string]func(string) bool{
		"type": oneOf("secure", "insecure"), "network": isCIDR}},
	"tag-style": {typ: "string", propString: map[string]func(string) bool{
		"case-sensitive": isBool, "color-map": anyValue, "ordering": oneOf("config", "alphabetical"),
		"shape": oneOf("full", "circle", "dense", "none")}},
	"u2f": {typ: "string", propString: map[string]func(string) bool{"appid": anyValue, "origin": anyValue}},
	"user-tag-access": {typ: "string", propString: map[string]func(string) bool{
		"user-allow": oneOf("none", "list", "existing", "free"), "user-allow-list": anyValue}},
	"webauthn": {typ: "string", propString: map[string]func(string) bool{
		"allow-subdomains": isBool, "id": anyValue, "origin": anyValue, "rp": anyValue}},
}

func checkTagList(v string) string {
	for _, t := range strings.Split(v, ";") {
		if !reTag().MatchString(t) {
			return fmt.Sprintf("invalid format - tag '%s' is not valid", t)
		}
	}
	return ""
}

// datacenterDecl is the parameter declaration of PUT /cluster/options.
func datacenterDecl() string {
	names := make([]string, 0, len(datacenterOptions))
	for k := range datacenterOptions {
		names = append(names, k)
	}
	sort.Strings(names)
	parts := []string{"delete?:string"}
	for _, k := range names {
		o := datacenterOptions[k]
		typ := o.typ
		switch {
		case o.enum != "":
			typ = "enum(" + o.enum + ")"
		case o.min != "":
			typ += "(" + o.min + "-)"
		}
		parts = append(parts, k+"?:"+typ)
	}
	return strings.Join(parts, " ")
}

// checkDatacenterOption validates a value beyond its declared type, as
// Proxmox's format checks do; "" means valid.
func checkDatacenterOption(k, v string) string {
	o := datacenterOptions[k]
	if o.check != nil {
		return o.check(v)
	}
	if o.propString == nil {
		return ""
	}
	kv, err := splitPropString(v, o.defaultKey)
	if err != "" {
		return "invalid format - " + err
	}
	for _, p := range kv {
		valid, known := o.propString[p[0]]
		if !known {
			return fmt.Sprintf("invalid format - %s.%s: property is not defined in schema and the schema does not allow additional properties", k, p[0])
		}
		if !valid(p[1]) {
			return fmt.Sprintf("invalid format - %s.%s: value '%s' is not valid", k, p[0], p[1])
		}
	}
	return ""
}

// ---- bulk guest actions ----

// bulkAction is one /cluster/bulk-action/guest/* endpoint: its task type,
// the words of its log lines and what it does to one guest. act returns a
// skip reason ("" when it acted) or the error that made the guest fail.
type bulkAction struct {
	path, decl, taskType string
	verb, failVerb       string // "Starting", "start"
	// every: templates and HA-managed guests are considered (migrate
	// only); the others leave out templates, and HA-managed guests unless
	// vms names them (pve-manager's get_start_stop_list: HA starts and
	// stops its guests itself).
	every bool
	act   func(s *Sim, c *Call, t *Task, g *Guest) (skip string, err error)
}

const bulkCommon = "vms?:array max-workers?:integer(1-64) maxworkers?:integer(1-64)"

// The bulk worker acts on each guest through the guest's own API call, as
// pve-manager's BulkAction::Guest does: so an HA-managed guest's start or
// shutdown becomes a request to the CRM (hastart/hastop, which a lock does
// not refuse: the CRM leaves a locked guest alone), a suspend to disk of
// one fails, and its migration is the CRM's; a lock refuses the rest as
// the single call's worker would.
var bulkActions = []bulkAction{
	{path: "start", decl: bulkCommon + " timeout?:integer", taskType: "bulk-start", verb: "Starting", failVerb: "start",
		act: func(s *Sim, c *Call, t *Task, g *Guest) (string, error) {
			if g.Status == "running" && !g.Paused {
				return fmt.Sprintf("Skipping %s %d, already running.", typeText(g), g.VMID), nil
			}
			t.Log = append(t.Log, fmt.Sprintf("Starting %s %d", typeText(g), g.VMID))
			if err := s.bulkReachable(g); err != nil {
				return "", err
			}
			switch {
			case g.Paused: // status/resume: a backup's lock is no conflict
				if err := g.checkLock(g.Lock == "backup"); err != nil {
					return "", err
				}
				g.Paused = false
			case s.haManaged(g):
				s.haSetState(g, "started")
			default: // status/start: a hibernated VM's lock is no conflict
				if err := g.checkLock(g.Lock == "suspended"); err != nil {
					return "", err
				}
				s.setRunning(g)
			}
			return "", nil
		}},
	{path: "shutdown", decl: bulkCommon + " timeout?:integer force-stop?:boolean", taskType: "bulk-shutdown", verb: "Shutting down", failVerb: "shutdown",
		act: func(s *Sim, c *Call, t *Task, g *Guest) (string, error) {
			force := !c.Has("force-stop") || c.Bool("force-stop")
			if g.Status != "running" {
				return fmt.Sprintf("Skipping %s %d, not running.", typeText(g), g.VMID), nil
			}
			if g.Paused && !force {
				return fmt.Sprintf("Skipping %s %d, resume paused VM before shutdown.", typeText(g), g.VMID), nil
			}
			timeout := 180
			if c.Has("timeout") {
				timeout = c.Int("timeout")
			}
			t.Log = append(t.Log, fmt.Sprintf("Shutting down %s %d (Timeout = %d seconds)", typeText(g), g.VMID, timeout))
			if err := s.bulkReachable(g); err != nil {
				return "", err
			}
			if s.haManaged(g) {
				s.haSetState(g, "stopped")
				return "", nil
			}
			if err := g.checkLock(false); err != nil {
				return "", err
			}
			s.setStopped(g)
			return "", nil
		}},
	{path: "suspend", decl: bulkCommon + " statestorage?:string to-disk?:boolean", taskType: "bulk-suspend", verb: "Suspending", failVerb: "suspend",
		act: func(s *Sim, c *Call, t *Task, g *Guest) (string, error) {
			if g.Type != "qemu" {
				return fmt.Sprintf("skipping %d, only VMs can be suspended", g.VMID), nil
			}
			if g.Status != "running" {
				return fmt.Sprintf("Skipping VM %d, not running.", g.VMID), nil
			}
			t.Log = append(t.Log, fmt.Sprintf("Suspending VM %d", g.VMID))
			if err := s.bulkReachable(g); err != nil {
				return "", err
			}
			toDisk := c.Bool("to-disk")
			if toDisk && s.haManaged(g) {
				return "", fmt.Errorf("Cannot suspend HA managed VM to disk")
			}
			if err := g.checkLock(g.Lock == "backup"); err != nil {
				return "", err
			}
			if !toDisk {
				g.Paused = true
				return "", nil
			}
			if id := c.Str("statestorage"); id != "" {
				st := s.storageByID(id)
				if st == nil {
					return "", fmt.Errorf("storage '%s' does not exist", id)
				}
				if !st.onNode(g.Node) {
					return "", fmt.Errorf("storage '%s' is not available on node '%s'", id, g.Node)
				}
			}
			s.setStopped(g)
			g.Lock = "suspended"
			return "", nil
		}},
	{path: "migrate", decl: bulkCommon + " target:string online?:boolean with-local-disks?:boolean", taskType: "bulk-migrate", verb: "Migrating", failVerb: "migrate", every: true,
		act: func(s *Sim, c *Call, t *Task, g *Guest) (string, error) {
			target := c.Str("target")
			if g.Node == target {
				return fmt.Sprintf("%s %d already on %s, skipping.", typeText(g), g.VMID, target), nil
			}
			t.Log = append(t.Log, fmt.Sprintf("Migrating %s %d", typeText(g), g.VMID))
			if err := s.bulkReachable(g); err != nil {
				return "", err
			}
			tn := s.node(target)
			switch {
			case tn == nil:
				return "", fmt.Errorf("no such cluster node '%s'", target)
			case !tn.Online:
				return "", fmt.Errorf("target node '%s' is not online", target)
			case g.Status == "running" && !c.Bool("online") && g.Type == "qemu":
				return "", fmt.Errorf("can't migrate running VM without --online")
			case g.Status == "running" && !c.Bool("online"):
				return "", fmt.Errorf("CT is running - use online migration")
			}
			managed := s.haManaged(g)
			if !managed || g.Type == "qemu" { // as migrate: qemu-server checks it before HA
				if err := g.checkLock(false); err != nil {
					return "", err
				}
			}
			if managed {
				t.Log = append(t.Log, fmt.Sprintf("Requesting HA migration for %s %d to node %s", typeText(g), g.VMID, target))
				s.haMoveTo(g, target)
				return "", nil
			}
			g.Node = target
			return "", nil
		}},
}

func typeText(g *Guest) string {
	if g.Type == "lxc" {
		return "CT"
	}
	return "VM"
}

// bulkReachable is the per-guest check every sub-action makes: its node
// answers the guest's API call.
func (s *Sim) bulkReachable(g *Guest) error {
	if n := s.node(g.Node); n != nil && !n.Online {
		return fmt.Errorf("Connect to %s:8006 failed: No route to host", n.IP)
	}
	return nil
}

func (s *Sim) routesBulk() {
	for _, a := range bulkActions {
		a := a
		s.handle("POST", "/cluster/bulk-action/guest/"+a.path, a.decl, func(c *Call) (any, error) {
			return s.bulk(c, a)
		})
	}
}

// bulk starts the worker of a bulk action: one task on the node that
// answered, which acts on each selected guest in turn, logs every guest's
// outcome and fails, naming the failed guests, if any of them failed.
func (s *Sim) bulk(c *Call, a bulkAction) (any, error) {
	var ids []int
	for _, v := range c.Values["vms"] {
		for _, item := range splitList(v) {
			n, err := strconv.Atoi(item)
			if err != nil {
				return nil, badParam("vms", fmt.Sprintf("type check ('integer') failed - got '%s'", item))
			}
			if n < 100 || n > 999999999 {
				return nil, badParam("vms", fmt.Sprintf("value '%d' is not a valid VMID (100 - 999999999)", n))
			}
			ids = append(ids, n)
		}
	}
	if c.Has("statestorage") && !c.Has("to-disk") {
		return nil, &APIError{Status: 400, Message: "Parameter verification failed.",
			Errors: map[string]string{"to-disk": "missing property - 'statestorage' requires this property"}}
	}
	node := s.localNode()
	upid := s.startTask(node, a.taskType, "", c.User, func(t *Task) error {
		var list []*Guest
		want := map[int]bool{}
		for _, id := range ids {
			want[id] = true
		}
		for _, g := range s.sortedGuests() {
			switch {
			case len(ids) > 0 && !want[g.VMID]:
			case a.every:
				list = append(list, g)
			case !g.Template && (len(ids) > 0 || !s.haManaged(g)):
				list = append(list, g)
			}
		}
		suffix := ""
		if a.path == "migrate" {
			suffix = " to " + c.Str("target")
		}
		if len(ids) > 0 {
			strs := make([]string, len(ids))
			for i, id := range ids {
				strs[i] = strconv.Itoa(id)
			}
			t.Log = append(t.Log, fmt.Sprintf("%s guests%s: %s", a.verb, suffix, strings.Join(strs, ", ")))
		} else {
			t.Log = append(t.Log, fmt.Sprintf("%s all guests%s", a.verb, suffix))
		}
		var failed []string
		for _, g := range list {
			skip, err := a.act(s, c, t, g)
			switch {
			case err != nil:
				failed = append(failed, strconv.Itoa(g.VMID))
				msg := err.Error()
				var apiErr *APIError
				if errors.As(err, &apiErr) {
					msg = apiErr.Message // the guest's task ended with it
				}
				t.Log = append(t.Log, fmt.Sprintf("WARN: %s %s %d failed: %s", a.verb, typeText(g), g.VMID, msg))
			case skip != "":
				t.Log = append(t.Log, "WARN: "+skip)
			}
		}
		if len(failed) > 0 {
			sep := " "
			if a.path == "start" {
				sep = ": "
			}
			return fmt.Errorf("Some guests failed to %s%s%s", a.failVerb, sep, strings.Join(failed, ", "))
		}
		return nil
	})
	s.logCluster(node, c.User, "pvedaemon", fmt.Sprintf("<%s> starting task %s", c.User, upid))
	return upid, nil
}
