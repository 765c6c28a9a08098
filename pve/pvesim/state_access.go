package pvesim

import (
	"slices"
	"sort"
	"strings"
)

// State model of /access: users, groups, roles, ACLs, realms, and the
// privilege evaluation over them.

// User is one entry of user.cfg. The simulator never keeps a password.
type User struct {
	ID        string // name@realm
	Enable    bool
	Expire    int64
	FirstName string
	LastName  string
	Email     string
	Comment   string
	Keys      string
	Groups    []string
	Tokens    []string // token names, for user@realm!name
}

// Role is a named set of privileges; built-in roles are "special".
type Role struct {
	ID      string
	Privs   []string
	Special bool
}

// Group is a user group; its members are the users naming it.
type Group struct {
	ID      string
	Comment string
}

// ACL grants a role on a path to a user, group or API token.
type ACL struct {
	Path      string
	Type      string // user | group | token
	UGID      string
	Role      string
	Propagate bool
}

// Domain is an authentication realm.
type Domain struct {
	Realm, Type, Comment string
}

type accessState struct {
	users   []*User
	roles   []*Role
	groups  []*Group
	acls    []*ACL
	domains []*Domain
}

func allPrivs() []string {
	var all []string
	for _, l := range [][]string{privsVMAdmin, privsDSAdmin, privsSys, privsSDNAdmin, privsMapAdmin, privsUserAdm, privsPoolAdm, {"Realm.Allocate"}} {
		all = append(all, l...)
	}
	return all
}

func (s *Sim) seedAccess() {
	cat := func(lists ...[]string) []string {
		var out []string
		for _, l := range lists {
			out = append(out, l...)
		}
		return out
	}
	for _, r := range []*Role{
		{ID: "Administrator", Privs: allPrivs()},
		{ID: "NoAccess"},
		{ID: "PVEAdmin", Privs: cat(privsVMAdmin, privsDSAdmin, privsSDNAdmin, privsMapAdmin, privsUserAdm, privsPoolAdm, []string{"Sys.Audit", "Sys.Console", "Sys.Syslog"})},
		{ID: "PVEAuditor", Privs: []string{"Datastore.Audit", "Mapping.Audit", "Pool.Audit", "SDN.Audit", "Sys.Audit", "VM.Audit", "VM.GuestAgent.Audit"}},
		{ID: "PVEDatastoreAdmin", Privs: privsDSAdmin},
		{ID: "PVEDatastoreUser", Privs: privsDSUser},
		{ID: "PVEMappingAdmin", Privs: privsMapAdmin},
		{ID: "PVEMappingUser", Privs: privsMapUser},
		{ID: "PVEPoolAdmin", Privs: privsPoolAdm},
		{ID: "PVEPoolUser", Privs: privsPool},
		{ID: "PVESDNAdmin", Privs: privsSDNAdmin},
		{ID: "PVESDNUser", Privs: privsSDNUser},
		{ID: "PVESysAdmin", Privs: cat(privsSys, []string{"Permissions.Modify"})},
		{ID: "PVETemplateUser", Privs: []string{"VM.Audit", "VM.Clone"}},
		{ID: "PVEUserAdmin", Privs: cat(privsUserAdm[:3], []string{"Sys.Audit"})},
		{ID: "PVEVMAdmin", Privs: privsVMAdmin},
		{ID: "PVEVMUser", Privs: privsVMUser},
	} {
		r.Special = true
		r.Privs = append([]string(nil), r.Privs...)
		sort.Strings(r.Privs)
		s.access.roles = append(s.access.roles, r)
	}
	s.access.roles = append(s.access.roles, &Role{ID: "Operator", Privs: []string{"VM.Audit", "VM.Console", "VM.PowerMgmt", "Sys.Audit"}})
	s.access.domains = []*Domain{
		{Realm: "pam", Type: "pam", Comment: "Linux PAM standard authentication"},
		{Realm: "pve", Type: "pve", Comment: "Proxmox VE authentication server"},
	}
	s.access.groups = []*Group{{ID: "admins", Comment: "Cluster administrators"}, {ID: "operators", Comment: "On-call operators"}, {ID: "developers"}}
	s.access.users = []*User{
		{ID: "root@pam", Enable: true, Email: "root@lab.example", Groups: nil},
		{ID: "alice@pve", Enable: true, FirstName: "Alice", LastName: "Berger", Email: "alice@lab.example", Groups: []string{"admins"}},
		{ID: "bob@pve", Enable: true, FirstName: "Bob", LastName: "Hofer", Email: "bob@lab.example", Groups: []string{"operators"}, Comment: "on-call"},
		{ID: "carol@pve", Enable: false, FirstName: "Carol", Expire: 1767225600, Groups: []string{"developers"}, Comment: "left the team"},
	}
	// The tokens the simulator accepts belong to users too.
	ids := []string{s.opts.TokenID}
	for id := range s.opts.Tokens {
		ids = append(ids, id)
	}
	slices.Sort(ids[1:])
	for _, id := range ids {
		owner, name, ok := strings.Cut(id, "!")
		if !ok || owner == "" {
			continue
		}
		if u := s.user(owner); u != nil {
			u.Tokens = append(u.Tokens, name)
		} else {
			s.access.users = append(s.access.users, &User{ID: owner, Enable: true, Comment: "API automation", Tokens: []string{name}})
		}
	}
	s.access.acls = []*ACL{
		{Path: "/", Type: "group", UGID: "admins", Role: "Administrator", Propagate: true},
		{Path: "/vms", Type: "group", UGID: "operators", Role: "Operator", Propagate: true},
		{Path: "/pool/lab", Type: "group", UGID: "developers", Role: "PVEVMAdmin", Propagate: true},
		{Path: "/storage/nfs-backup", Type: "user", UGID: "bob@pve", Role: "PVEDatastoreUser", Propagate: false},
	}
	if s.opts.TokenID != "" {
		s.access.acls = append(s.access.acls, &ACL{Path: "/", Type: "token", UGID: s.opts.TokenID, Role: "PVEAdmin", Propagate: true})
	}
}

func (s *Sim) user(id string) *User {
	for _, u := range s.access.users {
		if u.ID == id {
			return u
		}
	}
	return nil
}

func (s *Sim) group(id string) *Group {
	for _, g := range s.access.groups {
		if g.ID == id {
			return g
		}
	}
	return nil
}

func (s *Sim) role(id string) *Role {
	for _, r := range s.access.roles {
		if r.ID == id {
			return r
		}
	}
	return nil
}

func (s *Sim) domain(realm string) *Domain {
	for _, d := range s.access.domains {
		if d.Realm == realm {
			return d
		}
	}
	return nil
}

// User returns a copy of a user's state, for tests.
func (s *Sim) User(id string) (User, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.user(id)
	if u == nil {
		return User{}, false
	}
	cp := *u
	cp.Groups = append([]string(nil), u.Groups...)
	return cp, true
}

// ACLs returns a copy of the access control list, for tests.
func (s *Sim) ACLs() []ACL {
	s.mu.Lock()
	defer s.mu.Unlock()
	return derefAll(s.access.acls)
}

func (s *Sim) hasToken(id string) bool {
	owner, name, _ := strings.Cut(id, "!")
	u := s.user(owner)
	return u != nil && slices.Contains(u.Tokens, name)
}

// aclApplies reports whether an ACL entry names the subject: the user, one
// of its groups, or (for a token) the token itself.
func (s *Sim) aclApplies(a *ACL, subject string) bool {
	switch a.Type {
	case "token", "user":
		return a.UGID == subject
	case "group":
		if u := s.user(subject); u != nil {
			return slices.Contains(u.Groups, a.UGID)
		}
	}
	return false
}

// privsAt is the subject's privileges on path, each 1 when it propagates
// further down. As in Proxmox, the ACL on the most specific path that has
// one for the subject wins over those above it; root@pam has everything.
func (s *Sim) privsAt(subject, path string) map[string]int {
	out := map[string]int{}
	if subject == "root@pam" {
		for _, p := range allPrivs() {
			out[p] = 1
		}
		return out
	}
	best := -1
	var chosen []*ACL
	for _, a := range s.access.acls {
		if !s.aclApplies(a, subject) {
			continue
		}
		exact := a.Path == path
		above := a.Path == "/" || strings.HasPrefix(path, strings.TrimSuffix(a.Path, "/")+"/")
		if !exact && !(above && a.Propagate) {
			continue
		}
		depth := strings.Count(strings.TrimSuffix(a.Path, "/"), "/")
		if a.Path == "/" {
			depth = 0
		}
		switch {
		case depth > best:
			best, chosen = depth, []*ACL{a}
		case depth == best:
			chosen = append(chosen, a)
		}
	}
	for _, a := range chosen {
		prop := 0
		if a.Propagate {
			prop = 1
		}
		for _, r := range s.access.roles {
			if r.ID != a.Role {
				continue
			}
			for _, p := range r.Privs {
				if prop == 1 || out[p] == 0 {
					out[p] = prop
				}
			}
		}
	}
	return out
}

func (s *Sim) dropACLs(match func(*ACL) bool) {
	kept := s.access.acls[:0]
	for _, a := range s.access.acls {
		if !match(a) {
			kept = append(kept, a)
		}
	}
	s.access.acls = kept
}
