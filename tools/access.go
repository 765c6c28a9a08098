package tools

import (
	"context"
)

type listUsersIn struct {
	Enabled *bool `json:"enabled,omitempty" jsonschema:"Only enabled (true) or disabled (false) users"`
	Full    bool  `json:"full,omitempty" jsonschema:"Include API tokens"`
}

type userIn struct {
	UserID string `json:"userid" jsonschema:"User ID name@realm, e.g. alice@pve" pattern:"^[^\\s:/]+@[A-Za-z][A-Za-z0-9.\\-_]+$"`
}

// userProps are the settings create and update share.
type userProps struct {
	Email     string   `json:"email,omitempty" jsonschema:"E-mail address"`
	FirstName string   `json:"firstname,omitempty" jsonschema:"First name"`
	LastName  string   `json:"lastname,omitempty" jsonschema:"Last name"`
	Groups    []string `json:"groups,omitempty" pve:"groups,join" jsonschema:"Group IDs"`
	Comment   string   `json:"comment,omitempty" jsonschema:"Comment"`
	Enable    *bool    `json:"enable,omitempty" jsonschema:"Account enabled (default true)"`
	Expire    *int     `json:"expire,omitempty" jsonschema:"Expiry, epoch seconds; 0 = never" min:"0"`
}

type createUserIn struct {
	userIn
	// Password is sent to Proxmox once and never returned or logged.
	Password string `json:"password,omitempty" jsonschema:"Initial password (pve realm); never returned"`
	userProps
}

type updateUserIn struct {
	userIn
	userProps
	Append bool `json:"append,omitempty" jsonschema:"Add groups instead of replacing them"`
}

type updateACLIn struct {
	Path      string   `json:"path" jsonschema:"ACL path, e.g. /, /vms/100, /storage/local, /pool/lab" pattern:"^/"`
	Roles     []string `json:"roles" pve:"roles,join" jsonschema:"Role IDs, e.g. PVEVMUser (see pve_list_roles)"`
	Users     []string `json:"users,omitempty" pve:"users,join" jsonschema:"User IDs (name@realm)"`
	Groups    []string `json:"groups,omitempty" pve:"groups,join" jsonschema:"Group IDs"`
	Tokens    []string `json:"tokens,omitempty" pve:"tokens,join" jsonschema:"API token IDs (name@realm!token)"`
	Propagate *bool    `json:"propagate,omitempty" jsonschema:"Inherit to sub-paths (default true)"`
	Delete    bool     `json:"delete,omitempty" jsonschema:"Revoke these roles instead of granting them"`
}

var (
	getUserCall    = Call{"GET", "/access/users/{userid}"}
	createUserCall = Call{"POST", "/access/users"}
)

func accessTools() []*Tool {
	return []*Tool{
		Endpoint[listUsersIn](Spec{Name: "pve_list_users", Tier: ReadOnly, Kind: Read,
			Desc: "List users: userid, enabled, expiry, name, e-mail, groups, realm type."}, "GET", "/access/users"),
		Endpoint[userIn](Spec{Name: "pve_get_user", Tier: ReadOnly, Kind: Read,
			Desc: "One user's settings, groups and API tokens."}, "GET", "/access/users/{userid}"),
		Endpoint[EmptyIn](Spec{Name: "pve_list_roles", Tier: ReadOnly, Kind: Read,
			Desc: "List roles and their privileges; special=1 marks built-in roles."}, "GET", "/access/roles"),
		Endpoint[EmptyIn](Spec{Name: "pve_list_groups", Tier: ReadOnly, Kind: Read,
			Desc: "List user groups with their members."}, "GET", "/access/groups"),
		Endpoint[EmptyIn](Spec{Name: "pve_list_acls", Tier: ReadOnly, Kind: Read,
			Desc: "List ACL entries: path, user/group/token, role, propagate."}, "GET", "/access/acl"),
		Endpoint[EmptyIn](Spec{Name: "pve_list_domains", Tier: ReadOnly, Kind: Read,
			Desc: "List authentication realms (pam, pve, LDAP, AD, OpenID)."}, "GET", "/access/domains"),
		Custom(Spec{Name: "pve_create_user", Tier: Full, Kind: Act,
			Desc: "Create a user (name@realm) and return it as stored, without the password."},
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
			}),
		Endpoint[updateUserIn](Spec{Name: "pve_update_user", Tier: Full, Kind: Set,
			Desc: "Change a user's settings; groups replace the current ones unless append is set."}, "PUT", "/access/users/{userid}"),
		Endpoint[userIn](Spec{Name: "pve_delete_user", Tier: Full, Kind: Destroy,
			Desc: "Delete a user, its API tokens and its ACL entries."}, "DELETE", "/access/users/{userid}"),
		Endpoint[updateACLIn](Spec{Name: "pve_update_acl", Tier: Full, Kind: Set,
			Desc: "Grant roles on a path to users, groups or API tokens, or revoke them with delete."}, "PUT", "/access/acl"),
	}
}
