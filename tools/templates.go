package tools

import (
	"context"
	"encoding/json"
	"strings"
)

type convertQemuTemplateIn struct {
	GuestIn
	Disk string `json:"disk,omitempty" jsonschema:"Convert only this disk" pattern:"^(ide[0-3]|sata[0-5]|scsi([12]?\\d|30)|virtio(1[0-5]|\\d)|efidisk0|tpmstate0)$"`
}

type downloadURLIn struct {
	NodeIn
	Storage            string `json:"storage" jsonschema:"Target storage"`
	URL                string `json:"url" jsonschema:"URL to fetch" pattern:"^https?://.*"`
	Filename           string `json:"filename" jsonschema:"File name; extension must suit content" maxlen:"255"`
	Content            string `json:"content" jsonschema:"vztmpl: CT template, import: VM image" enum:"iso|vztmpl|import"`
	Checksum           string `json:"checksum,omitempty" jsonschema:"Expected hex checksum"`
	ChecksumAlgorithm  string `json:"checksum_algorithm,omitempty" pve:"checksum-algorithm" jsonschema:"Checksum algorithm" enum:"md5|sha1|sha224|sha256|sha384|sha512"`
	VerifyCertificates *bool  `json:"verify_certificates,omitempty" pve:"verify-certificates" jsonschema:"Verify TLS (default true)"`
}

type aplinfoIn struct {
	NodeIn
	Search string `json:"search,omitempty" pve:"-" jsonschema:"Filter on package or headline"`
}

var aplinfoCall = Call{Method: "GET", Path: "/nodes/{node}/aplinfo"}

// aplinfoFields are the fields of an appliance entry an agent needs to
// choose one and create a container from it.
var aplinfoFields = []string{"template", "package", "os", "section", "version", "headline"}

func templateTools() []*Tool {
	return []*Tool{
		planned(Endpoint[convertQemuTemplateIn](Spec{Name: "pve_convert_qemu_to_template", Title: "Convert VM to template", Tier: Full, Kind: Destroy, Task: true,
			Desc: "Turn a stopped VM into a template for clones; irreversible."},
			"POST", "/nodes/{node}/qemu/{vmid}/template").In(QEMU), nil,
			templatePlanner("qemu", Call{"POST", "/nodes/{node}/qemu/{vmid}/template"}, func(in convertQemuTemplateIn) string { return in.Disk })),
		planned(Endpoint[GuestIn](Spec{Name: "pve_convert_lxc_to_template", Title: "Convert container to template", Tier: Full, Kind: Destroy,
			Desc: "Turn a stopped container into a template; irreversible (vztemplate task)."},
			"POST", "/nodes/{node}/lxc/{vmid}/template").In(LXC), nil,
			templatePlanner("lxc", Call{"POST", "/nodes/{node}/lxc/{vmid}/template"}, func(GuestIn) string { return "" })),
		planned(Endpoint[downloadURLIn](Spec{Name: "pve_download_url_to_storage", Title: "Download URL to storage", Tier: Full, Kind: Act, OpenWorld: true, Task: true,
			Desc: "Download an ISO, CT template or VM image from a URL to a storage."},
			downloadCall.Method, downloadCall.Path), []Call{resourcesCall, storageContentCall}, downloadPlan),
		Custom[aplinfoIn](Spec{Name: "pve_list_appliance_templates", Title: "List appliance templates", Tier: ReadOnly, Kind: Read, Fields: aplinfoFields,
			Desc: "List downloadable container templates (system, TurnKey) with OS and version."},
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
		res = append(res, a)
	}
	return JSON(res)
}
