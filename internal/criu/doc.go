// Package criu finds the CRIU binary that checkpoint and restore use
// (libcontainer drives it, in the shim) and tells whether it can run on
// this host.
//
// Find picks the binary when criu_path is not configured: the newest
// build that hack/criu.sh cached under /var/cache/skiff, else criu in
// PATH. Debian 12's criu 3.17.1 fails "criu check" on kernels from 6.13
// on (the vvar area changed layout), so the cached CRIU 4.x comes first.
// Checker runs "criu check" once with the chosen binary and keeps CRIU's
// own reason when it fails.
package criu
