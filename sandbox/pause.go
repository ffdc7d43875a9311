package sandbox

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
)

// pauseRootfsDirs are the mount points the pause container's spec uses,
// made ahead so that its rootfs can be read-only and shared by all pods.
var pauseRootfsDirs = []string{"proc", "dev", "sys", "etc", "tmp"}

// pauseRootfsFiles are the file mount points of the pause rootfs.
var pauseRootfsFiles = []string{"etc/hostname", "etc/hosts", "etc/resolv.conf"}

// PauseBinary is the path of the pause program inside its rootfs.
const PauseBinary = "/pause"

// EnsurePauseRootfs builds, under dir, the root filesystem that every pod's
// pause container shares read-only: the static program at pauseProgram
// and the mount points its spec needs. No image and no registry are
// involved. It rebuilds the rootfs when the program changed, and returns
// the rootfs path.
func EnsurePauseRootfs(dir, pauseProgram string) (string, error) {
	want, err := os.ReadFile(pauseProgram)
	if err != nil {
		return "", fmt.Errorf("pause program: %w", err)
	}
	rootfs := filepath.Join(dir, "rootfs")
	target := filepath.Join(rootfs, PauseBinary)
	if have, err := os.ReadFile(target); err == nil && bytes.Equal(have, want) {
		return rootfs, nil
	}
	if err := os.MkdirAll(dir, 0o711); err != nil {
		return "", fmt.Errorf("pause rootfs: %w", err)
	}
	tmp, err := os.MkdirTemp(dir, "rootfs-")
	if err != nil {
		return "", fmt.Errorf("pause rootfs: %w", err)
	}
	defer os.RemoveAll(tmp)
	if err := os.Chmod(tmp, 0o755); err != nil {
		return "", err
	}
	for _, d := range pauseRootfsDirs {
		if err := os.MkdirAll(filepath.Join(tmp, d), 0o755); err != nil {
			return "", fmt.Errorf("pause rootfs: %w", err)
		}
	}
	for _, f := range pauseRootfsFiles {
		if err := os.WriteFile(filepath.Join(tmp, f), nil, 0o644); err != nil {
			return "", fmt.Errorf("pause rootfs: %w", err)
		}
	}
	if err := os.WriteFile(filepath.Join(tmp, PauseBinary), want, 0o755); err != nil {
		return "", fmt.Errorf("pause rootfs: %w", err)
	}
	// Swap in the new rootfs; pause containers running from the old one
	// keep it through their own mount of it.
	old := rootfs + ".old"
	os.RemoveAll(old)
	if err := os.Rename(rootfs, old); err != nil && !os.IsNotExist(err) {
		return "", fmt.Errorf("pause rootfs: %w", err)
	}
	if err := os.Rename(tmp, rootfs); err != nil {
		return "", fmt.Errorf("pause rootfs: %w", err)
	}
	os.RemoveAll(old)
	return rootfs, nil
}
