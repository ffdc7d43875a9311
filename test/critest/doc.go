// Command critest runs the CRI validation suite (critest, from cri-tools
// v1.36.0, built from the tools module) against a real skiffd and holds
// skiff to a ratchet: the specs listed in test/critest/passing.txt must
// pass, and the list only grows.
//
// Usage, as root, from the repository root, after building bin/skiffd (and
// what it runs), bin/skiff-testregistry, bin/critest and bin/ginkgo:
//
//	go run ./test/critest [-focus RE]... [-skip RE]... [-update] [-v]
//	    [-artifacts DIR] [-keep] [-parallel N] [-timeout D] [-- CRITEST ARGS]
//
// One run:
//
//  1. starts bin/skiff-testregistry --addr 127.0.0.1:0 and waits for its
//     "ready ADDR" line (-registry-timeout: its first run may build a
//     static busybox); the "SRC -> LOCAL" lines before it name what it
//     serves;
//  2. starts bin/skiffd in a new temp dir (root, run root and socket
//     inside it), debug logging, every image registry mirrored to the
//     test registry, its pods on skiffd's own network on a bridge and
//     subnet of the runner's (hostbridge.Critest; a skiff.toml whose
//     [cni] names them, an empty CNI config dir and an IPAM dir in the
//     temp dir), and waits until the socket answers the CRI Version call.
//     A subnet routed through another interface stops the run; a
//     bridge of its name left by an interrupted run is deleted first;
//  3. runs bin/critest on that socket, with JSON and JUnit reports;
//  4. removes pods and containers critest left behind, stops skiffd
//     (SIGTERM, then SIGKILL after 30 s) and the registry, deletes the
//     bridge, detaches mounts left under the temp dir and removes it
//     (unless -keep);
//  5. compares the JSON report with passing.txt.
//
// Artifacts (registry.log, skiffd.log, critest.log, critest-report.json,
// critest-junit.xml) go to -artifacts, by default a new temp dir; the
// runner prints where.
//
// # Result
//
// Exit status 1 if a listed spec failed, was skipped or did not run; each
// is named. Specs that pass but are not listed are printed as "newly
// passing" and do not fail the run. -update rewrites passing.txt with the
// specs that passed, keeping its header comment; after a run narrowed by
// -focus or -skip, listed specs that the filter left out are kept (and not
// checked). Exit status 2 if the run itself went wrong (a process did not
// start, skiffd died, critest timed out, a suite-level node failed); then
// passing.txt is never rewritten. The last line of output is always
//
//	critest: N passed, N failed, N skipped
//
// counting as ginkgo does: specs that never started count as skipped.
//
// # How images resolve
//
// critest asks for images by their public names: registry.k8s.io/pause:3.9,
// k8s.gcr.io/pause:3.9, registry.k8s.io/e2e-test-images/busybox:1.29-2,
// gcr.io/k8s-staging-cri-tools/test-image-*, and so on. skiffd mirrors
// their registries to the test registry (--registry-mirror HOST=http://ADDR
// for docker.io, gcr.io, registry.k8s.io and the host of every reference
// the registry says it serves, hence k8s.gcr.io too; --insecure-registry
// ADDR), so the names stay as critest wrote them.
//
// critest v1.36.0 does have -registry-prefix, but it is not used: it
// rewrites the names of the images that go through
// framework.PrepareImageName (not all do: the "same image from different
// registries" specs pull registry.k8s.io/pause:3.9 and k8s.gcr.io/pause:3.9
// as they are), and several specs then compare the image's RepoTags with
// the unprefixed name (e.g. "public image with tag should be pulled and
// removed"), which cannot match. Mirrors are also how a node reaches a
// registry in real life, so they test a path that skiffd needs anyway.
//
// # What is skipped
//
// Nothing beyond what critest excludes itself: Windows-only specs are not
// registered on Linux, and critest adds -ginkgo.skip=benchmark (5 specs,
// counted as skipped). Specs that critest skips at run time (AppArmor off
// on the host, no user-namespace runtime handler, …) are counted as
// skipped. Specs that cannot pass offline, such as "public image with
// digest should be pulled and removed" (its image cannot be rebuilt), run
// and fail, and are simply not listed.
//
// # Parallelism
//
// -parallel defaults to 2, one worker per core of the machines this runs
// on: critest then runs the ginkgo CLI (bin/ginkgo, put first on PATH)
// with two worker processes, and the specs marked Serial (the image specs)
// run alone at the end. Most of a spec's time is spent waiting for
// containers to start, stop or time out, so two workers keep both cores
// busy without starving skiffd and the shims; more would mostly add
// contention. Use -parallel 1 to debug: the output is then in spec order.
// (critest's own -parallel is only passed above 1: given at all, ginkgo
// refuses to run without its CLI.)
package main
