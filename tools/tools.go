//go:build tools

// Package tools pins the CRI command-line tools that skiff's tests drive:
// crictl and the critest validation suite, both from cri-tools, and the
// ginkgo CLI that critest execs (as "ginkgo" from PATH) to run its specs in
// parallel when given -parallel N with N > 1. ginkgo's version comes from
// cri-tools' requirement, so the CLI and the suite speak the same protocol.
//
// Build (from this directory):
//
//	go build -o ../bin/crictl sigs.k8s.io/cri-tools/cmd/crictl
//	go test -c -o ../bin/critest sigs.k8s.io/cri-tools/cmd/critest
//	go build -o ../bin/ginkgo github.com/onsi/ginkgo/v2/ginkgo
package tools

import (
	_ "github.com/onsi/ginkgo/v2/ginkgo"
	_ "sigs.k8s.io/cri-tools/cmd/crictl"
	_ "sigs.k8s.io/cri-tools/cmd/critest"
)
