package volume

import (
	"errors"
	"fmt"
	"os"

	corev1 "k8s.io/api/core/v1"
)

// emptyDir is a directory open to every user (0777, as kubelet's), on
// tmpfs sized by sizeLimit for medium Memory.
func (m *Manager) emptyDir(dir string, src *corev1.EmptyDirVolumeSource, gid int) (Volume, error) {
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return Volume{}, err
	}
	if src.Medium == corev1.StorageMediumMemory {
		var size int64
		if src.SizeLimit != nil {
			size = src.SizeLimit.Value()
		}
		if err := m.mounter.MountTmpfs(dir, size); err != nil {
			return Volume{}, err
		}
	} else if src.Medium != corev1.StorageMediumDefault {
		return Volume{}, fmt.Errorf("emptyDir medium %q is not supported (\"\" or Memory)", src.Medium)
	}
	mode := os.FileMode(0o777)
	if gid >= 0 {
		mode |= os.ModeSetgid
		if err := os.Chown(dir, -1, gid); err != nil {
			return Volume{}, err
		}
	}
	return Volume{Path: dir}, os.Chmod(dir, mode)
}

// hostPath checks (or creates) the path as its type asks.
func hostPath(src *corev1.HostPathVolumeSource) (Volume, error) {
	t := corev1.HostPathUnset
	if src.Type != nil {
		t = *src.Type
	}
	p := src.Path
	switch t {
	case corev1.HostPathDirectoryOrCreate:
		if err := os.MkdirAll(p, 0o755); err != nil {
			return Volume{}, err
		}
	case corev1.HostPathFileOrCreate:
		f, err := os.OpenFile(p, os.O_CREATE|os.O_RDONLY, 0o644)
		if err != nil {
			return Volume{}, err
		}
		f.Close()
	}
	if t == corev1.HostPathUnset {
		return Volume{Path: p}, nil
	}
	info, err := os.Stat(p)
	if errors.Is(err, os.ErrNotExist) {
		return Volume{}, fmt.Errorf("hostPath type check failed: %s is not a %s", p, kindName(t))
	}
	if err != nil {
		return Volume{}, err
	}
	if !typeMatches(t, info.Mode()) {
		return Volume{}, fmt.Errorf("hostPath type check failed: %s is not a %s", p, kindName(t))
	}
	return Volume{Path: p}, nil
}

func typeMatches(t corev1.HostPathType, m os.FileMode) bool {
	switch t {
	case corev1.HostPathDirectory, corev1.HostPathDirectoryOrCreate:
		return m.IsDir()
	case corev1.HostPathFile, corev1.HostPathFileOrCreate:
		return m.IsRegular()
	case corev1.HostPathSocket:
		return m&os.ModeSocket != 0
	case corev1.HostPathCharDev:
		return m&os.ModeCharDevice != 0
	case corev1.HostPathBlockDev:
		return m&os.ModeDevice != 0 && m&os.ModeCharDevice == 0
	}
	return false
}

func kindName(t corev1.HostPathType) string {
	switch t {
	case corev1.HostPathDirectory, corev1.HostPathDirectoryOrCreate:
		return "directory"
	case corev1.HostPathFile, corev1.HostPathFileOrCreate:
		return "file"
	case corev1.HostPathSocket:
		return "socket"
	case corev1.HostPathCharDev:
		return "character device"
	case corev1.HostPathBlockDev:
		return "block device"
	}
	return string(t)
}
