package tools

import (
	"context"
	"encoding/json"
	"strings"
)

type convertQemuTemplateIn struct {
	GuestIn
	Disk string `json:"disk,omitempty" jsonschema:"Convert only this disk to a base image" pattern:"^((ide|sata|scsi|virtio)\\d+|efidisk0|tpmstate0)$"`
}

type downloadURLIn struct {
	NodeIn
	Storage            string `json:"storage" jsonschema:"Target storage (must allow the content type)"`
	URL                string `json:"url" jsonschema:"http(s) URL to fetch" pattern:"^https?://.*"`
	Filename           string `json:"filename" jsonschema:"File name to store, e.g. debian-12.iso; .iso/.img, .tar.zst etc., .ova/.qcow2"`
	Content            string `json:"content" jsonschema:"iso: ISO or disk image, vztmpl: container template, import: VM image" enum:"iso|vztmpl|import"`
	Checksum           string `json:"checksum,omitempty" jsonschema:"Expected checksum (hex); the task fails on mismatch"`
	ChecksumAlgorithm  string `json:"checksum_algorithm,omitempty" pve:"checksum-algorithm" jsonschema:"Algorithm of checksum" enum:"md5|sha1|sha224|sha256|sha384|sha512"`
	VerifyCertificates *bool  `json:"verify_certificates,omitempty" pve:"verify-certificates" jsonschema:"Verify TLS certificates (default true)"`
}

type aplinfoIn struct {
	NodeIn
	Search  string `json:"search,omitempty" pve:"-" jsonschema:"Only entries whose package or headline contains this"`
	Verbose bool   `json:"verbose,omitempty" pve:"-" jsonschema:"All fields (description, location, checksums)"`
}

var aplinfoCall = Call{Method: "GET", Path: "/nodes/{node}/aplinfo"}

// aplinfoFields are the fields of an appliance entry an agent needs to
// choose one and create a container from it.
var aplinfoFields = []string{"template", "package", "os", "section", "version", "headline"}

func templateTools() []*Tool {
	return []*Tool{
		Endpoint[convertQemuTemplateIn](Spec{Name: "pve_convert_qemu_to_template", Tier: Full, Kind: Destroy, Task: true,
			Desc: "Turn a stopped VM into a template for clones; irreversible, it cannot be started again. Returns the task."},
			"POST", "/nodes/{node}/qemu/{vmid}/template").In(QEMU),
		Endpoint[GuestIn](Spec{Name: "pve_convert_lxc_to_template", Tier: Full, Kind: Destroy,
			Desc: "Turn a stopped container into a template for clones; irreversible. Runs as a vztemplate task (see pve_list_tasks)."},
			"POST", "/nodes/{node}/lxc/{vmid}/template").In(LXC),
		Endpoint[downloadURLIn](Spec{Name: "pve_download_url_to_storage", Tier: Full, Kind: Act, OpenWorld: true, Task: true,
			Desc: "Have the node download an ISO, container template or VM image from a URL into a storage, checksum verified if given. Returns the task."},
			"POST", "/nodes/{node}/storage/{storage}/download-url"),
		Custom[aplinfoIn](Spec{Name: "pve_list_appliance_templates", Tier: ReadOnly, Kind: Read,
			Desc: "List the container templates Proxmox offers for download (system and TurnKey), with template name, OS and version."},
			[]Call{aplinfoCall}, listAppliances),
	}
}

func listAppliances(ctx context.Context, env *Env, in aplinfoIn) (Output, error) {
	out, err := env.Call(ctx, aplinfoCall, &in)
	if err != nil {
		return out, err
	}
	var list []map[string]any
	if err := json.Unmarshal(out.Data, &list); err != nil {
		return Output{}, err
	}
	search := strings.ToLower(in.Search)
	res := make([]map[string]any, 0, len(list))
	for _, a := range list {
		pkg, _ := a["package"].(string)
		head, _ := a["headline"].(string)
		if search != "" && !strings.Contains(strings.ToLower(pkg+" "+head), search) {
			continue
		}
		if !in.Verbose {
			short := map[string]any{}
			for _, f := range aplinfoFields {
				if v, ok := a[f]; ok {
					short[f] = v
				}
			}
			a = short
		}
		res = append(res, a)
	}
	return JSON(res)
}
