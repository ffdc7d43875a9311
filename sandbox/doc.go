// Package sandbox runs pod sandboxes: a pinned network namespace, the
// pod's hostname, hosts and resolv.conf files and /dev/shm, and the pause
// container, under its own skiff-shim, that holds the pod's IPC, UTS and
// (when the pod shares one) PID namespaces.
//
// Packages internal/netns and podfiles hold the kernel and file work;
// this package sequences it, records each step in the store, and undoes
// what a failed run did.
package sandbox
