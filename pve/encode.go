package pve

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// Field describes how one input struct field reaches Proxmox.
//
// Tags: `json:"name"` is the field's name for the agent; by default it is also
// the Proxmox parameter name. `pve:"api-name"` renames it (Proxmox spells many
// parameters with hyphens), `pve:"-"` keeps it local to the tool (wait,
// fields, ...), `pve:"*"` marks a map[string]any of further Proxmox
// properties, and the option `,join` sends a []string as one comma list.
type Field struct {
	JSON     string // name the agent uses
	API      string // name Proxmox receives ("" for local fields)
	Index    []int
	Type     reflect.Type
	Extra    bool // map of further properties
	Join     bool // []string sent as one comma-separated value
	Optional bool // omitempty/omitzero or pointer
}

var fieldCache sync.Map // reflect.Type -> []Field

// Fields lists the fields of a struct type as the encoder sees them,
// promoted fields of embedded structs included.
func Fields(t reflect.Type) []Field {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if v, ok := fieldCache.Load(t); ok {
		return v.([]Field)
	}
	var out []Field
	for _, sf := range reflect.VisibleFields(t) {
		if sf.Anonymous || !sf.IsExported() {
			continue
		}
		jname, jopts, _ := strings.Cut(sf.Tag.Get("json"), ",")
		if jname == "-" {
			continue
		}
		if jname == "" {
			jname = sf.Name
		}
		f := Field{JSON: jname, API: jname, Index: sf.Index, Type: sf.Type}
		f.Optional = strings.Contains(jopts, "omitempty") || strings.Contains(jopts, "omitzero") || sf.Type.Kind() == reflect.Pointer
		if tag, ok := sf.Tag.Lookup("pve"); ok {
			name, opts, _ := strings.Cut(tag, ",")
			switch name {
			case "-":
				f.API = ""
			case "*":
				f.API, f.Extra = "", true
			case "":
			default:
				f.API = name
			}
			f.Join = opts == "join"
		}
		out = append(out, f)
	}
	fieldCache.Store(t, out)
	return out
}

// Encode splits an input struct into path values (fields whose JSON name is a
// placeholder of the path template) and Proxmox parameters, encoded as
// Proxmox's own tools send them: booleans 0/1, lists as repeated keys or one
// comma list, unset optional fields left out.
func Encode(in any, placeholders []string) (path map[string]string, params Values, err error) {
	v := reflect.ValueOf(in)
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return map[string]string{}, Values{}, nil
		}
		v = v.Elem()
	}
	isPath := map[string]bool{}
	for _, p := range placeholders {
		isPath[p] = true
	}
	path = map[string]string{}
	params = Values{}
	var extras []reflect.Value
	for _, f := range Fields(v.Type()) {
		fv := v.FieldByIndex(f.Index)
		if f.Extra {
			extras = append(extras, fv)
			continue
		}
		if isPath[f.JSON] {
			if s, ok := scalar(fv); ok {
				path[f.JSON] = s
			}
			continue
		}
		if f.API == "" {
			continue
		}
		if err := addValue(params, f, fv); err != nil {
			return nil, nil, err
		}
	}
	for _, m := range extras {
		if m.Kind() != reflect.Map || m.IsNil() {
			continue
		}
		keys := m.MapKeys()
		sort.Slice(keys, func(i, j int) bool { return keys[i].String() < keys[j].String() })
		for _, k := range keys {
			name := k.String()
			if _, dup := params[name]; dup || isPath[name] {
				return nil, nil, fmt.Errorf("property %q is given twice: once as a named argument and once in the extra properties", name)
			}
			if !validProperty(name) {
				return nil, nil, fmt.Errorf("invalid property name %q: Proxmox names its properties with letters, digits, '-' and '_' (e.g. net0, prune-backups)", name)
			}
			s, err := extraValue(m.MapIndex(k).Interface())
			if err != nil {
				return nil, nil, fmt.Errorf("property %q: %w", name, err)
			}
			params.Set(name, s)
		}
	}
	return path, params, nil
}

// validProperty reports whether name has the form of every parameter name
// in the Proxmox API schema (net0, prune-backups, forceStop), so a stray
// space, '=' or '&' is refused here with a clear message.
func validProperty(name string) bool {
	if name == "" || len(name) > 128 {
		return false
	}
	for i, r := range name {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
		case i > 0 && (r >= '0' && r <= '9' || r == '-' || r == '_'):
		default:
			return false
		}
	}
	return true
}

func addValue(params Values, f Field, fv reflect.Value) error {
	if fv.Kind() == reflect.Pointer {
		if fv.IsNil() {
			return nil
		}
		fv = fv.Elem()
	} else if f.Optional && fv.IsZero() {
		return nil
	}
	switch fv.Kind() {
	case reflect.Slice:
		if fv.Len() == 0 {
			return nil
		}
		var items []string
		for i := 0; i < fv.Len(); i++ {
			s, ok := scalar(fv.Index(i))
			if !ok {
				return fmt.Errorf("field %s: unsupported element type %s", f.JSON, fv.Index(i).Type())
			}
			items = append(items, s)
		}
		if f.Join {
			params.Set(f.API, strings.Join(items, ","))
		} else {
			params[f.API] = append(params[f.API], items...)
		}
		return nil
	default:
		s, ok := scalar(fv)
		if !ok {
			return fmt.Errorf("field %s: unsupported type %s", f.JSON, fv.Type())
		}
		params.Set(f.API, s)
		return nil
	}
}

func scalar(v reflect.Value) (string, bool) {
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return "", false
		}
		v = v.Elem()
	}
	switch v.Kind() {
	case reflect.String:
		return v.String(), true
	case reflect.Bool:
		if v.Bool() {
			return "1", true
		}
		return "0", true
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(v.Int(), 10), true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return strconv.FormatUint(v.Uint(), 10), true
	case reflect.Float32, reflect.Float64:
		// The type's own size: a float32 0.1 is "0.1", not "0.10000000149011612".
		return strconv.FormatFloat(v.Float(), 'f', -1, v.Type().Bits()), true
	}
	return "", false
}

// extraValue encodes one value of the free-form properties map the way
// Proxmox expects it on the wire.
func extraValue(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case bool:
		if x {
			return "1", nil
		}
		return "0", nil
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1e15 {
			return strconv.FormatInt(int64(x), 10), nil
		}
		return strconv.FormatFloat(x, 'f', -1, 64), nil
	case json.Number:
		return x.String(), nil
	case int:
		return strconv.Itoa(x), nil
	case nil:
		return "", fmt.Errorf("null is not a value; to remove a setting use the tool's delete option")
	}
	return "", fmt.Errorf("must be a string, number or boolean, got %T", v)
}
