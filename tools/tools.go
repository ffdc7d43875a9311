//go:build tools

// Package tools pins the CRI command-line tools that skiff's tests drive:
// crictl and the critest validation suite, both from cri-tools.
package tools

import (
	_ "sigs.k8s.io/cri-tools/cmd/crictl"
	_ "sigs.k8s.io/cri-tools/cmd/critest"
)
