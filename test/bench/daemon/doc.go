// Package daemon runs the CRI runtimes under test — skiffd and the
// reference, containerd with runc — each with its own root, state
// directory, socket and log, on one CNI network of the benchmark's own,
// and finds their processes (daemon, shims, pause) for the memory
// figures.
package daemon
