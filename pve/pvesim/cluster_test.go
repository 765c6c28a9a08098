package pvesim

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pve-mcp/pve-mcp/internal/apischema"
)

// clSim is a simulator behind httptest with a client that speaks its
// wire format, for tests of the cluster and HA modules.
type clSim struct {
	t   *testing.T
	sim *Sim
	url string
}

func newClSim(t *testing.T) *clSim {
	t.Helper()
	return newClSimTasks(t, 0)
}

// newClSimTasks is newClSim whose tasks run for taskDuration.
func newClSimTasks(t *testing.T, taskDuration time.Duration) *clSim {
	t.Helper()
	s := New(Options{TokenID: "root@pam!t", TokenSecret: "s3cret", TaskDuration: taskDuration,
		Now:      func() time.Time { return time.Date(2025, 6, 2, 10, 0, 0, 0, time.UTC) },
		Answered: apischema.AnswerChecker(t)})
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return &clSim{t: t, sim: s, url: ts.URL}
}

// do sends one request; params go in the query for GET/DELETE and in a
// form body otherwise. It returns the status, the reason phrase, the data
// and the per-parameter errors.
func (c *clSim) do(method, path string, params url.Values) (int, string, json.RawMessage, map[string]string) {
	c.t.Helper()
	u := c.url + "/api2/json" + path
	var body *strings.Reader
	if method == "GET" || method == "DELETE" {
		if len(params) > 0 {
			u += "?" + params.Encode()
		}
		body = strings.NewReader("")
	} else {
		body = strings.NewReader(params.Encode())
	}
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Authorization", "PVEAPIToken=root@pam!t=s3cret")
	if method != "GET" && method != "DELETE" {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	var out struct {
		Data   json.RawMessage   `json:"data"`
		Errors map[string]string `json:"errors"`
	}
	json.NewDecoder(res.Body).Decode(&out)
	_, reason, _ := strings.Cut(res.Status, " ")
	return res.StatusCode, reason, out.Data, out.Errors
}

// ok sends a request that must succeed and decodes its data into out.
func (c *clSim) ok(method, path string, params url.Values, out any) {
	c.t.Helper()
	st, msg, data, errs := c.do(method, path, params)
	if st != 200 {
		c.t.Fatalf("%s %s %v: %d %s %v", method, path, params, st, msg, errs)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			c.t.Fatalf("%s %s: %v in %s", method, path, err, data)
		}
	}
}

// fails sends a request that must fail with status and a message (reason
// phrase or a parameter error) containing want.
func (c *clSim) fails(method, path string, params url.Values, status int, want string) {
	c.t.Helper()
	st, msg, _, errs := c.do(method, path, params)
	all := msg
	for k, v := range errs {
		all += " " + k + ": " + v
	}
	if st != status || !strings.Contains(all, want) {
		c.t.Fatalf("%s %s %v: got %d %q, want %d containing %q", method, path, params, st, all, status, want)
	}
}

// taskLog returns a finished task's exit status and log lines.
func (c *clSim) task(upid string) (string, []string) {
	c.t.Helper()
	task, ok := c.sim.TaskByUPID(upid)
	if !ok {
		c.t.Fatalf("no task %s", upid)
	}
	if task.Running {
		c.t.Fatalf("task %s still running", upid)
	}
	return task.ExitStatus, task.Log
}

func TestClusterStatusAndQuorum(t *testing.T) {
	c := newClSim(t)
	var st []map[string]any
	c.ok("GET", "/cluster/status", nil, &st)
	if len(st) != 4 || st[0]["type"] != "cluster" || st[0]["quorate"] != 1.0 || st[0]["nodes"] != 3.0 {
		t.Fatalf("status: %v", st)
	}
	if st[2]["name"] != "pve2" || st[2]["online"] != 1.0 || st[2]["ip"] != "10.0.0.12" || st[2]["nodeid"] != 2.0 {
		t.Errorf("node entry: %v", st[2])
	}
	c.sim.SetNodeOnline("pve2", false)
	c.ok("GET", "/cluster/status", nil, &st)
	if st[0]["quorate"] != 1.0 || st[2]["online"] != 0.0 {
		t.Errorf("one node down keeps quorum: %v", st)
	}
	c.sim.SetNodeOnline("pve3", false)
	c.ok("GET", "/cluster/status", nil, &st)
	if st[0]["quorate"] != 0.0 {
		t.Errorf("two of three down must lose quorum: %v", st[0])
	}
}

func TestNextID(t *testing.T) {
	c := newClSim(t)
	var id int // Proxmox sends it as a string
	c.ok("GET", "/cluster/nextid", nil, &jsonString{&id})
	if id != 105 { // 100-104 are seeded
		t.Errorf("nextid = %d, want 105", id)
	}
	c.ok("GET", "/cluster/nextid", url.Values{"vmid": {"150"}}, &jsonString{&id})
	if id != 150 {
		t.Errorf("free vmid answered %d", id)
	}
	c.fails("GET", "/cluster/nextid", url.Values{"vmid": {"101"}}, 400, "VM 101 already exists")
	c.fails("GET", "/cluster/nextid", url.Values{"vmid": {"99"}}, 400, "minimum value of 100")
	// The datacenter next-id range is honoured.
	c.ok("PUT", "/cluster/options", url.Values{"next-id": {"lower=9000,upper=9002"}}, nil)
	c.ok("GET", "/cluster/nextid", nil, &jsonString{&id})
	if id != 9001 { // 9000 is the template
		t.Errorf("nextid in range = %d, want 9001", id)
	}
	c.ok("PUT", "/cluster/options", url.Values{"next-id": {"lower=9000,upper=9001"}}, nil)
	c.fails("GET", "/cluster/nextid", nil, 500, "unable to get any free VMID in range [9000, 9001]")
}

// jsonString decodes a JSON string holding an integer.
type jsonString struct{ n *int }

func (j *jsonString) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	n, err := strconv.Atoi(s)
	*j.n = n
	return err
}

func TestClusterLog(t *testing.T) {
	c := newClSim(t)
	var log []map[string]any
	c.ok("GET", "/cluster/log", url.Values{"max": {"5"}}, &log)
	if len(log) != 5 {
		t.Fatalf("max=5 gave %d entries", len(log))
	}
	if log[0]["time"].(float64) < log[4]["time"].(float64) {
		t.Errorf("log not newest first: %v", log)
	}
	for _, k := range []string{"uid", "time", "node", "user", "tag", "pri", "msg"} {
		if _, ok := log[0][k]; !ok {
			t.Errorf("entry lacks %s: %v", k, log[0])
		}
	}
	c.ok("GET", "/cluster/log", nil, &log)
	if len(log) != 30 {
		t.Errorf("default gave %d entries, want all 30 (< 50)", len(log))
	}
	c.fails("GET", "/cluster/log", url.Values{"max": {"0"}}, 400, "minimum value of 1")
}

func TestClusterOptions(t *testing.T) {
	c := newClSim(t)
	var opts map[string]any
	c.ok("GET", "/cluster/options", nil, &opts)
	mig, _ := opts["migration"].(map[string]any)
	if opts["keyboard"] != "en-us" || mig["type"] != "secure" || mig["network"] != "10.0.0.0/24" {
		t.Fatalf("options: %v", opts)
	}
	c.ok("PUT", "/cluster/options", url.Values{
		"keyboard": {"de"}, "migration": {"insecure,network=192.168.5.0/24"}, "crs": {"ha=dynamic"},
		"max_workers": {"8"}, "migration_unsecure": {"true"}, "delete": {"description,http_proxy"},
	}, nil)
	opts = nil // Unmarshal into a map merges
	c.ok("GET", "/cluster/options", nil, &opts)
	mig, _ = opts["migration"].(map[string]any)
	crs, _ := opts["crs"].(map[string]any)
	if opts["keyboard"] != "de" || mig["type"] != "insecure" || mig["network"] != "192.168.5.0/24" || crs["ha"] != "dynamic" ||
		opts["max_workers"] != 8.0 || opts["migration_unsecure"] != 1.0 {
		t.Errorf("after update: %v", opts)
	}
	if _, ok := opts["description"]; ok {
		t.Errorf("description not deleted: %v", opts)
	}
	bad := []struct {
		k, v, want string
	}{
		{"keyboard", "klingon", "enumeration"},
		{"console", "vnc", "enumeration"},
		{"http_proxy", "https://proxy:3128", "regex"},
		{"migration", "type=fast", "migration.type"},
		{"migration", "secure,network=not-a-cidr", "migration.network"},
		{"migration", "secure,speed=1", "not defined in schema"},
		{"crs", "ha=magic", "crs.ha"},
		{"max_workers", "0", "minimum value of 1"},
		{"mac_prefix", "zz:11", "regex"},
		{"bogus", "1", "not defined in schema"},
		{"delete", "not a key", "invalid configuration ID"},
	}
	for _, b := range bad {
		c.fails("PUT", "/cluster/options", url.Values{b.k: {b.v}}, 400, b.want)
	}
	c.ok("GET", "/cluster/options", nil, &opts)
	if opts["keyboard"] != "de" {
		t.Errorf("a refused update changed state: %v", opts)
	}
}

func TestNotBackedUpAndReplication(t *testing.T) {
	c := newClSim(t)
	notBackedUp := func() []float64 {
		var list []map[string]any
		c.ok("GET", "/cluster/backup-info/not-backed-up", nil, &list)
		var ids []float64
		for _, e := range list {
			ids = append(ids, e["vmid"].(float64))
		}
		return ids
	}
	// The seeded nightly job backs up all guests: nothing is uncovered.
	if ids := notBackedUp(); len(ids) != 0 {
		t.Errorf("with an all-guests job, uncovered: %v", ids)
	}
	// Replace it by a pool job, a list job and a node-limited job: the rest shows.
	c.ok("DELETE", "/cluster/backup/backup-5f1e6c2e-3d4a", nil, nil)
	c.ok("POST", "/cluster/backup", url.Values{"schedule": {"01:00"}, "storage": {"local"}, "pool": {"production"}}, nil)
	c.ok("POST", "/cluster/backup", url.Values{"schedule": {"02:00"}, "storage": {"local"}, "vmid": {"103,202"}}, nil)
	c.ok("POST", "/cluster/backup", url.Values{"schedule": {"03:00"}, "storage": {"local"}, "all": {"1"}, "node": {"pve3"}, "exclude": {"104"}}, nil)
	// production = 100, 101, 200; list = 103, 202; pve3 (all but 104) = 202, 9000; job 2 = 101.
	got := notBackedUp()
	want := []float64{102, 104, 201, 203}
	if len(got) != len(want) {
		t.Fatalf("not backed up %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("not backed up %v, want %v", got, want)
		}
	}
	var list []map[string]any
	c.ok("GET", "/cluster/backup-info/not-backed-up", nil, &list)
	if list[2]["name"] != "proxy01" || list[2]["type"] != "lxc" {
		t.Errorf("container entry: %v", list[2])
	}
	var repl []map[string]any
	c.ok("GET", "/cluster/replication", nil, &repl)
	if len(repl) != 2 || repl[0]["id"] != "101-0" || repl[0]["source"] != "pve1" || repl[0]["target"] != "pve2" || repl[1]["disable"] != 1.0 {
		t.Errorf("replication: %v", repl)
	}
}

func TestBulkStartPartialFailure(t *testing.T) {
	c := newClSim(t)
	c.sim.SetNodeOnline("pve2", false) // 102 lives there
	var upid string
	c.ok("POST", "/cluster/bulk-action/guest/start", url.Values{"vms": {"100", "102", "203", "9000"}, "max-workers": {"2"}}, &upid)
	if !strings.Contains(upid, ":bulk-start::root@pam!t:") || !strings.HasPrefix(upid, "UPID:pve1:") {
		t.Fatalf("upid %s", upid)
	}
	exit, log := c.task(upid)
	if exit != "Some guests failed to start: 102" {
		t.Errorf("exit status %q", exit)
	}
	joined := strings.Join(log, "\n")
	for _, want := range []string{
		"Starting guests: 100, 102, 203, 9000",
		"WARN: Skipping VM 100, already running.",
		"WARN: Starting VM 102 failed: Connect to 10.0.0.12:8006 failed: No route to host",
		"Starting CT 203",
	} {
		if !strings.Contains(joined, want) {
			t.Errorf("log lacks %q:\n%s", want, joined)
		}
	}
	if strings.Contains(joined, "9000") && strings.Contains(joined, "Starting VM 9000") {
		t.Errorf("template must be skipped:\n%s", joined)
	}
	if g, _ := c.sim.Guest(203); g.Status != "running" {
		t.Errorf("203 must have started although 102 failed: %s", g.Status)
	}
	if g, _ := c.sim.Guest(102); g.Status != "stopped" {
		t.Errorf("102 on an offline node changed: %s", g.Status)
	}
	c.fails("POST", "/cluster/bulk-action/guest/start", url.Values{"vms": {"abc"}}, 400, "type check ('integer') failed")
	c.fails("POST", "/cluster/bulk-action/guest/start", url.Values{"vms": {"42"}}, 400, "not a valid VMID")
	c.fails("POST", "/cluster/bulk-action/guest/start", url.Values{"max-workers": {"65"}}, 400, "maximum value of 64")
}

func TestBulkShutdownSuspendMigrate(t *testing.T) {
	c := newClSim(t)
	var upid string
	c.ok("POST", "/cluster/bulk-action/guest/suspend", url.Values{"vms": {"100", "200"}}, &upid)
	exit, log := c.task(upid)
	if exit != "OK" || !strings.Contains(strings.Join(log, "\n"), "WARN: skipping 200, only VMs can be suspended") {
		t.Errorf("suspend: %s %v", exit, log)
	}
	if g, _ := c.sim.Guest(100); !g.Paused {
		t.Error("100 not paused")
	}
	// A paused VM is skipped by shutdown without force-stop.
	c.ok("POST", "/cluster/bulk-action/guest/shutdown", url.Values{"vms": {"100", "101", "102"}, "force-stop": {"0"}, "timeout": {"30"}}, &upid)
	exit, log = c.task(upid)
	joined := strings.Join(log, "\n")
	if exit != "OK" || !strings.Contains(joined, "Skipping VM 100, resume paused VM before shutdown.") ||
		!strings.Contains(joined, "Shutting down VM 101 (Timeout = 30 seconds)") || !strings.Contains(joined, "Skipping VM 102, not running.") {
		t.Errorf("shutdown: %s\n%s", exit, joined)
	}
	if g, _ := c.sim.Guest(101); g.Status != "stopped" {
		t.Errorf("101 = %s", g.Status)
	}
	// to-disk suspend stops and locks the VM; statestorage needs to-disk.
	c.fails("POST", "/cluster/bulk-action/guest/suspend", url.Values{"vms": {"103"}, "statestorage": {"local-lvm"}}, 400, "to-disk")
	c.ok("POST", "/cluster/bulk-action/guest/suspend", url.Values{"vms": {"103"}, "to-disk": {"1"}, "statestorage": {"nope"}}, &upid)
	if exit, _ = c.task(upid); exit != "Some guests failed to suspend 103" {
		t.Errorf("bad statestorage: %s", exit)
	}
	c.ok("POST", "/cluster/bulk-action/guest/suspend", url.Values{"vms": {"103"}, "to-disk": {"1"}, "statestorage": {"local-lvm"}}, &upid)
	if g, _ := c.sim.Guest(103); g.Status != "stopped" || g.Lock != "suspended" {
		t.Errorf("hibernated 103: %s lock %q", g.Status, g.Lock)
	}

	// Migrate: running VM without online fails, the stopped one moves, the
	// one already there is skipped.
	c.fails("POST", "/cluster/bulk-action/guest/migrate", url.Values{"vms": {"101"}}, 400, "target")
	c.ok("POST", "/cluster/bulk-action/guest/migrate", url.Values{"vms": {"101", "104", "202"}, "target": {"pve3"}}, &upid)
	exit, log = c.task(upid)
	joined = strings.Join(log, "\n")
	if exit != "OK" || !strings.Contains(joined, "Migrating guests to pve3: 101, 104, 202") || !strings.Contains(joined, "VM 104 already on pve3, skipping.") {
		t.Errorf("migrate: %s\n%s", exit, joined)
	}
	if g, _ := c.sim.Guest(101); g.Node != "pve3" {
		t.Errorf("101 on %s", g.Node)
	}
	c.ok("POST", "/cluster/bulk-action/guest/migrate", url.Values{"vms": {"100", "203"}, "target": {"pve2"}}, &upid)
	exit, log = c.task(upid)
	if exit != "Some guests failed to migrate 100" || !strings.Contains(strings.Join(log, "\n"), "can't migrate running VM without --online") {
		t.Errorf("migrate running without online: %s %v", exit, log)
	}
	if g, _ := c.sim.Guest(203); g.Node != "pve2" {
		t.Errorf("203 must move although 100 failed: %s", g.Node)
	}
	c.ok("POST", "/cluster/bulk-action/guest/migrate", url.Values{"vms": {"100"}, "target": {"pve2"}, "online": {"1"}, "with-local-disks": {"1"}}, &upid)
	if exit, _ = c.task(upid); exit != "OK" {
		t.Errorf("online migrate: %s", exit)
	}
	if g, _ := c.sim.Guest(100); g.Node != "pve2" || g.Status != "running" {
		t.Errorf("100 after online migrate: %s %s", g.Node, g.Status)
	}
}

// Bulk actions act through each guest's own API call, as pve-manager's do:
// an HA-managed guest's start and shutdown are requests to the CRM (which a
// lock does not refuse, but leaves the guest as it is), its suspend to disk
// fails, its migration is HA's; a lock refuses the others as the single
// call's worker would, a backup's lock aside for suspend and resume.
func TestBulkHAGuestsAndLocks(t *testing.T) {
	c := newClSim(t)
	haState := func(sid string) string {
		var r map[string]any
		c.ok("GET", "/cluster/ha/resources/"+sid, nil, &r)
		s, _ := r["state"].(string)
		return s
	}
	bulk := func(action string, vals url.Values) (string, string) {
		var upid string
		c.ok("POST", "/cluster/bulk-action/guest/"+action, vals, &upid)
		exit, log := c.task(upid)
		return exit, strings.Join(log, "\n")
	}
	steps := []struct {
		name   string
		lock   map[int]string // set before the call
		action string
		vals   url.Values
		exit   string
		log    string
		check  func() string // "" when the guests are as they should be
	}{
		{name: "HA shutdown", action: "shutdown", vals: url.Values{"vms": {"100"}}, exit: "OK", log: "Shutting down VM 100",
			check: func() string {
				if g, _ := c.sim.Guest(100); g.Status != "stopped" || haState("vm:100") != "stopped" {
					return "100 " + g.Status + ", HA " + haState("vm:100")
				}
				return ""
			}},
		{name: "HA start of a locked VM", lock: map[int]string{100: "backup"}, action: "start", vals: url.Values{"vms": {"100"}}, exit: "OK", log: "Starting VM 100",
			check: func() string {
				if g, _ := c.sim.Guest(100); g.Status != "stopped" || haState("vm:100") != "started" {
					return "100 " + g.Status + ", HA " + haState("vm:100")
				}
				return ""
			}},
		{name: "start of a locked VM", lock: map[int]string{100: "", 102: "backup"}, action: "start", vals: url.Values{"vms": {"102"}},
			exit: "Some guests failed to start: 102", log: "Starting VM 102 failed: VM is locked (backup)"},
		{name: "HA suspend to disk", action: "suspend", vals: url.Values{"vms": {"101"}, "to-disk": {"1"}},
			exit: "Some guests failed to suspend 101", log: "Cannot suspend HA managed VM to disk",
			check: func() string {
				if g, _ := c.sim.Guest(101); g.Status != "running" || g.Lock != "" {
					return "101 " + g.Status + " lock " + g.Lock
				}
				return ""
			}},
		{name: "suspend under a backup", lock: map[int]string{102: "", 103: "backup"}, action: "suspend", vals: url.Values{"vms": {"103"}}, exit: "OK",
			check: func() string {
				if g, _ := c.sim.Guest(103); !g.Paused {
					return "103 not paused"
				}
				return ""
			}},
		{name: "shutdown of a snapshotting VM", lock: map[int]string{103: "snapshot"}, action: "shutdown", vals: url.Values{"vms": {"103"}},
			exit: "Some guests failed to shutdown 103", log: "VM is locked (snapshot)"},
		{name: "HA migration", lock: map[int]string{103: ""}, action: "migrate", vals: url.Values{"vms": {"101"}, "target": {"pve2"}, "online": {"1"}}, exit: "OK",
			log: "Requesting HA migration for VM 101 to node pve2",
			check: func() string {
				if g, _ := c.sim.Guest(101); g.Node != "pve2" || g.Status != "running" {
					return "101 " + g.Status + " on " + g.Node
				}
				return ""
			}},
	}
	for _, s := range steps {
		for id, l := range s.lock {
			c.sim.SetGuestLock(id, l)
		}
		exit, log := bulk(s.action, s.vals)
		if exit != s.exit || !strings.Contains(log, s.log) {
			t.Errorf("%s: %s\n%s", s.name, exit, log)
		}
		if s.check != nil {
			if bad := s.check(); bad != "" {
				t.Errorf("%s: %s", s.name, bad)
			}
		}
	}
	// Without vms, "all guests" leaves out the HA-managed ones: HA starts
	// and stops its guests itself.
	c.sim.SetGuestLock(100, "")
	if exit, log := bulk("start", nil); exit != "OK" || strings.Contains(log, "VM 100") || !strings.Contains(log, "Starting all guests") || !strings.Contains(log, "Starting VM 102") {
		t.Errorf("start all: %s\n%s", exit, log)
	}
	if g, _ := c.sim.Guest(100); g.Status != "stopped" {
		t.Errorf("start all started HA-managed 100: %s", g.Status)
	}
	// The single migration of an HA guest is a request to HA as well.
	var upid string
	c.ok("POST", "/nodes/pve2/qemu/101/migrate", url.Values{"target": {"pve1"}, "online": {"1"}}, &upid)
	if exit, log := c.task(upid); exit != "OK" || !strings.Contains(upid, ":hamigrate:101:") || !strings.Contains(strings.Join(log, "\n"), "Requesting HA migration for VM 101 to node pve1") {
		t.Errorf("HA migrate: %s %s %v", upid, exit, log)
	}
	if g, _ := c.sim.Guest(101); g.Node != "pve1" {
		t.Errorf("101 on %s after its HA migration", g.Node)
	}
	c.fails("POST", "/nodes/pve1/qemu/101/migrate", url.Values{"target": {"pve2"}}, 500, "can't migrate running VM without --online")
}
