//go:build tools

// Package kubelet pins the real kubelet that skiff's node tests run against
// skiffd: k8s.io/kubernetes's cmd/kubelet at the version in go.mod.
//
// It is a module of its own because k8s.io/kubernetes is not meant to be
// imported: its go.mod replaces every staging module (k8s.io/api,
// k8s.io/client-go, ...) with a directory inside its repository, and
// replace directives of a dependency are ignored. This go.mod therefore
// replaces each staging module with the published version that matches the
// kubelet's (v1.X.Y pairs with v0.X.Y). Keeping it apart from the other
// tools modules keeps its ~700 packages out of their builds.
//
// Build (from this directory; ~10 min of CPU, cached by hack/kubelet.sh):
//
//	CGO_ENABLED=0 go build -o ../../bin/kubelet k8s.io/kubernetes/cmd/kubelet
package kubelet

import (
	_ "k8s.io/kubernetes/cmd/kubelet"
)
