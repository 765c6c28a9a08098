// Package pve is a small Proxmox VE API client: one request path for every
// call (token auth, form/query encoding, {"data": ...} unwrapping), one error
// type that keeps both the HTTP reason phrase and the per-parameter errors
// map, escaped path segments, TLS pinning, bounded retries for idempotent
// reads, and redaction of the credentials from everything it returns.
package pve
