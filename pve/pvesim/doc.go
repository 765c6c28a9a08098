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
//
// Layout, bottom to top (calls only go down; TestCallsFlowDownward):
//   - call.go, params.go, status.go, formats.go, digests.go, collections.go,
//     regexps.go: the request a handler sees, parameter checks, error
//     answers, Proxmox's value formats and digests, map and slice helpers,
//     patterns compiled at first use;
//   - state.go and state_*.go: the cluster state model (types, seed data,
//     look-ups and state changes), one file per kind of state;
//   - guest_ops.go, guest_disks.go, restore.go: operations the qemu and lxc
//     routes share;
//   - sim.go: the router (ServeHTTP, Sim.handle);
//   - one file per API subtree (nodes.go, qemu.go, qemu_status.go,
//     lxc.go, lxc_status.go, storage.go, access.go, cluster.go, ha.go ...),
//     holding its routes and handlers;
//   - routes.go: the seed table and the route table naming every subtree
//     file and the paths it owns (TestRouteTable walks it).
package pvesim
