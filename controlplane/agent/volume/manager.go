package volume

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/skiffrt/skiff/controlplane/agent/env"
)

// Sources reads what projected volumes show: ConfigMaps, Secrets, and
// service account tokens.
type Sources interface {
	env.Objects
	// Token returns a token for the pod's service account.
	Token(ctx context.Context, pod *corev1.Pod, sa, audience string, expirationSeconds int64) (string, error)
	// Claim and Volume read a PersistentVolumeClaim and the
	// PersistentVolume it is bound to.
	Claim(ctx context.Context, namespace, name string) (*corev1.PersistentVolumeClaim, error)
	Volume(ctx context.Context, name string) (*corev1.PersistentVolume, error)
}

// Mounter mounts and unmounts tmpfs (a fake in unit tests).
type Mounter interface {
	// MountTmpfs mounts a tmpfs of size bytes (0: the default) at dir
	// unless one is there already.
	MountTmpfs(dir string, size int64) error
	// Unmount unmounts every mount at or under dir.
	Unmount(dir string) error
}

// Volume is a prepared volume: where it is on the host and whether
// containers always get it read-only.
type Volume struct {
	Path     string
	ReadOnly bool
}

// Manager prepares and removes the volumes of the node's pods. It is safe
// for concurrent use on different pods.
type Manager struct {
	root    string
	sources Sources
	mounter Mounter
}

// NewManager returns a Manager keeping pods under <root>/pods.
func NewManager(root string, sources Sources, mounter Mounter) *Manager {
	return &Manager{root: root, sources: sources, mounter: mounter}
}

// PodDir is the directory of pod uid.
func (m *Manager) PodDir(uid types.UID) string {
	return filepath.Join(m.root, "pods", string(uid))
}

func (m *Manager) volumeDir(uid types.UID, plugin, name string) string {
	return filepath.Join(m.PodDir(uid), "volumes", "kubernetes.io~"+plugin, name)
}

// Setup prepares every volume of the pod and returns them by name.
func (m *Manager) Setup(ctx context.Context, p env.Pod) (map[string]Volume, error) {
	out := make(map[string]Volume, len(p.Spec.Volumes))
	for i := range p.Spec.Volumes {
		v := &p.Spec.Volumes[i]
		vol, err := m.setup(ctx, p, v)
		if err != nil {
			return nil, fmt.Errorf("volume %q: %w", v.Name, err)
		}
		out[v.Name] = vol
	}
	return out, nil
}

func (m *Manager) setup(ctx context.Context, p env.Pod, v *corev1.Volume) (Volume, error) {
	uid := p.UID
	gid := fsGroup(p.Pod)
	switch {
	case v.EmptyDir != nil:
		return m.emptyDir(m.volumeDir(uid, "empty-dir", v.Name), v.EmptyDir, gid)
	case v.HostPath != nil:
		return hostPath(v.HostPath)
	case v.PersistentVolumeClaim != nil:
		return claimVolume(ctx, m.sources, p.Namespace, v.PersistentVolumeClaim)
	case v.ConfigMap != nil:
		dir := m.volumeDir(uid, "configmap", v.Name)
		payload, err := configMapPayload(ctx, m.sources, p.Namespace, v.ConfigMap)
		return m.projected(dir, false, payload, gid, err)
	case v.Secret != nil:
		dir := m.volumeDir(uid, "secret", v.Name)
		payload, err := secretPayload(ctx, m.sources, p.Namespace, v.Secret)
		return m.projected(dir, true, payload, gid, err)
	case v.DownwardAPI != nil:
		dir := m.volumeDir(uid, "downward-api", v.Name)
		payload, err := downwardPayload(p, v.DownwardAPI.Items, v.DownwardAPI.DefaultMode)
		return m.projected(dir, true, payload, gid, err)
	case v.Projected != nil:
		dir := m.volumeDir(uid, "projected", v.Name)
		payload, err := projectedPayload(ctx, m.sources, p, v.Projected)
		return m.projected(dir, true, payload, gid, err)
	}
	return Volume{}, fmt.Errorf("unsupported volume type (emptyDir, hostPath, persistentVolumeClaim, configMap, secret, downwardAPI and projected are)")
}

// projected writes a payload atomically, on tmpfs when memory.
func (m *Manager) projected(dir string, memory bool, payload map[string]File, gid int, err error) (Volume, error) {
	if err != nil {
		return Volume{}, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Volume{}, err
	}
	if memory {
		if err := m.mounter.MountTmpfs(dir, 0); err != nil {
			return Volume{}, err
		}
	}
	if err := writeAtomic(dir, payload, gid); err != nil {
		return Volume{}, err
	}
	return Volume{Path: dir, ReadOnly: true}, nil
}

// Teardown unmounts and removes everything of pod uid.
func (m *Manager) Teardown(uid types.UID) error {
	dir := m.PodDir(uid)
	if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err := m.mounter.Unmount(dir); err != nil {
		return err
	}
	return os.RemoveAll(dir)
}

// Pods lists the UIDs that have a directory (to clean up after pods gone
// while the agent was down).
func (m *Manager) Pods() ([]types.UID, error) {
	entries, err := os.ReadDir(filepath.Join(m.root, "pods"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	var out []types.UID
	for _, e := range entries {
		if e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
			out = append(out, types.UID(e.Name()))
		}
	}
	return out, err
}

// fsGroup is the pod's fsGroup, or -1.
func fsGroup(pod *corev1.Pod) int {
	if sc := pod.Spec.SecurityContext; sc != nil && sc.FSGroup != nil {
		return int(*sc.FSGroup)
	}
	return -1
}
