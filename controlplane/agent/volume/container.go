package volume

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	pathrs "github.com/cyphar/filepath-securejoin/pathrs-lite"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// Mounts are the CRI mounts of container c: its volume mounts (subPath
// and subPathExpr resolved inside the volume, created when missing) and,
// unless a volume covers it, a fresh termination message file at its
// terminationMessagePath. expand resolves $(VAR) in subPathExpr.
func (m *Manager) Mounts(uid types.UID, c *corev1.Container, vols map[string]Volume, expand func(string) string) ([]*runtimeapi.Mount, error) {
	var out []*runtimeapi.Mount
	covered := false
	for _, vm := range c.VolumeMounts {
		v, ok := vols[vm.Name]
		if !ok {
			return nil, fmt.Errorf("cannot find volume %q to mount into container %q", vm.Name, c.Name)
		}
		host := v.Path
		sub := vm.SubPath
		if vm.SubPathExpr != "" {
			sub = expand(vm.SubPathExpr)
		}
		if sub != "" {
			p, err := subPath(host, sub)
			if err != nil {
				return nil, fmt.Errorf("volume %q subPath %q: %w", vm.Name, sub, err)
			}
			host = p
		}
		out = append(out, &runtimeapi.Mount{
			ContainerPath: vm.MountPath, HostPath: host, Readonly: vm.ReadOnly || v.ReadOnly,
			Propagation: propagation(vm.MountPropagation),
		})
		covered = covered || vm.MountPath == c.TerminationMessagePath
	}
	if c.TerminationMessagePath != "" && !covered {
		f, err := m.terminationFile(uid, c.Name)
		if err != nil {
			return nil, err
		}
		out = append(out, &runtimeapi.Mount{ContainerPath: c.TerminationMessagePath, HostPath: f})
	}
	return out, nil
}

// subPath is sub inside the volume at root, never outside it, created as
// a directory when missing.
func subPath(root, sub string) (string, error) {
	if filepath.IsAbs(sub) {
		return "", fmt.Errorf("must be a relative path")
	}
	p := filepath.Join(root, sub)
	if _, err := os.Lstat(p); err == nil {
		if real, err := filepath.EvalSymlinks(p); err != nil || !within(root, real) {
			return "", fmt.Errorf("leaves the volume")
		}
		return p, nil
	}
	if err := pathrs.MkdirAll(root, sub, 0o750); err != nil {
		return "", err
	}
	return p, nil
}

func within(root, p string) bool {
	rootReal, err := filepath.EvalSymlinks(root)
	if err != nil {
		return false
	}
	rel, err := filepath.Rel(rootReal, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, "../")
}

// terminationFile creates an empty, world-writable file for one run of a
// container to leave its termination message in.
func (m *Manager) terminationFile(uid types.UID, name string) (string, error) {
	dir := filepath.Join(m.PodDir(uid), "containers", name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	b := make([]byte, 4)
	rand.Read(b)
	p := filepath.Join(dir, hex.EncodeToString(b))
	f, err := os.OpenFile(p, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o666)
	if err != nil {
		return "", err
	}
	f.Close()
	return p, os.Chmod(p, 0o666)
}

func propagation(p *corev1.MountPropagationMode) runtimeapi.MountPropagation {
	if p == nil {
		return runtimeapi.MountPropagation_PROPAGATION_PRIVATE
	}
	switch *p {
	case corev1.MountPropagationHostToContainer:
		return runtimeapi.MountPropagation_PROPAGATION_HOST_TO_CONTAINER
	case corev1.MountPropagationBidirectional:
		return runtimeapi.MountPropagation_PROPAGATION_BIDIRECTIONAL
	}
	return runtimeapi.MountPropagation_PROPAGATION_PRIVATE
}
