package pvesim

import (
	"fmt"
	"math"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// param is one declared parameter of an endpoint, as the API schema has it.
type param struct {
	name     string // "net[n]" for indexed options
	typ      string // string, integer, number, boolean
	optional bool
	enum     []string
	min, max *float64
	indexed  string // "net" for net[n]: the name is this prefix and digits
}

// parseParams reads a compact declaration such as
//
//	"node:string vmid:integer(100-999999999) cf?:enum(AVERAGE|MAX) net[n]?:string"
//
// "?" marks optional, integer(a-b) or integer(a-) bounds, enum(...) a string
// enumeration, and name[n] an indexed option matching net0, net1, ...
// parsed caches parseParams by declaration: every Sim registers the same
// routes, and a process may make several (the demo's two clusters, tests).
var parsed sync.Map // decl -> []param

// parsedParams is parseParams, once per declaration per process. The
// params are never changed after parsing, so Sims share them.
func parsedParams(decl string) []param {
	if p, ok := parsed.Load(decl); ok {
		return p.([]param)
	}
	p, _ := parsed.LoadOrStore(decl, parseParams(decl))
	return p.([]param)
}

func parseParams(decl string) []param {
	var out []param
	for _, tok := range strings.Fields(decl) {
		name, typ, ok := strings.Cut(tok, ":")
		if !ok {
			panic("pvesim: bad param declaration " + tok)
		}
		p := param{name: strings.TrimSuffix(name, "?"), optional: strings.HasSuffix(name, "?")}
		if strings.HasSuffix(p.name, "[n]") {
			// A prefix, not a regexp: every Sim parses its ~190 routes, and
			// compiling a regexp per indexed parameter was most of New's time.
			p.indexed = strings.TrimSuffix(p.name, "[n]")
		}
		switch {
		case strings.HasPrefix(typ, "enum("):
			p.typ = "string"
			p.enum = strings.Split(strings.TrimSuffix(strings.TrimPrefix(typ, "enum("), ")"), "|")
		case strings.Contains(typ, "("):
			base, rng, _ := strings.Cut(strings.TrimSuffix(typ, ")"), "(")
			p.typ = base
			lo, hi, _ := strings.Cut(rng, "-")
			if lo != "" {
				f, _ := strconv.ParseFloat(lo, 64)
				p.min = &f
			}
			if hi != "" {
				f, _ := strconv.ParseFloat(hi, 64)
				p.max = &f
			}
		default:
			p.typ = typ
		}
		switch p.typ {
		case "string", "integer", "number", "boolean", "array":
		default:
			panic("pvesim: unknown type in " + tok)
		}
		out = append(out, p)
	}
	return out
}

var (
	reInt   = lazyRegexp(`^[+-]?\d+$`)
	boolish = map[string]bool{"0": false, "1": true, "true": true, "false": false, "yes": true, "no": false, "on": true, "off": false}
)

// validate checks the request's values against the declared parameters and
// returns Proxmox's per-parameter messages, or nil when all is well.
func validate(decl []param, values map[string][]string) map[string]string {
	errs := map[string]string{}
	seen := map[string]bool{}
	names := make([]string, 0, len(values))
	for k := range values {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		p := lookupParam(decl, k)
		if p == nil {
			errs[k] = "property is not defined in schema and the schema does not allow additional properties"
			continue
		}
		seen[p.name] = true
		if p.indexed == "" {
			seen[k] = true
		}
		vs := values[k]
		if len(vs) > 1 && p.typ != "array" {
			errs[k] = "duplicate parameter (not an array)"
			continue
		}
		for _, v := range vs {
			if msg := checkValue(p, v); msg != "" {
				errs[k] = msg
			}
		}
	}
	for _, p := range decl {
		if !p.optional && p.indexed == "" && !seen[p.name] {
			errs[p.name] = "property is missing and it is not optional"
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return errs
}

func lookupParam(decl []param, name string) *param {
	for i := range decl {
		p := &decl[i]
		if p.name == name || (p.indexed != "" && prefixAndDigits(name, p.indexed)) {
			return p
		}
	}
	return nil
}

func checkValue(p *param, v string) string {
	switch p.typ {
	case "integer":
		if !reInt().MatchString(v) {
			return fmt.Sprintf("type check ('integer') failed - got '%s'", v)
		}
		n, _ := strconv.ParseFloat(v, 64)
		return checkRange(p, n)
	case "number":
		n, err := strconv.ParseFloat(v, 64)
		if err != nil || math.IsNaN(n) || math.IsInf(n, 0) {
			return fmt.Sprintf("type check ('number') failed - got '%s'", v)
		}
		return checkRange(p, n)
	case "boolean":
		if _, ok := boolish[strings.ToLower(v)]; !ok {
			return fmt.Sprintf("type check ('boolean') failed - got '%s'", v)
		}
	case "string":
		if len(p.enum) > 0 {
			for _, e := range p.enum {
				if e == v {
					return ""
				}
			}
			return fmt.Sprintf("value '%s' does not have a value in the enumeration '%s'", v, strings.Join(p.enum, ", "))
		}
	}
	return ""
}

func checkRange(p *param, n float64) string {
	if p.min != nil && n < *p.min {
		return fmt.Sprintf("value must have a minimum value of %v", *p.min)
	}
	if p.max != nil && n > *p.max {
		return fmt.Sprintf("value may have a maximum value of %v", *p.max)
	}
	return ""
}

func checkDigest(c *Call, current string) error {
	if d := c.Str("digest"); d != "" && d != current {
		return fail("detected modified configuration - file changed by other user? Try again.")
	}
	return nil
}

func matchPath(tmpl, segs []string) (map[string]string, bool) {
	if len(tmpl) != len(segs) {
		return nil, false
	}
	vals := map[string]string{}
	for i, t := range tmpl {
		if strings.HasPrefix(t, "{") {
			v, err := url.PathUnescape(segs[i])
			if err != nil || v == "" {
				return nil, false
			}
			vals[strings.Trim(t, "{}")] = v
			continue
		}
		if t != segs[i] {
			return nil, false
		}
	}
	return vals, true
}

// routeParams returns the declared parameters of the route serving c.
func (s *Sim) routeParams(c *Call) []param {
	for _, r := range s.routes {
		if r.method != c.Method {
			continue
		}
		if _, ok := matchPath(r.segs, strings.Split(strings.Trim(c.Path, "/"), "/")); ok {
			return r.params
		}
	}
	return nil
}

// prefixAndDigits reports whether name is prefix followed by one or more
// ASCII digits (net0, unused12).
func prefixAndDigits(name, prefix string) bool {
	rest, ok := strings.CutPrefix(name, prefix)
	if !ok || rest == "" {
		return false
	}
	for _, c := range rest {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
