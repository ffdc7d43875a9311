// Package controlplane holds end-to-end tests of `skiff server`: each test
// starts the real binary from $SKIFF_BIN (default ../../../bin) in a temp
// dir, on loopback ports the kernel picks, and drives it with the real
// kubectl built from k8s.io/kubectl (bin/kubectl) or with client-go.
//
// The tests carry the e2e build tag: make test-e2e-controlplane.
package controlplane
