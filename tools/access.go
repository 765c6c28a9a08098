package tools

import (
	"context"
)

type listUsersIn struct {
	Enabled *bool `json:"enabled,omitempty" jsonschema:"Filter by enabled"`
	Full    bool  `json:"full,omitempty" jsonschema:"Include API tokens"`
}

type userIn struct {
	UserID string `json:"userid" jsonschema:"name@realm, e.g. alice@pve" pattern:"^[^\\s:/]+@[A-Za-z][A-Za-z0-9.\\-_]+$" maxlen:"64"`
}

// userProps are the settings create and update share.
type userProps struct {
	Email     string   `json:"email,omitempty" jsonschema:"E-mail" maxlen:"254"`
	FirstName string   `json:"firstname,omitempty" jsonschema:"First name" maxlen:"1024"`
	LastName  string   `json:"lastname,omitempty" jsonschema:"Last name" maxlen:"1024"`
	Groups    []string `json:"groups,omitempty" pve:"groups,join" jsonschema:"Group IDs"`
	Comment   string   `json:"comment,omitempty" jsonschema:"Comment" maxlen:"2048"`
	Enable    *bool    `json:"enable,omitempty" jsonschema:"Enabled (default true)"`
	Expire    *int     `json:"expire,omitempty" jsonschema:"Expiry, Unix time; 0 = never" min:"0"`
}

type createUserIn struct {
	userIn
	// Password is sent to Proxmox once and never returned or logged.
	Password string `json:"password,omitempty" jsonschema:"Initial password (pve realm)" minlen:"8" maxlen:"64"`
	userProps
}

type updateUserIn struct {
	userIn
	userProps
	Append bool `json:"append,omitempty" jsonschema:"Add groups, not replace"`
}

type updateACLIn struct {
	Path      string   `json:"path" jsonschema:"ACL path, e.g. /vms/100" pattern:"^/"`
	Roles     []string `json:"roles" pve:"roles,join" jsonschema:"Role IDs, e.g. PVEVMUser"`
	Users     []string `json:"users,omitempty" pve:"users,join" jsonschema:"User IDs"`
	Groups    []string `json:"groups,omitempty" pve:"groups,join" jsonschema:"Group IDs"`
	Tokens    []string `json:"tokens,omitempty" pve:"tokens,join" jsonschema:"Token IDs (user@realm!name)"`
	Propagate *bool    `json:"propagate,omitempty" jsonschema:"Inherit to sub-paths (default true)"`
	Delete    bool     `json:"delete,omitempty" jsonschema:"Revoke instead of grant"`
}

var (
	getUserCall    = Call{"GET", "/access/users/{userid}"}
	createUserCall = Call{"POST", "/access/users"}
)

// permissionsIn asks for effective privileges: by default the token
// pve-mcp itself uses, which is what decides whether a call gets a 403.
type permissionsIn struct {
	Path   string `json:"path,omitempty" jsonschema:"Only this path, e.g. /vms/100" pattern:"^/"`
	UserID string `json:"userid,omitempty" jsonschema:"User or token (default: the one pve-mcp uses)" pattern:"^[^\\s:/]+@[A-Za-z][A-Za-z0-9.\\-_]+(![A-Za-z][A-Za-z0-9.\\-_]+)?$"`
}

func accessTools() []*Tool {
	return []*Tool{
		Endpoint[listUsersIn](Spec{Name: "pve_list_users", Title: "List users", Tier: ReadOnly, Kind: Read,
			Desc: "List users (enabled, expiry, name, e-mail, groups)."}, "GET", "/access/users"),
		Endpoint[userIn](Spec{Name: "pve_get_user", Title: "Get user", Tier: ReadOnly, Kind: Read,
			Desc: "One user's settings, groups and API tokens."}, "GET", "/access/users/{userid}"),
		Endpoint[EmptyIn](Spec{Name: "pve_list_roles", Title: "List roles", Tier: ReadOnly, Kind: Read,
			Desc: "List roles and privileges; special=1 = built-in."}, "GET", "/access/roles"),
		Endpoint[EmptyIn](Spec{Name: "pve_list_groups", Title: "List groups", Tier: ReadOnly, Kind: Read,
			Desc: "List user groups with their members."}, "GET", "/access/groups"),
		Endpoint[EmptyIn](Spec{Name: "pve_list_acls", Title: "List ACLs", Keywords: []string{"access", "permission", "grant"}, Tier: ReadOnly, Kind: Read,
			Desc: "List ACL entries (path, user/group/token, role)."}, "GET", "/access/acl"),
		Endpoint[permissionsIn](Spec{Name: "pve_get_permissions", Title: "Effective permissions", Tier: ReadOnly, Kind: Read,
			Desc: "Effective privileges per path (1 = inherited below); check before a call Proxmox may refuse with 403."}, "GET", "/access/permissions"),
		Endpoint[EmptyIn](Spec{Name: "pve_list_domains", Title: "List auth realms", Tier: ReadOnly, Kind: Read,
			Desc: "List authentication realms (pam, pve, LDAP, AD, OpenID)."}, "GET", "/access/domains"),
		planned(Custom(Spec{Name: "pve_create_user", Title: "Create user", Tier: Full, Kind: Act,
			Desc: "Create a user; returns it as stored."},
			[]Call{createUserCall, getUserCall},
			func(ctx context.Context, env *Env, in createUserIn) (Output, error) {
				if _, err := env.Call(ctx, createUserCall, &in); err != nil {
					return Output{}, err
				}
				out, err := env.Call(ctx, getUserCall, &in.userIn)
				if err != nil {
					return Output{Note: "User " + in.UserID + " created; reading it back failed: " + err.Error()}, nil
				}
				return out, nil
			}), accessReads, createUserPlan),
		planned(Endpoint[updateUserIn](Spec{Name: "pve_update_user", Title: "Change user", Keywords: []string{"disable", "enable", "expire", "lock", "password"}, Tier: Full, Kind: Set,
			Desc: "Change given user settings; groups replace unless append."}, "PUT", "/access/users/{userid}"), []Call{{"GET", "/access/users/{userid}"}},
			settingsPlanner[updateUserIn](Call{"GET", "/access/users/{userid}"}, Call{"PUT", "/access/users/{userid}"})),
		planned(Endpoint[userIn](Spec{Name: "pve_delete_user", Title: "Delete user", Tier: Full, Kind: Destroy,
			Desc: "Delete a user, its API tokens and its ACL entries."}, "DELETE", "/access/users/{userid}"), accessReads, deleteUserPlan),
		planned(Endpoint[updateACLIn](Spec{Name: "pve_update_acl", Title: "Grant or revoke roles", Tier: Full, Kind: Set,
			Desc: "Grant roles on a path to users, groups or tokens; delete revokes."}, "PUT", "/access/acl"), accessReads, updateACLPlan),
	}
}
