// Package monitor is the long-lived skiff-shim ("skiff-shim run") and its
// launcher ("skiff-shim start"); see package shim for the design.
//
// One container per process. Run creates it, reports, serves the socket
// (server: one goroutine per connection) and returns once the exit is
// recorded. The container type owns the lifecycle behind one mutex, its
// status changed only by transition, the one table of what each status
// allows (state.go); the reaper is the only caller of wait4 and
// hands exits to their waiters; logFile writes the CRI log; execSync runs
// commands in the container.
//
// The package is linked into the shim binary only: it keeps to the
// standard library, libcontainer, package api and internal/log, no gRPC
// (memory).
package monitor
