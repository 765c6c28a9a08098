package tools

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"

	"github.com/google/jsonschema-go/jsonschema"
)

// verboseProperty is added to the schema of every tool that declares
// Spec.Fields: the one switch back to Proxmox's whole answer.
func verboseProperty() *jsonschema.Schema {
	return &jsonschema.Schema{Type: "boolean", Description: "All fields"}
}

// brief keeps only the keep fields of each object in a list answer, in
// keep's order (identity first reads better than alphabetical), and says
// which others it left out, so the agent knows what verbose would add. An
// answer that is not a list of objects (a task result, say) is returned as
// it came.
func brief(out Output, keep []string) Output {
	var items []map[string]json.RawMessage
	if len(out.Data) == 0 || out.Data[0] != '[' || json.Unmarshal(out.Data, &items) != nil {
		return out
	}
	var dropped []string
	for _, item := range items {
		for k := range item {
			if !slices.Contains(keep, k) && !slices.Contains(dropped, k) {
				dropped = append(dropped, k)
			}
		}
	}
	if len(dropped) == 0 {
		return out
	}
	// Values are Proxmox's own valid JSON and keys are plain names, so the
	// list is written directly rather than through a map marshal.
	data := make([]byte, 0, len(out.Data))
	data = append(data, '[')
	for i, item := range items {
		if i > 0 {
			data = append(data, ',')
		}
		data = append(data, '{')
		first := true
		for _, k := range keep {
			v, ok := item[k]
			if !ok {
				continue
			}
			if !first {
				data = append(data, ',')
			}
			first = false
			data = strconv.AppendQuote(data, k)
			data = append(data, ':')
			data = append(data, v...)
		}
		data = append(data, '}')
	}
	data = append(data, ']')
	slices.Sort(dropped)
	note := "verbose:true adds " + strings.Join(dropped, ", ")
	if out.Note != "" {
		note = out.Note + "\n" + note
	}
	return Output{Data: data, Note: note}
}
