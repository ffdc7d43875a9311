// Package netns creates, pins, enters and removes the network namespaces of
// pod sandboxes.
//
// A namespace is pinned by bind-mounting its nsfs file onto an empty file,
// <dir>/<name>, the way `ip netns add`, containerd and cri-o do. The pin
// keeps the namespace alive with no process in it, so CNI can configure it
// before the pause container starts and skiffd finds it again after a
// restart: the path is the namespace's identity and is what the store
// records.
//
// # Threads
//
// Network namespaces belong to threads, and Go moves goroutines between
// threads. New and Do therefore run their work on a goroutine of their
// own, locked to its OS thread, and never unlock it: when that goroutine
// returns the Go runtime terminates the thread instead of handing it to
// other goroutines. Both also switch the thread back to the original
// namespace before returning, so that even the process's main thread,
// which the runtime parks rather than terminates, is never left inside a
// pod's namespace (that would keep the namespace alive and show up as
// skiffd's own namespace in /proc/<pid>/ns/net). No goroutine of the
// caller ever runs in a pod's namespace.
//
// # Propagation
//
// The directory needs no special mount propagation: the bind mount works
// on a private "/" as well as a shared one. Copies of the pin that end up
// in other mount namespaces (a container's, created while the pin
// existed) do not keep the namespace alive after Remove, because Remove
// unlinks the pin file and the kernel (Linux ≥ 3.18) detaches every mount
// on an unlinked file in every mount namespace.
//
// Functions here are safe for concurrent use; an *NS is an immutable path.
package netns
