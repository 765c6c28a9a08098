package pvesim

import (
	"fmt"
	"strconv"
	"strings"
)

// Proxmox's value formats: property strings ("a=1,b=2"), lists, sizes
// ("32G"), 0/1 booleans and the config keys that name disks.

// isDiskKey reports whether a config key is a guest disk (scsi0, mp1,
// rootfs ...).
func isDiskKey(k string) bool {
	for _, p := range []string{"scsi", "virtio", "sata", "ide", "efidisk", "tpmstate", "mp"} {
		if strings.HasPrefix(k, p) && len(k) > len(p) && k[len(p)] >= '0' && k[len(p)] <= '9' {
			return true
		}
	}
	return k == "rootfs"
}

// indexedKey reports whether key is prefix followed by a number (net0, unused3).
func indexedKey(key, prefix string) bool {
	rest, ok := strings.CutPrefix(key, prefix)
	if !ok || rest == "" {
		return false
	}
	_, err := strconv.Atoi(rest)
	return err == nil
}

// sizeOf reads size=32G from a volume property string, in bytes.
func sizeOf(v string) int64 {
	for _, part := range strings.Split(v, ",") {
		if sz, ok := strings.CutPrefix(part, "size="); ok {
			return parseSize(sz)
		}
	}
	return 0
}

// parseSize reads a size with an optional K, M, G or T suffix, in bytes.
func parseSize(sz string) int64 {
	mult := int64(1)
	switch {
	case strings.HasSuffix(sz, "T"):
		mult, sz = 1<<40, strings.TrimSuffix(sz, "T")
	case strings.HasSuffix(sz, "G"):
		mult, sz = 1<<30, strings.TrimSuffix(sz, "G")
	case strings.HasSuffix(sz, "M"):
		mult, sz = 1<<20, strings.TrimSuffix(sz, "M")
	case strings.HasSuffix(sz, "K"):
		mult, sz = 1<<10, strings.TrimSuffix(sz, "K")
	}
	f, _ := strconv.ParseFloat(sz, 64)
	return int64(f * float64(mult))
}

// b2i is a boolean as Proxmox's JSON writes it.
func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// join writes a comma list.
func join(items []string) string { return strings.Join(items, ",") }

// splitList splits a Proxmox list value as PVE::Tools::split_list does:
// on commas, semicolons, white space and NUL bytes, dropping empty items.
func splitList(v string) []string {
	return strings.FieldsFunc(v, func(r rune) bool {
		return r == ',' || r == ';' || r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == 0
	})
}

// parsePropString reads a property string into a map (nil for "").
func parsePropString(v, defaultKey string) map[string]string {
	if v == "" {
		return nil
	}
	kv, _ := splitPropString(v, defaultKey)
	m := map[string]string{}
	for _, p := range kv {
		m[p[0]] = p[1]
	}
	return m
}

// splitPropString splits "a=1,b=2" (or "x,b=2" with a default key) into
// ordered key/value pairs, reporting duplicate and malformed parts.
func splitPropString(v, defaultKey string) ([][2]string, string) {
	var out [][2]string
	seen := map[string]bool{}
	for _, part := range strings.Split(v, ",") {
		if part == "" {
			continue
		}
		k, val, ok := strings.Cut(part, "=")
		if !ok {
			if defaultKey == "" {
				return nil, fmt.Sprintf("value without key, but schema does not define a default key: '%s'", part)
			}
			k, val = defaultKey, part
		}
		if seen[k] {
			return nil, fmt.Sprintf("duplicate key in comma-separated list property: %s", k)
		}
		seen[k] = true
		out = append(out, [2]string{k, val})
	}
	return out, ""
}
