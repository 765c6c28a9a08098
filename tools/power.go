package tools

import "fmt"

// Power actions of VMs and containers differ only in data, so they are
// declared as a table and built by one function.

type stopIn struct {
	GuestIn
	OverruleShutdown bool `json:"overrule_shutdown,omitempty" pve:"overrule-shutdown" jsonschema:"Abort a running shutdown first"`
}

type shutdownIn struct {
	GuestIn
	Timeout   *int `json:"timeout,omitempty" jsonschema:"Wait for clean stop, s" min:"0"`
	ForceStop bool `json:"forceStop,omitempty" jsonschema:"Hard-stop after timeout"`
}

type rebootIn struct {
	GuestIn
	Timeout *int `json:"timeout,omitempty" jsonschema:"Shutdown timeout, s" min:"0"`
}

type powerAction struct {
	verb  string
	title string // "Start" in "Start VM"
	kind  Kind
	desc  string // %s is "VM" or "container"
	lxc   bool   // containers have it too
	new   func(spec Spec, guest, verb, path string) *Tool
}

// endpointOf builds a power tool with its dry-run planner.
func endpointOf[In guestInput]() func(Spec, string, string, string) *Tool {
	return func(s Spec, guest, verb, path string) *Tool {
		call := Call{Method: "POST", Path: path}
		return planned(Endpoint[In](s, call.Method, call.Path), guestStatusReads, powerPlanner[In](guest, verb, call))
	}
}

var powerActions = []powerAction{
	{"start", "Start", Act, "Start a stopped %s.", true, endpointOf[GuestIn]()},
	{"stop", "Hard-stop", Destroy, "Hard-stop a %s: unsaved data is lost; prefer shutdown.", true, endpointOf[stopIn]()},
	{"shutdown", "Shut down", Act, "Shut down a %s cleanly.", true, endpointOf[shutdownIn]()},
	{"reboot", "Reboot", Act, "Reboot a %s cleanly, applying pending changes.", true, endpointOf[rebootIn]()},
	{"suspend", "Suspend", Act, "Pause a running %s in memory.", true, endpointOf[GuestIn]()},
	{"resume", "Resume", Act, "Resume a suspended %s.", true, endpointOf[GuestIn]()},
	{"reset", "Reset", Destroy, "Hard-reset a %s; unsaved data is lost.", false, endpointOf[GuestIn]()},
}

// powerTools builds the power tools of one guest type: "qemu" or "lxc".
func powerTools(guest string) []*Tool {
	noun, suffix := "VM", "qemu_vm"
	if guest == "lxc" {
		noun, suffix = "container", "lxc_container"
	}
	var out []*Tool
	for _, a := range powerActions {
		if guest == "lxc" && !a.lxc {
			continue
		}
		spec := Spec{
			Name:  fmt.Sprintf("pve_%s_%s", a.verb, suffix),
			Title: a.title + " " + noun,
			Tier:  ReadExecute,
			Kind:  a.kind,
			Task:  true,
			Desc:  fmt.Sprintf(a.desc, noun),
		}
		out = append(out, a.new(spec, guest, a.verb, fmt.Sprintf("/nodes/{node}/%s/{vmid}/status/%s", guest, a.verb)))
	}
	return out
}
