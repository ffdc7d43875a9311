// Package podfiles writes the files a pod sandbox shares with its
// containers and mounts its /dev/shm, all under the pod's directory:
//
//	hostname      the pod's hostname, bind-mounted at /etc/hostname
//	hosts         the default /etc/hosts (kubelet normally sends its own
//	              mount for /etc/hosts; this file is used when it does not)
//	resolv.conf   from the CRI DNSConfig, or the host's when there is none
//	shm/          a tmpfs, bind-mounted at /dev/shm in every container
//
// Files are written atomically (a temporary file renamed into place), so
// a crash never leaves a half-written one. A file replaced after
// containers bind-mounted it is not seen by them: write before creating
// containers.
//
// Input comes from CRI clients and is checked: a bad hostname, IP address,
// DNS server, search domain or option fails with
// errdefs.ErrInvalidArgument naming the field, rather than being written
// into a file that a resolver would misread.
//
// The functions are safe for concurrent use on different directories.
package podfiles
