package sandbox

import (
	"context"
	"net"
	"path/filepath"

	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/skiffrt/skiff/internal/cni"
	"github.com/skiffrt/skiff/internal/keylock"
	"github.com/skiffrt/skiff/internal/store"
	"github.com/skiffrt/skiff/oci"
	"github.com/skiffrt/skiff/sandbox/podfiles"
)

// Records is the store's sandbox table (store.Table).
type Records interface {
	Add(sb store.Sandbox) error
	Get(id string) (store.Sandbox, error)
	Update(id string, fn func(store.Sandbox) (store.Sandbox, error)) (store.Sandbox, error)
	Delete(id string) error
	List(keep func(store.Sandbox) bool) []store.Sandbox
}

// Containers is what the sandbox manager needs from the container
// manager: a pod's containers stop with it and go with it.
type Containers interface {
	StopAll(ctx context.Context, sandboxID string) error
	RemoveAll(ctx context.Context, sandboxID string) error
}

// Network is pod networking (package cni): Setup adds a pod's netns to
// the network, Teardown removes it, also after a restart.
type Network interface {
	Setup(ctx context.Context, p cni.Pod) (*cni.Result, error)
	Teardown(ctx context.Context, p cni.Pod) error
}

// Rootfs mounts the root filesystems of pause images (rootfs.Overlay).
type Rootfs interface {
	Mount(ctx context.Context, lowerDirs []string, dir string) (string, error)
	Unmount(dir string) error
}

// Kernel makes and removes a pod's kernel objects: its pinned network
// namespace and its /dev/shm; and connects to its ports (HostKernel).
type Kernel interface {
	NewNetNS(ctx context.Context, dir, name string) (string, error)
	RemoveNetNS(path string) error
	NetNSExists(path string) bool
	MountShm(podDir string) error
	UnmountShm(podDir string) error
	DialLoopback(ctx context.Context, netnsPath string, port uint16) (net.Conn, error)
	UDPBound(netnsPath string, port uint16) bool
}

// Deps are what a Manager works with; all are required.
type Deps struct {
	Sandboxes  Records
	Containers Containers
	Images     Images
	Network    Network
	Pauses     Pauses
	Rootfs     Rootfs
	Kernel     Kernel
	// Locks serialise the calls on one object, shared with the container
	// manager (see Manager).
	Locks *keylock.Map
}

// Manager runs pod sandboxes. It is safe for concurrent use: Run, Stop
// and Remove of one pod hold its lock (Deps.Locks) exclusively and so
// happen one after the other; the container manager holds it shared
// while it creates a container in the pod.
type Manager struct {
	sandboxes  Records
	containers Containers
	images     Images
	network    Network
	pauses     Pauses
	rootfs     Rootfs
	kernel     Kernel
	locks      *keylock.Map
	cfg        Config
}

// Config is where and how the manager runs pods.
type Config struct {
	// RunDir holds one directory per pod: hostname, hosts, resolv.conf, shm.
	RunDir string
	// NetNSDir holds the pinned network namespaces.
	NetNSDir string
	// PauseRootfs is the shared read-only rootfs of pause containers.
	PauseRootfs string
	// PauseImage, when set, replaces PauseRootfs: each pod's pause runs
	// this image, mounted under PauseImageDir.
	PauseImage     string
	PauseImageDir  string
	CgroupManager  string
	MinOOMScoreAdj int
	Features       oci.HostFeatures
}

// New returns a Manager.
func New(d Deps, cfg Config) *Manager {
	return &Manager{
		sandboxes: d.Sandboxes, containers: d.Containers, images: d.Images, network: d.Network,
		pauses: d.Pauses, rootfs: d.Rootfs, kernel: d.Kernel, locks: d.Locks, cfg: cfg,
	}
}

// held is a pod record read under the pod's lock, which release gives
// back.
type held struct {
	store.Sandbox
	release func()
}

// hold looks pod id (or a unique prefix) up, takes its lock and returns
// the record as it is under the lock.
func (m *Manager) hold(ctx context.Context, id string) (held, error) {
	sb, release, err := keylock.Hold(ctx, m.locks, id, m.sandboxes.Get, func(r store.Sandbox) string { return r.ID })
	return held{sb, release}, err
}

// cniPod is what the network needs to know of pod id.
func cniPod(id, netnsPath string, cfg *runtime.PodSandboxConfig) cni.Pod {
	md := cfg.GetMetadata()
	return cni.Pod{
		ID: id, NetNS: netnsPath, Name: md.GetName(), Namespace: md.GetNamespace(), UID: md.GetUid(),
		PortMappings: cfg.GetPortMappings(), Annotations: cfg.GetAnnotations(),
	}
}

// podDir is where pod id's files live.
func (m *Manager) podDir(id string) string { return PodDir(m.cfg.RunDir, id) }

// PodDir is where the files of pod id live, under a manager's RunDir:
// hostname, hosts, resolv.conf and the shm mount.
func PodDir(runDir, id string) string { return filepath.Join(runDir, id) }

// Files are the files of a pod that its containers mount.
type Files struct{ HostnamePath, HostsPath, ResolvConfPath, ShmPath string }

// FilesIn returns the files of the pod whose directory is dir (PodDir);
// ShmPath is empty when the pod shares the host's IPC namespace.
func FilesIn(dir string, privateIPC bool) Files {
	f := Files{
		HostnamePath:   filepath.Join(dir, podfiles.HostnameFile),
		HostsPath:      filepath.Join(dir, podfiles.HostsFile),
		ResolvConfPath: filepath.Join(dir, podfiles.ResolvConfFile),
	}
	if privateIPC {
		f.ShmPath = filepath.Join(dir, podfiles.ShmDir)
	}
	return f
}
