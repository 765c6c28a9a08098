package tools

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"github.com/google/jsonschema-go/jsonschema"
	"github.com/pve-mcp/pve-mcp/pve"
)

// inputSchema infers the JSON schema of an input struct with the go-sdk's
// jsonschema package, then makes it as strict as the Proxmox API and as small
// as it can be:
//
//   - `enum:"a|b"`, `min:"100"`, `max:"4096"`, `pattern:"^re$"`,
//     `minlen:"5"`, `maxlen:"64"` tags become enum/minimum/maximum/pattern/
//     minLength/maxLength, so an agent cannot build a call Proxmox would
//     reject;
//   - optional fields are simply not required: the ["null", T] unions that
//     pointers and slices infer to are folded back to T;
//   - a `pve:"*"` map of further properties accepts only scalar values
//     (see scalarSchema).
func inputSchema(t reflect.Type) (*jsonschema.Schema, error) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	s, err := jsonschema.ForType(t, &jsonschema.ForOptions{})
	if err != nil {
		return nil, err
	}
	s.PropertyOrder = nil
	for _, f := range pve.Fields(t) {
		p := s.Properties[f.JSON]
		if p == nil {
			continue
		}
		sf := t.FieldByIndex(f.Index)
		if p.Description == "" {
			return nil, fmt.Errorf("field %s has no description (jsonschema tag)", f.JSON)
		}
		if sf.Tag.Get("doc") == "instructions" {
			// Explained once in the server instructions, which every
			// conversation pays for once instead of once per tool.
			p.Description = ""
		}
		dropNull(p)
		if p.Items != nil {
			dropNull(p.Items)
		}
		if f.Extra {
			desc := p.Description
			*p = jsonschema.Schema{
				Type:                 "object",
				Description:          desc,
				AdditionalProperties: scalarSchema(),
			}
			continue
		}
		target := p
		if p.Type == "array" && p.Items != nil {
			target = p.Items
		}
		if v, ok := sf.Tag.Lookup("enum"); ok {
			for _, e := range strings.Split(v, "|") {
				if target.Type == "integer" {
					n, err := strconv.Atoi(e)
					if err != nil {
						return nil, fmt.Errorf("field %s: enum value %q is not an integer", f.JSON, e)
					}
					target.Enum = append(target.Enum, n)
				} else {
					target.Enum = append(target.Enum, e)
				}
			}
		}
		for tag, dst := range map[string]**float64{"min": &target.Minimum, "max": &target.Maximum} {
			if v, ok := sf.Tag.Lookup(tag); ok {
				n, err := strconv.ParseFloat(v, 64)
				if err != nil {
					return nil, fmt.Errorf("field %s: %s tag %q is not a number", f.JSON, tag, v)
				}
				*dst = &n
			}
		}
		if v, ok := sf.Tag.Lookup("pattern"); ok {
			target.Pattern = v
		}
		for tag, dst := range map[string]**int{"minlen": &target.MinLength, "maxlen": &target.MaxLength} {
			if v, ok := sf.Tag.Lookup(tag); ok {
				n, err := strconv.Atoi(v)
				if err != nil || n < 0 {
					return nil, fmt.Errorf("field %s: %s tag %q is not a length", f.JSON, tag, v)
				}
				*dst = &n
			}
		}
	}
	return s, nil
}

func dropNull(p *jsonschema.Schema) {
	if len(p.Types) == 2 && p.Types[0] == "null" {
		p.Type, p.Types = p.Types[1], nil
	}
}
