// Package oci builds the OCI runtime spec of a CRI container and of a pod's
// pause (infra) container.
//
// ContainerSpec and SandboxSpec are functions of their input and of what
// they read through it: the container's rootfs (/etc/passwd and
// /etc/group, opened inside the rootfs so that symlinks cannot escape it)
// and the host, through the small Host interface (bind-mount sources,
// mount propagation, device nodes, Localhost seccomp profiles). Tests pass
// a fake Host and a rootfs in a temporary directory, and compare the specs
// with golden files under testdata/ (go test ./oci -update rewrites them).
//
// # What the spec holds
//
//   - process: args merged from the CRI command/args and the image's
//     Entrypoint/Cmd as docker and kubelet define it, env (image, then CRI,
//     later wins), cwd, terminal, user and groups resolved in the image,
//     capabilities, no_new_privs, oom_score_adj clamped to the host's own;
//   - mounts: /proc, /dev, /dev/pts, /dev/shm, /dev/mqueue, /sys,
//     /sys/fs/cgroup, the pod's /etc/hostname, /etc/hosts and
//     /etc/resolv.conf, then the CRI mounts sorted by depth;
//   - linux: namespaces joined from the pod (its pinned netns, the pause
//     process's ipc/uts/pid), devices and device cgroup rules, resources,
//     sysctls, seccomp (skiff's own RuntimeDefault profile, Unconfined or a
//     Localhost file), masked and read-only paths, the cgroups path.
//
// # Errors
//
// A config that is wrong is rejected with errdefs.ErrInvalidArgument and a
// message naming the CRI field, e.g. "container config:
// linux.security_context.capabilities.add_capabilities: unknown capability
// "CAP_FOO"". A valid request this node cannot honour (an AppArmor profile
// on a host without AppArmor, recursive read-only mounts on an old kernel,
// a pause process that is gone) is errdefs.ErrFailedPrecondition; user
// namespaces, id-mapped mounts and CDI devices are errdefs.ErrNotImplemented.
//
// # Deliberately ignored
//
// SELinux options and relabel requests (the host has no SELinux), AppArmor
// profiles runtime/default and unconfined (the host has no AppArmor), and
// image volume mounts (a mount naming an image instead of a host path),
// which skiff does not support yet: they are skipped.
//
// # Concurrency
//
// The package keeps no state: ContainerSpec, SandboxSpec and
// DefaultSeccompProfile are safe for concurrent use, and every call returns
// a spec of its own that the caller may change.
package oci
