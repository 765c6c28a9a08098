package tools

import (
	"bytes"
	"encoding/json"
	"strings"
)

// Some Proxmox answers differ from the type its own schema declares. An
// agent must not get a number from one cluster and a string from another,
// so unquirk puts them into the schema's type before the answer goes out.
// (internal/apischema/undocumented.go lists the same quirks for the tests.)

// stringIntegers are the calls whose integer answer Proxmox sends as a
// JSON string: GET /cluster/nextid answers "105".
var stringIntegers = map[Call]bool{
	{Method: "GET", Path: "/cluster/nextid"}: true,
}

// unquirk returns raw with a quirk of call undone.
func unquirk(call Call, raw json.RawMessage) json.RawMessage {
	if !stringIntegers[call] {
		return raw
	}
	var s string
	if json.Unmarshal(bytes.TrimSpace(raw), &s) != nil || s == "" || strings.Trim(s, "0123456789") != "" {
		return raw
	}
	return json.RawMessage(s)
}
