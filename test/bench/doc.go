// Command bench measures skiff against the reference runtime, containerd
// with runc, in one run on one machine, with the same CRI client code, and
// writes the figures to docs/bench.md (between its generated markers),
// the latency distributions to docs/bench/latency.svg and everything raw
// to docs/bench/results.json.
//
//	sudo make bench
//	sudo go run ./test/bench -bin bin -pause bin/bench-pause [-quick]
//
// The run is a list of suites, each with its own table. The node suite
// (node.go) starts the test registry, one CNI network of its own, skiffd
// and containerd, then runs the figures of package figure against each
// runtime in turn, between two runs of a machine probe that show how far
// the machine's own speed drifted meanwhile. A control-plane suite (API
// server load, agent memory, proxy rule sync) is another implementation
// of suite beside it.
//
// It holds /tmp/skiff-heavy.lock while it runs, as every test that uses
// the kernel's namespaces, mounts and cgroups does on a shared machine.
package main
