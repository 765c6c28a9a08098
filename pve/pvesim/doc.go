// Package pvesim is an in-memory Proxmox VE cluster that speaks the real
// HTTP API: token auth (401 without it), {"data": ...} answers, the error
// envelope (reason phrase plus {"errors": {...}} for bad parameters),
// 501 for unknown paths and methods, parameters checked against each
// endpoint's declared schema, and asynchronous tasks with real UPIDs that
// change state when they finish.
//
// It backs the tests and the -demo mode. It answers as Proxmox would, not as
// a client hopes: starting a running VM fails, deleting a running guest is
// refused, a parameter the endpoint does not define is a 400.
package pvesim
