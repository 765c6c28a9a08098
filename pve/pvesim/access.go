package pvesim

import (
	"fmt"
	"slices"
	"strings"
)

// Privilege sets of the built-in roles (PVE 9).
var (
	privsVMUser   = []string{"VM.Audit", "VM.Backup", "VM.Config.CDROM", "VM.Config.Cloudinit", "VM.Console", "VM.GuestAgent.Audit", "VM.GuestAgent.Unrestricted", "VM.PowerMgmt"}
	privsVMAdmin  = append([]string{"VM.Allocate", "VM.Clone", "VM.Config.CPU", "VM.Config.Disk", "VM.Config.HWType", "VM.Config.Memory", "VM.Config.Network", "VM.Config.Options", "VM.Migrate", "VM.Replicate", "VM.Snapshot", "VM.Snapshot.Rollback", "VM.GuestAgent.FileRead", "VM.GuestAgent.FileWrite", "VM.GuestAgent.FileSystemMgmt"}, privsVMUser...)
	privsDSUser   = []string{"Datastore.AllocateSpace", "Datastore.Audit"}
	privsDSAdmin  = append([]string{"Datastore.Allocate", "Datastore.AllocateTemplate"}, privsDSUser...)
	privsSys      = []string{"Sys.Audit", "Sys.Console", "Sys.Syslog", "Sys.Modify", "Sys.PowerMgmt", "Sys.Incoming", "Sys.AccessNetwork"}
	privsSDNUser  = []string{"SDN.Audit", "SDN.Use"}
	privsSDNAdmin = append([]string{"SDN.Allocate"}, privsSDNUser...)
	privsMapUser  = []string{"Mapping.Audit", "Mapping.Use"}
	privsMapAdmin = append([]string{"Mapping.Modify"}, privsMapUser...)
	privsUserAdm  = []string{"Group.Allocate", "Realm.AllocateUser", "User.Modify", "Permissions.Modify"}
	privsPool     = []string{"Pool.Audit"}
	privsPoolAdm  = []string{"Pool.Allocate", "Pool.Audit"}
)

var (
	reUserID  = lazyRegexp(`^[^\s:/]+@[A-Za-z][A-Za-z0-9.\-_]+$`)
	reTokenID = lazyRegexp(`^([^\s:/]+@[A-Za-z][A-Za-z0-9.\-_]+)!([A-Za-z][A-Za-z0-9.\-_]+)$`)
	reACLPath = lazyRegexp(`^/(|access(/groups(/[^/]+)?|/realm(/[^/]+)?)?|vms(/\d+)?|storage(/[^/]+)?|pool(/[^/]+)+|nodes(/[^/]+)?|sdn(/.+)?|mapping(/.+)?)$`)
)

func userEntry(u *User, withTokens bool) map[string]any {
	m := map[string]any{"userid": u.ID, "enable": b2i(u.Enable), "expire": u.Expire}
	for k, v := range map[string]string{"firstname": u.FirstName, "lastname": u.LastName, "email": u.Email, "comment": u.Comment, "keys": u.Keys} {
		if v != "" {
			m[k] = v
		}
	}
	_, realm, _ := strings.Cut(u.ID, "@")
	m["realm-type"] = realm
	if withTokens {
		tokens := []map[string]any{}
		for _, t := range u.Tokens {
			tokens = append(tokens, map[string]any{"tokenid": t, "privsep": 1, "expire": 0})
		}
		m["tokens"] = tokens
	}
	return m
}

func (s *Sim) routesAccess() {
	const userFields = "comment?:string email?:string enable?:boolean expire?:integer(0-) firstname?:string groups?:string keys?:string lastname?:string"

	s.handle("GET", "/access/users", "enabled?:boolean full?:boolean", func(c *Call) (any, error) {
		out := []map[string]any{}
		for _, u := range s.access.users {
			if c.Has("enabled") && u.Enable != c.Bool("enabled") {
				continue
			}
			e := userEntry(u, c.Bool("full"))
			if len(u.Groups) > 0 {
				e["groups"] = strings.Join(u.Groups, ",")
			}
			out = append(out, e)
		}
		return out, nil
	})
	s.handle("GET", "/access/users/{userid}", "userid:string", func(c *Call) (any, error) {
		u := s.user(c.Str("userid"))
		if u == nil {
			return nil, fail("no such user ('%s')", c.Str("userid"))
		}
		m := userEntry(u, false)
		delete(m, "userid")
		delete(m, "realm-type")
		m["groups"] = append([]string{}, u.Groups...)
		tokens := map[string]any{}
		for _, t := range u.Tokens {
			tokens[t] = map[string]any{"privsep": 1, "expire": 0}
		}
		m["tokens"] = tokens
		return m, nil
	})
	s.handle("POST", "/access/users", "userid:string password?:string "+userFields, func(c *Call) (any, error) {
		id := c.Str("userid")
		if !reUserID().MatchString(id) {
			return nil, badParam("userid", "value does not look like a valid user name")
		}
		if s.user(id) != nil {
			return nil, fail("create user failed: user '%s' already exists", id)
		}
		_, realm, _ := strings.Cut(id, "@")
		if s.domain(realm) == nil {
			return nil, fail("create user failed: no such realm '%s'", realm)
		}
		u := &User{ID: id, Enable: true}
		if err := s.setUser(u, c, "create user failed"); err != nil {
			return nil, err
		}
		s.access.users = append(s.access.users, u)
		return nil, nil
	})
	s.handle("PUT", "/access/users/{userid}", "userid:string append?:boolean "+userFields, func(c *Call) (any, error) {
		u := s.user(c.Str("userid"))
		if u == nil {
			return nil, fail("update user failed: no such user ('%s')", c.Str("userid"))
		}
		if c.Bool("append") && !c.Has("groups") {
			return nil, badParam("append", "missing property - 'groups' requires this property")
		}
		cp := *u
		if err := s.setUser(&cp, c, "update user failed"); err != nil {
			return nil, err
		}
		*u = cp
		return nil, nil
	})
	s.handle("DELETE", "/access/users/{userid}", "userid:string", func(c *Call) (any, error) {
		id := c.Str("userid")
		for i, u := range s.access.users {
			if u.ID != id {
				continue
			}
			s.access.users = append(s.access.users[:i], s.access.users[i+1:]...)
			// Proxmox drops the user's (and its tokens') ACL entries with it.
			s.dropACLs(func(a *ACL) bool {
				return (a.Type == "user" && a.UGID == id) || (a.Type == "token" && strings.HasPrefix(a.UGID, id+"!"))
			})
			return nil, nil
		}
		return nil, fail("delete user failed: no such user ('%s')", id)
	})

	s.handle("GET", "/access/roles", "", func(c *Call) (any, error) {
		out := []map[string]any{}
		for _, r := range s.access.roles {
			out = append(out, map[string]any{"roleid": r.ID, "privs": strings.Join(r.Privs, ","), "special": b2i(r.Special)})
		}
		return out, nil
	})
	s.handle("GET", "/access/groups", "", func(c *Call) (any, error) {
		out := []map[string]any{}
		for _, g := range s.access.groups {
			e := map[string]any{"groupid": g.ID}
			if g.Comment != "" {
				e["comment"] = g.Comment
			}
			var members []string
			for _, u := range s.access.users {
				for _, ug := range u.Groups {
					if ug == g.ID {
						members = append(members, u.ID)
					}
				}
			}
			if len(members) > 0 {
				e["users"] = strings.Join(members, ",")
			}
			out = append(out, e)
		}
		return out, nil
	})
	s.handle("GET", "/access/domains", "", func(c *Call) (any, error) {
		out := []map[string]any{}
		for _, d := range s.access.domains {
			out = append(out, map[string]any{"realm": d.Realm, "type": d.Type, "comment": d.Comment})
		}
		return out, nil
	})
	s.handle("GET", "/access/acl", "", func(c *Call) (any, error) {
		out := []map[string]any{}
		for _, a := range s.access.acls {
			out = append(out, map[string]any{"path": a.Path, "type": a.Type, "ugid": a.UGID, "roleid": a.Role, "propagate": b2i(a.Propagate)})
		}
		return out, nil
	})
	s.handle("PUT", "/access/acl", "path:string roles:string users?:string groups?:string tokens?:string propagate?:boolean delete?:boolean", s.updateACL)
	s.handle("GET", "/access/permissions", "path?:string userid?:string", func(c *Call) (any, error) {
		subject := c.Str("userid")
		if subject == "" {
			subject = c.User
		}
		owner, _, isToken := strings.Cut(subject, "!")
		if s.user(owner) == nil {
			return nil, badParam("userid", "no such user ('"+owner+"')")
		}
		if isToken && !s.hasToken(subject) {
			return nil, badParam("userid", "no such token ('"+subject+"')")
		}
		paths := map[string]bool{"/": true}
		for _, a := range s.access.acls {
			if s.aclApplies(a, subject) {
				paths[a.Path] = true
			}
		}
		if p := c.Str("path"); p != "" {
			paths = map[string]bool{p: true}
		}
		out := map[string]any{}
		for p := range paths {
			privs := s.privsAt(subject, p)
			if len(privs) > 0 || c.Has("path") {
				out[p] = privs
			}
		}
		return out, nil
	})
}

// setUser applies the user properties of a create or update call.
func (s *Sim) setUser(u *User, c *Call, what string) error {
	for name, dst := range map[string]*string{"firstname": &u.FirstName, "lastname": &u.LastName, "email": &u.Email, "comment": &u.Comment, "keys": &u.Keys} {
		if c.Has(name) {
			*dst = c.Str(name)
		}
	}
	if c.Has("email") && u.Email != "" && !strings.Contains(u.Email, "@") {
		return badParam("email", "value does not look like a valid email address")
	}
	if c.Has("enable") {
		u.Enable = c.Bool("enable")
	}
	if c.Has("expire") {
		u.Expire = int64(c.Int("expire"))
	}
	if c.Has("groups") {
		groups := splitList(c.Str("groups"))
		for _, g := range groups {
			if s.group(g) == nil {
				return fail("%s: no such group '%s'", what, g)
			}
		}
		if c.Bool("append") {
			for _, g := range groups {
				if !slices.Contains(u.Groups, g) {
					u.Groups = append(u.Groups, g)
				}
			}
		} else {
			u.Groups = groups
		}
	}
	return nil
}

// updateACL adds or removes (delete=1) one role per subject on a path, as
// PUT /access/acl does: every role, user, group and token must exist.
func (s *Sim) updateACL(c *Call) (any, error) {
	if c.Str("users") == "" && c.Str("groups") == "" && c.Str("tokens") == "" {
		msg := "either 'users', 'groups' or 'tokens' is required."
		return nil, &APIError{Status: 400, Message: "Parameter verification failed.", Errors: map[string]string{"users": msg, "groups": msg, "tokens": msg}}
	}
	path := "/" + strings.Trim(c.Str("path"), "/")
	if !reACLPath().MatchString(path) {
		return nil, badParam("path", fmt.Sprintf("invalid ACL path '%s'", c.Str("path")))
	}
	roles := splitList(c.Str("roles"))
	for _, r := range roles {
		if s.role(r) == nil {
			return nil, fail("ACL update failed: role '%s' does not exist", r)
		}
	}
	type subject struct{ typ, id string }
	var subjects []subject
	for _, g := range splitList(c.Str("groups")) {
		if s.group(g) == nil {
			return nil, fail("ACL update failed: group '%s' does not exist", g)
		}
		subjects = append(subjects, subject{"group", g})
	}
	for _, u := range splitList(c.Str("users")) {
		if s.user(u) == nil {
			return nil, fail("ACL update failed: user '%s' does not exist", u)
		}
		subjects = append(subjects, subject{"user", u})
	}
	for _, t := range splitList(c.Str("tokens")) {
		m := reTokenID().FindStringSubmatch(t)
		if m == nil {
			return nil, badParam("tokens", fmt.Sprintf("value '%s' does not look like a valid token ID", t))
		}
		if u := s.user(m[1]); u == nil || !slices.Contains(u.Tokens, m[2]) {
			return nil, fail("ACL update failed: no such token '%s' for user '%s'", m[2], m[1])
		}
		subjects = append(subjects, subject{"token", t})
	}
	propagate := !c.Has("propagate") || c.Bool("propagate")
	for _, sub := range subjects {
		for _, r := range roles {
			match := func(a *ACL) bool { return a.Path == path && a.Type == sub.typ && a.UGID == sub.id && a.Role == r }
			if c.Bool("delete") {
				s.dropACLs(match)
				continue
			}
			found := false
			for _, a := range s.access.acls {
				if match(a) {
					a.Propagate, found = propagate, true
				}
			}
			if !found {
				s.access.acls = append(s.access.acls, &ACL{Path: path, Type: sub.typ, UGID: sub.id, Role: r, Propagate: propagate})
			}
		}
	}
	return nil, nil
}
