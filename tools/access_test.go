package tools

import (
	"net/url"
	"strings"
	"testing"
)

func TestAccessReadTools(t *testing.T) {
	e := fullEnv(t)
	cases := []struct {
		tool   string
		args   map[string]any
		path   string
		params map[string]string
		want   []string
		not    []string
	}{
		{"pve_list_users", nil, "/access/users", nil, []string{`"userid":"root@pam"`, `"userid":"carol@pve"`, `"groups":"admins"`}, nil},
		{"pve_list_users", map[string]any{"enabled": false}, "/access/users", map[string]string{"enabled": "0"}, []string{`"userid":"carol@pve"`}, []string{"root@pam", "alice@pve"}},
		{"pve_list_users", map[string]any{"enabled": true, "full": true}, "/access/users", map[string]string{"enabled": "1", "full": "1"}, []string{`"tokenid":"test"`, "root@pam"}, []string{"carol@pve"}},
		{"pve_get_user", map[string]any{"userid": "alice@pve"}, "/access/users/alice@pve", nil, []string{`"firstname":"Alice"`, `"groups":["admins"]`}, []string{`"userid"`}},
		{"pve_list_roles", nil, "/access/roles", nil, []string{`"roleid":"PVEVMAdmin"`, `"roleid":"Operator","special":0`, "VM.PowerMgmt"}, nil},
		{"pve_list_groups", nil, "/access/groups", nil, []string{`"groupid":"admins"`, `"users":"alice@pve"`}, nil},
		{"pve_list_acls", nil, "/access/acl", nil, []string{`"path":"/pool/lab"`, `"ugid":"developers"`, `"roleid":"PVEVMAdmin"`}, nil},
		{"pve_list_domains", nil, "/access/domains", nil, []string{`"realm":"pam"`, `"realm":"pve"`}, nil},
	}
	for _, c := range cases {
		t.Run(c.tool, func(t *testing.T) {
			txt := e.ok(c.tool, c.args)
			for _, w := range c.want {
				if !strings.Contains(txt, w) {
					t.Errorf("result lacks %s: %.400s", w, txt)
				}
			}
			for _, n := range c.not {
				if strings.Contains(txt, n) {
					t.Errorf("result has %s: %.400s", n, txt)
				}
			}
			sentExactly(t, e.lastRequest("GET", c.path).Params, c.params)
		})
	}
	// An unknown user fails with Proxmox's message; a malformed one never reaches it.
	if msg := e.fails("pve_get_user", map[string]any{"userid": "nobody@pve"}); !strings.Contains(msg, "no such user ('nobody@pve')") {
		t.Errorf("unknown user: %s", msg)
	}
	e.sim.ResetRequests()
	for _, bad := range []string{"alice", "a/b@pve", "alice@"} {
		e.fails("pve_get_user", map[string]any{"userid": bad})
	}
	if n := len(e.sim.Requests()); n != 0 {
		t.Errorf("invalid userids reached Proxmox: %d requests", n)
	}
}

// sentExactly checks that a request carried exactly these parameters.
func sentExactly(t *testing.T, got url.Values, want map[string]string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("params %v, want %v", got, want)
	}
	for k, v := range want {
		if got.Get(k) != v || len(got[k]) != 1 {
			t.Errorf("param %s = %q, want %q (all: %v)", k, got[k], v, got)
		}
	}
}

func TestCreateUser(t *testing.T) {
	e := fullEnv(t)
	const secret = "s3cr3t-Passw0rd!"
	txt := e.ok("pve_create_user", map[string]any{
		"userid": "dave@pve", "password": secret, "email": "dave@lab.example", "firstname": "Dave",
		"groups": []string{"operators", "developers"}, "enable": true, "expire": 0, "comment": "new hire",
	})
	r := e.lastRequest("POST", "/access/users")
	sentExactly(t, r.Params, map[string]string{"userid": "dave@pve", "password": secret, "email": "dave@lab.example",
		"firstname": "Dave", "groups": "operators,developers", "enable": "1", "expire": "0", "comment": "new hire"})
	if strings.Contains(txt, secret) || strings.Contains(txt, "password") {
		t.Fatalf("result reveals the password: %s", txt)
	}
	for _, w := range []string{`"email":"dave@lab.example"`, `"groups":["operators","developers"]`, `"enable":1`} {
		if !strings.Contains(txt, w) {
			t.Errorf("result lacks %s: %s", w, txt)
		}
	}
	e.lastRequest("GET", "/access/users/dave@pve")
	u, ok := e.sim.User("dave@pve")
	if !ok || u.FirstName != "Dave" || len(u.Groups) != 2 {
		t.Fatalf("user not stored: %+v", u)
	}
	if !strings.Contains(e.ok("pve_list_groups", nil), "bob@pve,dave@pve") {
		t.Error("dave is not listed in group operators")
	}

	// Failures, worded as Proxmox words them; none echoes the password.
	for _, c := range []struct {
		args map[string]any
		want string
	}{
		{map[string]any{"userid": "dave@pve", "password": secret}, "create user failed: user 'dave@pve' already exists"},
		{map[string]any{"userid": "erin@ldap", "password": secret}, "no such realm 'ldap'"},
		{map[string]any{"userid": "erin@pve", "groups": []string{"nosuch"}}, "no such group 'nosuch'"},
	} {
		msg := e.fails("pve_create_user", c.args)
		if !strings.Contains(msg, c.want) || strings.Contains(msg, secret) {
			t.Errorf("create %v: %s", c.args["userid"], msg)
		}
	}
	if _, ok := e.sim.User("erin@pve"); ok {
		t.Error("a failed create left a user behind")
	}
	e.fails("pve_create_user", map[string]any{"userid": "noatsign"})
	e.fails("pve_create_user", map[string]any{"userid": "x@pve", "expire": -1})
}

func TestUpdateAndDeleteUser(t *testing.T) {
	e := fullEnv(t)
	e.ok("pve_update_user", map[string]any{"userid": "bob@pve", "enable": false, "email": "robert@lab.example", "groups": []string{"admins"}, "append": true})
	sentExactly(t, e.lastRequest("PUT", "/access/users/bob@pve").Params,
		map[string]string{"enable": "0", "email": "robert@lab.example", "groups": "admins", "append": "1"})
	u, _ := e.sim.User("bob@pve")
	if u.Enable || u.Email != "robert@lab.example" || strings.Join(u.Groups, ",") != "operators,admins" {
		t.Fatalf("update not applied: %+v", u)
	}
	e.ok("pve_update_user", map[string]any{"userid": "bob@pve", "groups": []string{"developers"}})
	if u, _ := e.sim.User("bob@pve"); strings.Join(u.Groups, ",") != "developers" {
		t.Fatalf("groups not replaced: %v", u.Groups)
	}
	if msg := e.fails("pve_update_user", map[string]any{"userid": "ghost@pve", "comment": "x"}); !strings.Contains(msg, "update user failed: no such user ('ghost@pve')") {
		t.Errorf("update unknown: %s", msg)
	}

	// Deleting a user removes it and its ACL entries.
	e.ok("pve_delete_user", map[string]any{"userid": "bob@pve"})
	e.lastRequest("DELETE", "/access/users/bob@pve")
	if _, ok := e.sim.User("bob@pve"); ok {
		t.Fatal("bob@pve still exists")
	}
	for _, a := range e.sim.ACLs() {
		if a.UGID == "bob@pve" {
			t.Errorf("ACL of deleted user kept: %+v", a)
		}
	}
	if strings.Contains(e.ok("pve_list_users", nil), "bob@pve") {
		t.Error("deleted user still listed")
	}
	if msg := e.fails("pve_delete_user", map[string]any{"userid": "bob@pve"}); !strings.Contains(msg, "delete user failed: no such user ('bob@pve')") {
		t.Errorf("delete twice: %s", msg)
	}
}

func TestUpdateACL(t *testing.T) {
	e := fullEnv(t)
	e.ok("pve_update_acl", map[string]any{"path": "/vms/100", "roles": []string{"PVEVMUser", "PVEAuditor"},
		"users": []string{"alice@pve"}, "groups": []string{"developers"}, "tokens": []string{testTokenID}, "propagate": false})
	sentExactly(t, e.lastRequest("PUT", "/access/acl").Params, map[string]string{"path": "/vms/100", "roles": "PVEVMUser,PVEAuditor",
		"users": "alice@pve", "groups": "developers", "tokens": testTokenID, "propagate": "0"})
	count := func() int {
		n := 0
		for _, a := range e.sim.ACLs() {
			if a.Path == "/vms/100" {
				n++
				if a.Propagate {
					t.Errorf("propagate not stored: %+v", a)
				}
			}
		}
		return n
	}
	if n := count(); n != 6 {
		t.Fatalf("want 6 entries on /vms/100 (3 subjects x 2 roles), got %d", n)
	}
	if txt := e.ok("pve_list_acls", nil); !strings.Contains(txt, `"path":"/vms/100","propagate":0,"roleid":"PVEAuditor","type":"group","ugid":"developers"`) {
		t.Errorf("new ACL not listed: %s", txt)
	}
	// Granting again changes nothing; delete revokes exactly what it names.
	e.ok("pve_update_acl", map[string]any{"path": "/vms/100", "roles": []string{"PVEVMUser"}, "users": []string{"alice@pve"}, "propagate": false})
	if n := count(); n != 6 {
		t.Fatalf("repeated grant duplicated entries: %d", n)
	}
	e.ok("pve_update_acl", map[string]any{"path": "/vms/100", "roles": []string{"PVEVMUser", "PVEAuditor"}, "groups": []string{"developers"}, "delete": true})
	if got := e.lastRequest("PUT", "/access/acl").Params.Get("delete"); got != "1" {
		t.Errorf("delete sent as %q", got)
	}
	if n := count(); n != 4 {
		t.Fatalf("after revoke want 4 entries, got %d", n)
	}

	for _, c := range []struct {
		args map[string]any
		want string
	}{
		{map[string]any{"path": "/", "roles": []string{"NoSuchRole"}, "users": []string{"alice@pve"}}, "ACL update failed: role 'NoSuchRole' does not exist"},
		{map[string]any{"path": "/", "roles": []string{"PVEAuditor"}, "users": []string{"ghost@pve"}}, "user 'ghost@pve' does not exist"},
		{map[string]any{"path": "/", "roles": []string{"PVEAuditor"}, "groups": []string{"ghosts"}}, "group 'ghosts' does not exist"},
		{map[string]any{"path": "/", "roles": []string{"PVEAuditor"}, "tokens": []string{"alice@pve!nope"}}, "no such token 'nope' for user 'alice@pve'"},
		{map[string]any{"path": "/", "roles": []string{"PVEAuditor"}}, "either 'users', 'groups' or 'tokens' is required"},
		{map[string]any{"path": "/bogus/x", "roles": []string{"PVEAuditor"}, "users": []string{"alice@pve"}}, "invalid ACL path"},
	} {
		if msg := e.fails("pve_update_acl", c.args); !strings.Contains(msg, c.want) {
			t.Errorf("%v: got %s, want %s", c.args, msg, c.want)
		}
	}
	e.fails("pve_update_acl", map[string]any{"path": "vms", "roles": []string{"PVEAuditor"}, "users": []string{"alice@pve"}})
}

func TestPermissions(t *testing.T) {
	e := fullEnv(t)
	// The token pve-mcp uses: PVEAdmin on / (propagating), so VM power is
	// there and Sys.Modify is not.
	var own map[string]map[string]int
	e.okJSON("pve_get_permissions", nil, &own)
	sentExactly(t, e.lastRequest("GET", "/access/permissions").Params, nil)
	if own["/"]["VM.PowerMgmt"] != 1 || own["/"]["Sys.Audit"] != 1 || own["/"]["Sys.Modify"] != 0 || len(own) != 1 {
		t.Errorf("the token's own permissions: %v", own)
	}
	// bob: Operator on /vms via his group, PVEDatastoreUser on one storage
	// (not propagated).
	var bob map[string]map[string]int
	e.okJSON("pve_get_permissions", map[string]any{"userid": "bob@pve"}, &bob)
	if bob["/vms"]["VM.PowerMgmt"] != 1 || bob["/storage/nfs-backup"]["Datastore.AllocateSpace"] != 0 ||
		len(bob["/storage/nfs-backup"]) != 2 || bob["/"] != nil {
		t.Errorf("bob's permissions: %v", bob)
	}
	var one map[string]map[string]int
	e.okJSON("pve_get_permissions", map[string]any{"userid": "bob@pve", "path": "/vms/100"}, &one)
	sentExactly(t, e.lastRequest("GET", "/access/permissions").Params, map[string]string{"userid": "bob@pve", "path": "/vms/100"})
	if len(one) != 1 || one["/vms/100"]["VM.Console"] != 1 || len(one["/vms/100"]) != 4 {
		t.Errorf("bob on /vms/100: %v", one)
	}
	if msg := e.fails("pve_get_permissions", map[string]any{"userid": "nobody@pve"}); !strings.Contains(msg, "no such user") {
		t.Errorf("unknown user: %s", msg)
	}
	e.sim.ResetRequests()
	e.fails("pve_get_permissions", map[string]any{"userid": "bob"})
	e.fails("pve_get_permissions", map[string]any{"path": "vms"})
	if n := len(e.sim.Requests()); n != 0 {
		t.Errorf("invalid input reached Proxmox: %d requests", n)
	}
}
