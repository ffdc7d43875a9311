// Package stats reads the resource usage of containers and pods for the
// CRI's stats and metrics calls: CPU, memory and processes from their
// cgroups (cgroup v1 and v2, through github.com/containerd/cgroups/v3),
// network counters from a pod's network namespace (netlink), and the
// bytes and inodes of a container's writable layer.
//
// Everything is read directly by skiffd from the kernel's files, never
// through a shim, and without any store lock held, so that reading stats
// neither blocks nor is blocked by pod and container operations.
//
// Collector adds what needs memory between calls: the CPU usage rate
// (usage_nano_cores), which takes two samples of the cumulative usage,
// and a short-lived cache of writable-layer usage, whose walk of the
// layer's directory is the costliest read. Collector is safe for
// concurrent use; its caches forget objects not read for a while.
package stats
