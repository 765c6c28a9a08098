package tools

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"strings"
)

type getCloudinitIn struct {
	GuestIn
	// Local here and sent by cloudinitDumpIn: the schema test would check a
	// "type" against /cluster/resources too (node lookup), whose type differs.
	Type string `json:"type,omitempty" pve:"-" jsonschema:"Render this generated file" enum:"user|network|meta"`
}

// cloudinitDumpIn is what GET .../cloudinit/dump receives.
type cloudinitDumpIn struct {
	GuestIn
	Type string `json:"type"`
}

// reCIExtra are the extra properties pve_set_qemu_cloudinit accepts: the
// tool changes cloud-init, never the rest of the VM.
var reCIExtra = regexp.MustCompile(`^(ipconfig\d+|cicustom|ciupgrade)$`)

type setCloudinitIn struct {
	GuestIn
	CIUser       string         `json:"ciuser,omitempty" jsonschema:"User (default: image's)"`
	CIPassword   string         `json:"cipassword,omitempty" jsonschema:"Its password"`
	SSHKeys      []string       `json:"sshkeys,omitempty" pve:"sshkeys,join" jsonschema:"Public SSH keys; replaces the list"`
	IPConfig0    string         `json:"ipconfig0,omitempty" jsonschema:"net0 IP: ip=dhcp or ip=CIDR,gw=IP"`
	Nameserver   string         `json:"nameserver,omitempty" jsonschema:"DNS servers, space-separated"`
	Searchdomain string         `json:"searchdomain,omitempty" jsonschema:"DNS search domain"`
	CIType       string         `json:"citype,omitempty" jsonschema:"Default nocloud (Windows: configdrive2)" enum:"configdrive2|nocloud|opennebula"`
	Delete       []string       `json:"delete,omitempty" pve:"delete,join" jsonschema:"Settings to remove" pattern:"^(ci\\w+|sshkeys|nameserver|searchdomain|ipconfig\\d+)$"`
	Extra        map[string]any `json:"extra,omitempty" pve:"*" jsonschema:"ipconfigN, cicustom, ciupgrade, e.g. {\"ipconfig1\":\"ip=dhcp\"}"`
}

var (
	getCloudinitCalls = []Call{
		{Method: "GET", Path: "/nodes/{node}/qemu/{vmid}/cloudinit"},
		{Method: "GET", Path: "/nodes/{node}/qemu/{vmid}/cloudinit/dump"},
	}
	setCloudinitCall = Call{Method: "PUT", Path: "/nodes/{node}/qemu/{vmid}/config"}
)

func cloudinitTools() []*Tool {
	return []*Tool{
		Custom[getCloudinitIn](Spec{Name: "pve_get_qemu_cloudinit", Title: "VM cloud-init settings", Tier: ReadOnly, Kind: Read,
			Desc: "A VM's cloud-init settings with pending changes, or a generated file."},
			getCloudinitCalls, func(ctx context.Context, env *Env, in getCloudinitIn) (Output, error) {
				if in.Type == "" {
					return env.Call(ctx, getCloudinitCalls[0], &in)
				}
				return env.Call(ctx, getCloudinitCalls[1], &cloudinitDumpIn{GuestIn: in.GuestIn, Type: in.Type})
			}),
		planned(Custom[setCloudinitIn](Spec{Name: "pve_set_qemu_cloudinit", Title: "Set VM cloud-init", Tier: Full, Kind: Set,
			Desc: "Set a VM's cloud-init user, keys, IPs, DNS; applied at next start or regenerate."},
			[]Call{setCloudinitCall}, func(ctx context.Context, env *Env, in setCloudinitIn) (Output, error) {
				if err := prepCloudinit(&in); err != nil {
					return Output{}, err
				}
				return env.Call(ctx, setCloudinitCall, &in)
			}), nil, setCloudinitPlan),
		planned(Endpoint[GuestIn](Spec{Name: "pve_regenerate_qemu_cloudinit", Title: "Regenerate cloud-init drive", Tier: Full, Kind: Set,
			Desc: "Rebuild a VM's cloud-init drive now, even while it runs."},
			regenerateCloudinitCall.Method, regenerateCloudinitCall.Path), []Call{getCloudinitCalls[0]}, regenerateCloudinitPlan),
	}
}

var regenerateCloudinitCall = Call{Method: "PUT", Path: "/nodes/{node}/qemu/{vmid}/cloudinit"}

// prepCloudinit checks extra holds only cloud-init settings and encodes
// the SSH keys as Proxmox wants them.
func prepCloudinit(in *setCloudinitIn) error {
	for k := range in.Extra {
		if !reCIExtra.MatchString(k) {
			return fmt.Errorf("extra property %q is not a cloud-init setting (use pve_update_qemu_config for other settings)", k)
		}
	}
	if len(in.SSHKeys) > 0 {
		enc, err := encodeSSHKeys(in.SSHKeys)
		if err != nil {
			return err
		}
		in.SSHKeys = []string{enc}
	}
	return nil
}

// encodeSSHKeys joins public keys one per line and percent-encodes them as
// Proxmox's sshkeys option requires (its urlencoded format allows only
// [-%a-zA-Z0-9_.!~*'()], so spaces become %20, never +).
func encodeSSHKeys(keys []string) (string, error) {
	var lines []string
	for _, item := range keys {
		for _, k := range strings.Split(item, "\n") {
			k = strings.TrimSpace(k)
			if k == "" {
				continue
			}
			if strings.Contains(k, "PRIVATE KEY") {
				return "", fmt.Errorf("sshkeys takes public keys; that is a private key: do not send it anywhere")
			}
			if !reSSHPublicKey.MatchString(k) {
				return "", fmt.Errorf("sshkeys: %.20q... is not an OpenSSH public key line (type base64 [comment])", k)
			}
			lines = append(lines, k)
		}
	}
	if len(lines) == 0 {
		return "", fmt.Errorf("sshkeys holds no key; use delete [\"sshkeys\"] to remove the keys")
	}
	return strings.ReplaceAll(url.QueryEscape(strings.Join(lines, "\n")), "+", "%20"), nil
}

var reSSHPublicKey = regexp.MustCompile(`^(?:\S+\s+)?(ssh-(rsa|dss|ed25519)|ecdsa-sha2-nistp(256|384|521)|sk-(ssh-ed25519|ecdsa-sha2-nistp256)@openssh\.com)\s+[A-Za-z0-9+/]+={0,3}(\s.*)?$`)
