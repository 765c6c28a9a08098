package tools

import (
	"bytes"
	"encoding/json"

	"github.com/google/jsonschema-go/jsonschema"
)

// Every tool declares what it returns (outputSchema), so an agent chaining
// calls knows the shape before it calls, and every result carries the same
// data as structuredContent. The schema always has an object at its root,
// which every protocol version takes: a list is wrapped as {"items": [...]},
// a single value as {"value": ...}, and a call Proxmox answers with nothing
// (null) as {}. The text content stays the bare JSON an agent reads.
//
// Most tools need no declaration: a tool that starts a task returns the
// task (taskOutput); a list with Spec.Fields returns items with those
// fields; another GET returns Proxmox's object; a change returns nothing.
// outputs declares the rest. TestOutputSchemasMatchReturns checks each
// against the endpoint's returns in the official API schema.

// outKind is the shape of a tool's answer.
type outKind int

const (
	outObject outKind = iota // Proxmox's object (or the tool's own)
	outList                  // a list of objects, wrapped as {"items": [...]}
	outNone                  // nothing: Proxmox answers null
	outValue                 // one scalar, wrapped as {"value": ...}
	outTask                  // a task: its UPID or, with wait, its outcome
)

// output is a tool's declared answer.
type output struct {
	kind outKind
	// fields are the item (outList) or object (outObject) properties
	// declared, by name; their types come from fieldTypes.
	fields []string
	// value is the JSON type of an outValue.
	value string
	// own marks an answer the tool builds itself rather than passing
	// Proxmox's through; the returns check does not apply to it.
	own bool
	// call is the endpoint whose answer the tool returns, when it is not
	// the tool's first call.
	call *Call
	// either is a second shape the answer may take (the tool answers one
	// of two endpoints, or Proxmox answers a task or a plain value).
	either *output
}

func list(fields ...string) output   { return output{kind: outList, fields: fields} }
func object(fields ...string) output { return output{kind: outObject, fields: fields} }
func ownList() output                { return output{kind: outList, own: true} }
func ownObject() output              { return output{kind: outObject, own: true} }

// outputs declares the answers the defaults do not describe.
var outputs = map[string]output{
	// Lists Proxmox answers, item fields not projected.
	"pve_get_node_syslog": list("n", "t"), "pve_get_task_log": list("n", "t"),
	"pve_get_qemu_rrddata": list("time"), "pve_get_lxc_rrddata": list("time"),
	"pve_list_qemu_snapshots": list("name", "description"), "pve_list_lxc_snapshots": list("name", "description"),
	"pve_list_storage": list("storage"), "pve_list_node_storage": list("storage"),
	"pve_list_storage_content": list("volid", "size", "format"),
	"pve_get_cluster_status":   list("type", "id", "name"), "pve_get_cluster_log": list(),
	"pve_list_cluster_backup_info": list(), "pve_get_cluster_ha_status": list(), "pve_list_cluster_replication": list(),
	"pve_list_users": list("userid"), "pve_list_roles": list("roleid"), "pve_list_groups": list("groupid"),
	"pve_list_acls": list("path", "type", "ugid", "roleid"), "pve_list_domains": list("realm", "type"),
	"pve_list_pools": list("poolid"), "pve_list_networks": list("iface", "type"),
	"pve_list_firewall_rules": list("pos", "type", "action"), "pve_list_firewall_aliases": list("name", "cidr"),
	"pve_list_firewall_ipsets": list("name"), "pve_list_backup_jobs": list("id"),
	"pve_list_ha_resources": list("sid"), "pve_list_ha_rules": list("rule"),
	"pve_list_guest_firewall_rules": list("pos", "type", "action"), "pve_get_guest_firewall_log": list("n", "t"),
	"pve_get_lxc_interfaces": list("name", "hwaddr"), "pve_list_sdn_zones": list("zone", "type"),
	"pve_list_sdn_vnets":   list("vnet", "zone"),
	"pve_get_qemu_pending": list("key"), "pve_get_lxc_pending": list("key"),
	// The pending view, or with type the generated file's text.
	"pve_get_qemu_cloudinit": {kind: outList, fields: []string{"key"}, either: &output{kind: outValue, value: "string",
		call: &Call{Method: "GET", Path: "/nodes/{node}/qemu/{vmid}/cloudinit/dump"}}},
	// A backup of guests none of which is on the node answers "OK", no task.
	"pve_run_backup": {kind: outTask, either: &output{kind: outValue, value: "string"}},
	// Objects Proxmox answers, with the fields an agent acts on (the rest
	// are there too, as Proxmox sends them).
	"pve_get_qemu_status": object("vmid", "status", "qmpstatus", "name", "lock", "cpu", "cpus", "mem", "maxmem", "uptime"),
	"pve_get_lxc_status":  object("vmid", "status", "name", "lock", "cpu", "cpus", "mem", "maxmem", "uptime"),
	"pve_get_qemu_config": object("digest", "name", "cores", "tags"), "pve_get_lxc_config": object("digest", "hostname", "cores", "tags"),
	"pve_get_node_version": object("version", "release", "repoid"), "pve_get_node_time": object("time", "timezone", "localtime"),
	"pve_get_storage_status": object("type", "total", "used", "avail", "active", "enabled", "shared", "content"),
	"pve_get_task_status":    object("upid", "node", "type", "id", "user", "status", "exitstatus", "starttime"),
	"pve_get_backup_job":     object("id", "schedule", "storage", "enabled"), "pve_get_disk_smart": object("health", "type"),
	"pve_get_node_dns": object("search", "dns1"),
	// Answers the tools build.
	"pve_find_guests": ownList(), "pve_list_clusters": ownList(), "pve_get_cluster_summary": ownObject(), "pve_get_pool": ownObject(),
	"pve_list_ceph_osds": ownObject(), "pve_list_replication_status": ownList(),
	"pve_wait_task": {kind: outTask, own: true}, "pve_get_next_vmid": {kind: outValue, value: "integer"},
	// Changes Proxmox answers with an object.
	"pve_create_storage": {kind: outObject}, "pve_update_storage": {kind: outObject},
	"pve_ping_qemu_agent": {kind: outObject}, "pve_exec_qemu_agent_command": ownObject(),
	"pve_write_qemu_agent_file": ownObject(),
	// Creations that answer what they created.
	"pve_create_user": ownObject(), "pve_create_backup_job": ownObject(),
	"pve_create_firewall_rule": ownObject(), "pve_create_guest_firewall_rule": ownObject(),
	// Changes whose first call only reads.
	"pve_update_network": {kind: outNone, call: &Call{Method: "PUT", Path: "/nodes/{node}/network/{iface}"}},
}

// fieldTypes are the JSON schemas of the fields outputs and Spec.Fields
// name; fieldOverrides where one tool's field of that name differs.
var (
	fieldTypes = map[string]string{
		"vmid": "integer", "name": "string", "node": "string", "type": "string", "status": "string",
		"qmpstatus": "string", "lock": "string", "tags": "string", "template": "boolean",
		"cpu": "number", "cpus": "number", "maxcpu": "number", "mem": "integer", "maxmem": "integer",
		"disk": "integer", "maxdisk": "integer", "uptime": "integer", "id": "string", "pool": "string",
		"hastate": "string", "storage": "string", "content": "string", "plugintype": "string",
		"shared": "boolean", "sdn": "string", "network": "string",
		"service": "string", "state": "string", "active-state": "string", "unit-state": "string",
		"devpath": "string", "parent": "string", "size": "integer", "model": "string", "serial": "string",
		"used": "string", "osdid": "integer", "health": "string", "wearout": "number",
		"Package": "string", "OldVersion": "string", "Version": "string", "Priority": "string", "Origin": "string",
		"upid": "string", "user": "string", "starttime": "integer", "endtime": "integer",
		"package": "string", "os": "string", "section": "string", "version": "string", "headline": "string",
		"n": "integer", "t": "string", "time": "integer", "description": "string",
		"volid": "string", "format": "string", "userid": "string", "roleid": "string", "groupid": "string",
		"path": "string", "ugid": "string", "realm": "string", "poolid": "string", "iface": "string",
		"pos": "integer", "action": "string", "cidr": "string", "sid": "string", "rule": "string",
		"hwaddr": "string", "zone": "string", "vnet": "string", "key": "string",
		"digest": "string", "cores": "integer", "hostname": "string", "release": "string", "repoid": "string",
		"timezone": "string", "localtime": "integer", "total": "integer", "avail": "integer",
		"active": "boolean", "enabled": "boolean", "exitstatus": "string", "schedule": "string",
		"search": "string", "dns1": "string",
	}
	fieldOverrides = map[string]map[string]string{
		"pve_list_appliance_templates": {"template": "string"},
		"pve_get_storage_status":       {"used": "integer"},
	}
)

// outputOf returns the tool's declared answer, defaults applied.
func (t *Tool) outputOf() output {
	if o, ok := outputs[t.Name]; ok {
		return o
	}
	switch {
	case t.Task:
		return output{kind: outTask}
	case len(t.Fields) > 0:
		return list(t.Fields...)
	case len(t.Calls) > 0 && t.Calls[0].Method != "GET":
		return output{kind: outNone}
	}
	return output{kind: outObject}
}

// fieldSchema is one declared field: Proxmox's booleans come as 0/1 or as
// JSON booleans, so a boolean field takes both.
func (t *Tool) fieldSchema(name string) *jsonschema.Schema {
	typ := fieldTypes[name]
	if o, ok := fieldOverrides[t.Name][name]; ok {
		typ = o
	}
	if typ == "boolean" {
		zero, one := 0.0, 1.0
		return &jsonschema.Schema{AnyOf: []*jsonschema.Schema{{Type: "boolean"}, {Type: "integer", Minimum: &zero, Maximum: &one}}}
	}
	return &jsonschema.Schema{Type: typ}
}

// outputSchema is the schema of the tool's structuredContent.
func (t *Tool) outputSchema() *jsonschema.Schema {
	s := t.baseOutputSchema()
	if t.DryRun() {
		// Or a dry run's plan (dryrun.go).
		return &jsonschema.Schema{Type: "object", AnyOf: []*jsonschema.Schema{s, planSchema()}}
	}
	return s
}

func (t *Tool) baseOutputSchema() *jsonschema.Schema {
	o := t.outputOf()
	if o.either != nil {
		a, b := o, *o.either
		a.either = nil
		return &jsonschema.Schema{Type: "object", AnyOf: []*jsonschema.Schema{t.schemaOf(a), t.schemaOf(b)}}
	}
	return t.schemaOf(o)
}

func (t *Tool) schemaOf(o output) *jsonschema.Schema {
	props := func() map[string]*jsonschema.Schema {
		m := map[string]*jsonschema.Schema{}
		for _, f := range o.fields {
			m[f] = t.fieldSchema(f)
		}
		return m
	}
	switch o.kind {
	case outList:
		// No items when Proxmox answers null (a stopped container's interfaces).
		return &jsonschema.Schema{Type: "object", AdditionalProperties: falseSchema(), Properties: map[string]*jsonschema.Schema{
			"items": {Type: "array", Items: &jsonschema.Schema{Type: "object", Properties: props()}}}}
	case outNone:
		return &jsonschema.Schema{Type: "object", AdditionalProperties: falseSchema()}
	case outValue:
		return &jsonschema.Schema{Type: "object", Required: []string{"value"}, AdditionalProperties: falseSchema(),
			Properties: map[string]*jsonschema.Schema{"value": {Type: o.value}}}
	case outTask:
		return taskSchema()
	}
	return &jsonschema.Schema{Type: "object", Properties: props()}
}

// falseSchema allows nothing: no property beyond the declared ones.
func falseSchema() *jsonschema.Schema { return &jsonschema.Schema{Not: &jsonschema.Schema{}} }

// taskSchema is a started task (UPID) or, with wait, its outcome
// (TaskResult). It names the fields an agent branches on; the UPID's parts
// (node, type, id, user, starttime) and a failed task's log come too. 44
// tools carry it, so every byte counts in tools/list.
func taskSchema() *jsonschema.Schema {
	// Each property its own schema: a schema is a tree, not a graph.
	typ := func(t string) *jsonschema.Schema { return &jsonschema.Schema{Type: t} }
	return &jsonschema.Schema{Type: "object", Required: []string{"upid"}, Properties: map[string]*jsonschema.Schema{
		"upid": typ("string"), "status": {Enum: []any{"running", "stopped"}}, "exitstatus": typ("string"),
		"ok": typ("boolean"), "seconds": typ("number"), "guest_status": typ("string"),
	}}
}

// structured is a result's data as structuredContent: an object as it is,
// a list as {"items": ...}, any other value as {"value": ...}, nothing as
// {}; nil when data is not whole JSON (a result cut as text).
func structured(data []byte) json.RawMessage {
	data = bytes.TrimSpace(data)
	switch {
	case len(data) == 0 || string(data) == "null":
		return json.RawMessage("{}")
	case !json.Valid(data):
		return nil
	case data[0] == '{':
		return json.RawMessage(data)
	case data[0] == '[':
		return json.RawMessage(`{"items":` + string(data) + `}`)
	}
	return json.RawMessage(`{"value":` + string(data) + `}`)
}
