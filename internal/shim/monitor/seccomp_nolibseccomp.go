//go:build !cgo || !seccomp

package monitor

// libseccompVersion: without libseccomp, libcontainer refuses seccomp
// configs, so there is no program to cache.
func libseccompVersion() string { return "none" }
