package pvesim

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Helpers over the values the state model holds: Proxmox's formats (property
// strings, comma lists, sizes, 0/1 booleans, digests) and copies, sorts and
// look-ups of maps and slices.

func cloneMap(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func isDiskKey(k string) bool {
	for _, p := range []string{"scsi", "virtio", "sata", "ide", "efidisk", "tpmstate", "mp"} {
		if strings.HasPrefix(k, p) && len(k) > len(p) && k[len(p)] >= '0' && k[len(p)] <= '9' {
			return true
		}
	}
	return k == "rootfs"
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

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func join(items []string) string { return strings.Join(items, ",") }

// pveListItems splits a Proxmox list value (commas, semicolons or spaces).
func pveListItems(v string) []string {
	return strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ';' || r == ' ' })
}

func removeFunc[T any](list []T, drop func(T) bool) []T {
	out := list[:0]
	for _, x := range list {
		if !drop(x) {
			out = append(out, x)
		}
	}
	return out
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// listItems splits a Proxmox -list value (comma, semicolon or space separated).
func listItems(v string) []string {
	return strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ';' || r == ' ' || r == '\t' || r == '\n' })
}

func containsStr(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func cloneAny(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

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

// cfgList splits a Proxmox list value (commas, semicolons or spaces).
func cfgList(v string) []string {
	return strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ';' || r == ' ' || r == 0 })
}

// unionKeys returns the keys of both maps, sorted, each once.
func unionKeys(a, b map[string]string) []string {
	seen := make(map[string]bool, len(a)+len(b))
	out := make([]string, 0, len(a)+len(b))
	for _, m := range []map[string]string{a, b} {
		for k := range m {
			if !seen[k] {
				seen[k] = true
				out = append(out, k)
			}
		}
	}
	sort.Strings(out)
	return out
}

// listDigest is the SHA-1 digest Proxmox puts on every item of a firewall
// list; a change of any item changes it.
func listDigest(items []map[string]string) string {
	h := sha1.New()
	for _, it := range items {
		keys := sortedKeys(it)
		for _, k := range keys {
			fmt.Fprintf(h, "%s=%s\n", k, it[k])
		}
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// digest is a stable fingerprint of a config, like Proxmox's SHA-1 digest.
func digest(cfg map[string]string) string {
	keys := sortedKeys(cfg)
	var h uint64 = 1469598103934665603
	for _, k := range keys {
		for _, b := range []byte(k + "=" + cfg[k] + "\n") {
			h ^= uint64(b)
			h *= 1099511628211
		}
	}
	return fmt.Sprintf("%016x%016x%08x", h, h*31, h%0xffffffff)
}

func inList(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func indexedKey(key, prefix string) bool {
	rest, ok := strings.CutPrefix(key, prefix)
	if !ok || rest == "" {
		return false
	}
	_, err := strconv.Atoi(rest)
	return err == nil
}

func containsInt(list []int, v int) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func indexInt(list []int, v int) int {
	for i, x := range list {
		if x == v {
			return i
		}
	}
	return -1
}

func first(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}

func cloneValues(v map[string][]string) map[string][]string {
	out := make(map[string][]string, len(v))
	for k, x := range v {
		out[k] = append([]string(nil), x...)
	}
	return out
}
