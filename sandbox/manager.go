package sandbox

import (
	"context"
	"path/filepath"

	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/skiffrt/skiff/internal/cni"
	"github.com/skiffrt/skiff/internal/store"
	"github.com/skiffrt/skiff/internal/task"
	"github.com/skiffrt/skiff/oci"
	"github.com/skiffrt/skiff/sandbox/podfiles"
)

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

// Manager runs pod sandboxes. It is safe for concurrent use; its fields
// are set by New.
type Manager struct {
	sandboxes  *store.Table[store.Sandbox]
	containers Containers
	images     Images
	network    Network
	tasks      *task.Runner
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
func New(sandboxes *store.Table[store.Sandbox], containers Containers, images Images, network Network, tasks *task.Runner, cfg Config) *Manager {
	return &Manager{sandboxes: sandboxes, containers: containers, images: images, network: network, tasks: tasks, cfg: cfg}
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
