// Package etcd runs an etcd member (go.etcd.io/etcd/server/v3/embed): the
// single member embedded in `skiff server` on one machine, listening on
// loopback only, or a member of a cluster for `skiff etcd`.
//
// The API server does not depend on this package: it takes an etcd client,
// so an external cluster (--etcd-servers) is only other wiring in cmd/skiff.
package etcd
