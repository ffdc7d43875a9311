package podfiles

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/moby/sys/mountinfo"
	"golang.org/x/sys/unix"

	"github.com/skiffrt/skiff/internal/errdefs"
)

// DefaultShmSize is the size of a pod's /dev/shm when none is asked for:
// 64 MiB, as containerd (defaultShmSize), cri-o and Docker. CRI v1 has no
// field for it (cri-o reads an annotation, io.kubernetes.cri-o.ShmSize);
// kubelet grows /dev/shm with an emptyDir of medium Memory instead.
const DefaultShmSize = 64 << 20

// maxStacked bounds the unmount loop of UnmountShm.
const maxStacked = 16

// MountShm mounts a tmpfs of sizeBytes (0 for DefaultShmSize) on
// <dir>/shm: mode 1777, nosuid, nodev, noexec, as containerd does. It
// fails with errdefs.ErrAlreadyExists if one is already mounted there.
func MountShm(dir string, sizeBytes int64) error {
	if sizeBytes < 0 {
		return fmt.Errorf("podfiles: shm size %d is negative: %w", sizeBytes, errdefs.ErrInvalidArgument)
	}
	if sizeBytes == 0 {
		sizeBytes = DefaultShmSize
	}
	path := filepath.Join(dir, ShmDir)
	if err := os.MkdirAll(path, 0o700); err != nil {
		return fmt.Errorf("podfiles: %w", err)
	}
	mounted, err := mountinfo.Mounted(path)
	if err != nil {
		return fmt.Errorf("podfiles: %w", err)
	}
	if mounted {
		return fmt.Errorf("podfiles: %s: %w", path, errdefs.ErrAlreadyExists)
	}
	opts := "mode=1777,size=" + strconv.FormatInt(sizeBytes, 10)
	flags := uintptr(unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC)
	if err := unix.Mount("shm", path, "tmpfs", flags, opts); err != nil {
		return fmt.Errorf("podfiles: mount shm on %s: %w", path, err)
	}
	return nil
}

// UnmountShm unmounts <dir>/shm, lazily if it is busy, and removes the
// directory. It is idempotent.
func UnmountShm(dir string) error {
	path := filepath.Join(dir, ShmDir)
	for range maxStacked {
		err := unix.Unmount(path, unix.UMOUNT_NOFOLLOW)
		if errors.Is(err, unix.EBUSY) {
			err = unix.Unmount(path, unix.MNT_DETACH|unix.UMOUNT_NOFOLLOW)
		}
		if err == nil {
			continue
		}
		if !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOENT) {
			return fmt.Errorf("podfiles: unmount %s: %w", path, err)
		}
		// Not (or no longer) a mount point: only the directory is left.
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("podfiles: %w", err)
		}
		return nil
	}
	return fmt.Errorf("podfiles: %s: still mounted after %d unmounts: %w", path, maxStacked, errdefs.ErrInternal)
}
