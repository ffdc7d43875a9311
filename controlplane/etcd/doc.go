// Package etcd runs an embedded etcd member (go.etcd.io/etcd/server/v3/embed)
// for `skiff server` on one machine, listening on loopback only.
//
// The API server does not depend on this package: it takes an etcd client,
// so an external cluster (--etcd-servers) is only other wiring in cmd/skiff.
package etcd
