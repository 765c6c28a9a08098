package tools

import "github.com/google/jsonschema-go/jsonschema"

// scalarSchema is a string, a number or a boolean: what the `extra` maps
// take as values. It is written as anyOf of single types, not as a type
// array: the MCP Inspector's strict check warns on type arrays and some
// model APIs refuse a tool whose schema has one, while every client takes
// anyOf. It validates exactly the same values.
func scalarSchema() *jsonschema.Schema {
	return &jsonschema.Schema{AnyOf: []*jsonschema.Schema{{Type: "string"}, {Type: "number"}, {Type: "boolean"}}}
}

// typeArrays returns the paths in s where a schema declares its type as an
// array (nil when none): tests keep every tool free of them.
func typeArrays(s *jsonschema.Schema, path string) []string {
	if s == nil {
		return nil
	}
	var out []string
	if len(s.Types) > 0 {
		out = append(out, path)
	}
	for k, p := range s.Properties {
		out = append(out, typeArrays(p, path+"."+k)...)
	}
	out = append(out, typeArrays(s.Items, path+"[]")...)
	out = append(out, typeArrays(s.AdditionalProperties, path+"{}")...)
	for i, a := range append(append(append([]*jsonschema.Schema{}, s.AnyOf...), s.OneOf...), s.AllOf...) {
		out = append(out, typeArrays(a, path+"|"+string(rune('0'+i)))...)
	}
	return out
}
