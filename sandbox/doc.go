// Package sandbox runs pod sandboxes: a pinned network namespace, the
// pod's hostname, hosts and resolv.conf files and /dev/shm, and the pause
// container that holds the pod's IPC, UTS and (when the pod shares one)
// PID namespaces.
//
// The pause container has no monitor (DESIGN §1 allows it): the shim's
// helper creates and starts it and exits (Pauses). Its process is known
// by pid and start time, recorded with the pod: it is alive while that
// process runs, which a pidfd tells while skiffd runs and which a
// restarted skiffd checks again from the record.
//
// Packages internal/netns and podfiles hold the kernel and file work;
// this package sequences it, records each step in the store, and undoes
// what a failed run did.
package sandbox
