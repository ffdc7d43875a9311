// Package metrics records skiffd's Prometheus metrics and serves them, with
// the Go runtime's pprof profiles, on the optional metrics address.
//
// RPC is safe for concurrent use.
package metrics
