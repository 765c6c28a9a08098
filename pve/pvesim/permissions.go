package pvesim

import "strings"

func (s *Sim) routesPermissions() {
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

func (s *Sim) hasToken(id string) bool {
	owner, name, _ := strings.Cut(id, "!")
	u := s.user(owner)
	return u != nil && contains(u.Tokens, name)
}

// aclApplies reports whether an ACL entry names the subject: the user, one
// of its groups, or (for a token) the token itself.
func (s *Sim) aclApplies(a *ACL, subject string) bool {
	switch a.Type {
	case "token", "user":
		return a.UGID == subject
	case "group":
		if u := s.user(subject); u != nil {
			return contains(u.Groups, a.UGID)
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
