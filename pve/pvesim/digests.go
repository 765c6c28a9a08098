package pvesim

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
)

// The digests Proxmox puts on configs and list items, which a client sends
// back to make a change conditional on what it read.

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
