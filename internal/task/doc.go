// Package task runs one container process tree — a pod's pause container
// or a workload container — under its own skiff-shim, and keeps the
// files that go with it: the OCI bundle, the shim's socket and its exit
// record, all in one directory per task under the run root.
//
// Runner holds no state of its own beyond paths: everything it knows
// about a task it learns from the shim or, once the shim is gone, from the
// exit file, so it needs no recovery after a skiffd restart.
package task
