package pvesim

import "sort"

// Copies and sorted views of the maps the state model holds; membership
// and removal use the slices package.

// cloneMap copies a map; a nil map gives an empty one, safe to write to.
func cloneMap[K comparable, V any](m map[K]V) map[K]V {
	out := make(map[K]V, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// derefAll copies the values a slice of pointers points to, so a test's
// copy does not share the state model's records.
func derefAll[T any](ptrs []*T) []T {
	out := make([]T, len(ptrs))
	for i, p := range ptrs {
		out[i] = *p
	}
	return out
}

// cloneValues copies request values, slices included.
func cloneValues(v map[string][]string) map[string][]string {
	out := make(map[string][]string, len(v))
	for k, x := range v {
		out[k] = append([]string(nil), x...)
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

// first is a request value's first item, "" when there is none.
func first(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}
