package tools

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// The planners of the access tools: the ACL entries a grant adds or a
// revoke removes, a new user's settings, and what goes with a user (its
// tokens and ACL entries); with what Proxmox refuses (unknown roles,
// users, groups, tokens or realm, a user that exists).

var accessReads = []Call{aclListCall, {"GET", "/access/roles"}, {"GET", "/access/groups"}, {"GET", "/access/users"}, {"GET", "/access/domains"}, getUserCall}

// aclEntry is one ACL entry of GET /access/acl.
type aclEntry struct {
	Path      string `json:"path"`
	Type      string `json:"type"`
	UGID      string `json:"ugid"`
	Role      string `json:"roleid"`
	Propagate flag   `json:"propagate"`
}

func (a aclEntry) String() string {
	s := a.Path + " " + a.Type + " " + a.UGID + " " + a.Role
	if !a.Propagate {
		s += " (no propagate)"
	}
	return s
}

// aclsOn reads the ACL entries that keep says.
func (env *Env) aclsOn(ctx context.Context, keep func(aclEntry) bool) ([]aclEntry, error) {
	var all []aclEntry
	if err := env.PVE.Get(ctx, aclListCall.Path, nil, &all); err != nil {
		return nil, err
	}
	return slices.DeleteFunc(all, func(a aclEntry) bool { return !keep(a) }), nil
}

// idsAt reads a list and returns each entry's key.
func (env *Env) idsAt(ctx context.Context, path, key string) ([]string, error) {
	var list []map[string]any
	if err := env.PVE.Get(ctx, path, nil, &list); err != nil {
		return nil, err
	}
	ids := make([]string, len(list))
	for i, m := range list {
		ids[i] = textOf(m[key])
	}
	return ids, nil
}

// missing states in p each name Proxmox would not find among known.
func missing(p *Plan, names []string, known []string, format string) {
	for _, n := range names {
		if !slices.Contains(known, n) {
			p.fail(format, n)
		}
	}
}

func updateACLPlan(ctx context.Context, env *Env, in updateACLIn) (*Plan, error) {
	p, _, err := env.startPlan(ctx, Call{"PUT", "/access/acl"}, &in)
	if err != nil {
		return nil, err
	}
	if len(in.Users)+len(in.Groups)+len(in.Tokens) == 0 {
		p.fail("either 'users', 'groups' or 'tokens' is required")
		return p, nil
	}
	roles, err := env.idsAt(ctx, "/access/roles", "roleid")
	if err != nil {
		return nil, err
	}
	missing(p, in.Roles, roles, "role '%s' does not exist")
	if len(in.Groups) > 0 {
		groups, err := env.idsAt(ctx, "/access/groups", "groupid")
		if err != nil {
			return nil, err
		}
		missing(p, in.Groups, groups, "group '%s' does not exist")
	}
	if len(in.Users)+len(in.Tokens) > 0 {
		var users []struct {
			UserID string `json:"userid"`
			Tokens []struct {
				TokenID string `json:"tokenid"`
			} `json:"tokens"`
		}
		if err := env.PVE.Get(ctx, "/access/users", map[string][]string{"full": {"1"}}, &users); err != nil {
			return nil, err
		}
		var ids, tokens []string
		for _, u := range users {
			ids = append(ids, u.UserID)
			for _, t := range u.Tokens {
				tokens = append(tokens, u.UserID+"!"+t.TokenID)
			}
		}
		missing(p, in.Users, ids, "user '%s' does not exist")
		missing(p, in.Tokens, tokens, "no such token '%s'")
	}
	path := "/" + strings.Trim(in.Path, "/")
	now, err := env.aclsOn(ctx, func(a aclEntry) bool { return a.Path == path })
	if err != nil {
		return nil, err
	}
	propagate := in.Propagate == nil || *in.Propagate
	state := map[bool]string{true: "granted", false: "granted (no propagate)"}
	subjects := map[string][]string{"user": in.Users, "group": in.Groups, "token": in.Tokens}
	for _, typ := range []string{"user", "group", "token"} {
		for _, id := range subjects[typ] {
			for _, role := range in.Roles {
				key := fmt.Sprintf("%s %s %s %s", path, typ, id, role)
				i := slices.IndexFunc(now, func(a aclEntry) bool { return a.Type == typ && a.UGID == id && a.Role == role })
				var cur *string
				if i >= 0 {
					s := state[bool(now[i].Propagate)]
					cur = &s
				}
				switch {
				case in.Delete && cur == nil:
					p.note("%s is not granted: nothing to revoke", key)
				case in.Delete:
					p.Changes = append(p.Changes, Change{Key: key, Now: cur, Removed: true})
				case cur != nil && *cur == state[propagate]:
					p.note("%s is already granted", key)
				default:
					p.Changes = append(p.Changes, Change{Key: key, Now: cur, To: state[propagate]})
				}
			}
		}
	}
	return p, nil
}

func createUserPlan(ctx context.Context, env *Env, in createUserIn) (*Plan, error) {
	p, params, err := env.startPlan(ctx, createUserCall, &in)
	if err != nil {
		return nil, err
	}
	users, err := env.idsAt(ctx, "/access/users", "userid")
	if err != nil {
		return nil, err
	}
	if slices.Contains(users, in.UserID) {
		p.fail("create user failed: user '%s' already exists", in.UserID)
	}
	realms, err := env.idsAt(ctx, "/access/domains", "realm")
	if err != nil {
		return nil, err
	}
	_, realm, _ := strings.Cut(in.UserID, "@")
	missing(p, []string{realm}, realms, "create user failed: no such realm '%s'")
	if len(in.Groups) > 0 {
		groups, err := env.idsAt(ctx, "/access/groups", "groupid")
		if err != nil {
			return nil, err
		}
		missing(p, in.Groups, groups, "create user failed: no such group '%s'")
	}
	if in.Password != "" && realm != "pve" {
		p.note("realm %s keeps its own passwords: the password is not set here", realm)
	}
	p.Changes = newSettings(params, "userid")
	return p, nil
}

func deleteUserPlan(ctx context.Context, env *Env, in userIn) (*Plan, error) {
	p, _, err := env.startPlan(ctx, Call{"DELETE", getUserCall.Path}, &in)
	if err != nil {
		return nil, err
	}
	var u struct {
		Email  string              `json:"email"`
		Groups []string            `json:"groups"`
		Tokens map[string]struct{} `json:"tokens"`
	}
	if err := env.getAt(ctx, getUserCall, map[string]string{"userid": in.UserID}, nil, &u); err != nil {
		return p, p.failOn(err)
	}
	p.Destroys = []string{"user " + in.UserID}
	for _, t := range sortedKeys(u.Tokens) {
		p.Destroys = append(p.Destroys, "API token "+in.UserID+"!"+t)
	}
	acls, err := env.aclsOn(ctx, func(a aclEntry) bool {
		return a.Type == "user" && a.UGID == in.UserID || a.Type == "token" && strings.HasPrefix(a.UGID, in.UserID+"!")
	})
	if err != nil {
		return nil, err
	}
	for _, a := range acls {
		p.Destroys = append(p.Destroys, "ACL "+a.String())
	}
	if len(u.Groups) > 0 {
		p.note("leaves groups %s", strings.Join(u.Groups, ", "))
	}
	return p, nil
}
