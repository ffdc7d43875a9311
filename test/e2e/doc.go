// Package e2e holds end-to-end tests: each starts real skiffd processes
// from $SKIFF_BIN (default ../../bin) in temporary directories and drives
// them over the CRI socket, as kubelet and crictl do.
//
// The tests carry the e2e build tag and run as root: make test-e2e.
package e2e
