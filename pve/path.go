package pve

import (
	"fmt"
	"net/url"
	"strings"
)

// Segment validates one value that will stand in a URL path segment (a node
// name, vmid, storage id, UPID, userid ...) and returns it escaped. A value
// can never change which endpoint is called: separators, dot segments, query
// and fragment markers and control characters are refused outright rather
// than escaped, because no legitimate Proxmox identifier contains them.
//
// The one exception is a volume ID (local:iso/debian.iso, or
// nfs:backup/vzdump-qemu-101-....vma.zst), which Proxmox writes with
// slashes: in {volume} a slash is allowed between non-empty, non-dot
// components and is sent escaped (%2F), so the value stays one segment.
func Segment(name, value string) (string, error) {
	switch {
	case value == "":
		return "", fmt.Errorf("%s must not be empty", name)
	case value == "." || value == "..":
		return "", fmt.Errorf("%s %q is not a valid identifier", name, value)
	case len(value) > 512:
		return "", fmt.Errorf("%s is too long (%d bytes, at most 512)", name, len(value))
	}
	refused := `/\?#%`
	if name == "volume" {
		refused = `\?#%`
		for _, part := range strings.Split(value, "/") {
			if part == "" || part == "." || part == ".." {
				return "", fmt.Errorf("%s %q has an empty or dot path component", name, value)
			}
		}
	}
	for _, r := range value {
		if r < 0x20 || r == 0x7f || strings.ContainsRune(refused, r) {
			return "", fmt.Errorf("%s %q contains %q, which is not allowed in a Proxmox identifier", name, value, r)
		}
	}
	return url.PathEscape(value), nil
}

// BuildPath fills a path template such as "/nodes/{node}/qemu/{vmid}" with
// escaped values. Every placeholder must have a value; an unknown or missing
// placeholder is a programming error reported as such.
func BuildPath(template string, values map[string]string) (string, error) {
	var b strings.Builder
	rest := template
	for {
		i := strings.IndexByte(rest, '{')
		if i < 0 {
			b.WriteString(rest)
			return b.String(), nil
		}
		j := strings.IndexByte(rest[i:], '}')
		if j < 0 {
			return "", fmt.Errorf("path template %q: unclosed placeholder", template)
		}
		b.WriteString(rest[:i])
		name := rest[i+1 : i+j]
		v, ok := values[name]
		if !ok {
			return "", fmt.Errorf("path template %q: no value for {%s}", template, name)
		}
		seg, err := Segment(name, v)
		if err != nil {
			return "", err
		}
		b.WriteString(seg)
		rest = rest[i+j+1:]
	}
}

// Placeholders lists the names in a path template, in order.
func Placeholders(template string) []string {
	var out []string
	for {
		i := strings.IndexByte(template, '{')
		if i < 0 {
			return out
		}
		j := strings.IndexByte(template[i:], '}')
		if j < 0 {
			return out
		}
		out = append(out, template[i+1:i+j])
		template = template[i+j+1:]
	}
}
