package sandbox

import (
	"context"
	"net"

	"github.com/skiffrt/skiff/internal/netns"
	"github.com/skiffrt/skiff/sandbox/podfiles"
)

// HostKernel is the real Kernel: packages netns and podfiles.
type HostKernel struct{}

// NewNetNS creates and pins a network namespace at dir/name.
func (HostKernel) NewNetNS(ctx context.Context, dir, name string) (string, error) {
	ns, err := netns.NewNamed(ctx, dir, name)
	if err != nil {
		return "", err
	}
	return ns.Path(), nil
}

// RemoveNetNS unpins the namespace at path; a missing one is fine.
func (HostKernel) RemoveNetNS(path string) error { return netns.Remove(path) }

// NetNSExists reports whether a namespace is pinned at path.
func (HostKernel) NetNSExists(path string) bool { return netns.Exists(path) }

// MountShm mounts the pod's /dev/shm, of the default size, under podDir.
func (HostKernel) MountShm(podDir string) error { return podfiles.MountShm(podDir, 0) }

// UnmountShm unmounts the pod's /dev/shm; a missing one is fine.
func (HostKernel) UnmountShm(podDir string) error { return podfiles.UnmountShm(podDir) }

// DialLoopback connects to TCP port on localhost in the namespace pinned
// at netnsPath, or the host's when it is empty.
func (HostKernel) DialLoopback(ctx context.Context, netnsPath string, port uint16) (net.Conn, error) {
	return netns.DialLoopback(ctx, netnsPath, port)
}

// UDPBound reports whether a UDP socket holds port in the namespace
// pinned at netnsPath, or the host's when it is empty.
func (HostKernel) UDPBound(netnsPath string, port uint16) bool {
	return netns.UDPBound(netnsPath, port)
}
