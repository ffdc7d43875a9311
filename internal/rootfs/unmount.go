package rootfs

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/moby/sys/mountinfo"
	"golang.org/x/sys/unix"

	"github.com/skiffrt/skiff/internal/errdefs"
)

// maxStacked bounds the unmount loop: rootfs/ may carry more than one
// mount if something mounted over it again.
const maxStacked = 16

// Unmount unmounts <dir>/rootfs and removes upper/, work/, rootfs/ and dir
// itself if nothing else is left in it. It is idempotent and copes with
// any half-done state; a busy mount is detached lazily.
func Unmount(dir string) error {
	target := filepath.Join(dir, RootfsDir)
	if err := unmountAll(target); err != nil {
		return err
	}
	// rootfs/ is no longer a mount point: removing it cannot reach into
	// the container's files. os.Remove, not RemoveAll, all the same.
	if err := os.Remove(target); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("rootfs: %w", err)
	}
	for _, d := range []string{UpperDir, WorkDir} {
		if err := os.RemoveAll(filepath.Join(dir, d)); err != nil {
			return fmt.Errorf("rootfs: %w", err)
		}
	}
	err := os.Remove(dir)
	if err != nil && !errors.Is(err, os.ErrNotExist) && !errors.Is(err, unix.ENOTEMPTY) {
		return fmt.Errorf("rootfs: %w", err)
	}
	return nil
}

// unmountAll unmounts everything mounted on target, detaching lazily what
// is busy, until target is no mount point or is gone.
func unmountAll(target string) error {
	for range maxStacked {
		err := unix.Unmount(target, unix.UMOUNT_NOFOLLOW)
		if errors.Is(err, unix.EBUSY) {
			err = unix.Unmount(target, unix.MNT_DETACH|unix.UMOUNT_NOFOLLOW)
		}
		switch {
		case err == nil:
			continue
		case errors.Is(err, unix.EINVAL), errors.Is(err, unix.ENOENT):
			return nil // not (or no longer) a mount point, or not there
		default:
			return fmt.Errorf("rootfs: unmount %s: %w", target, err)
		}
	}
	return fmt.Errorf("rootfs: %s: still mounted after %d unmounts: %w", target, maxStacked, errdefs.ErrInternal)
}

// IsMounted reports whether target is a mount point. A missing target is
// not mounted.
func IsMounted(target string) (bool, error) {
	m, err := mountinfo.Mounted(target)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("rootfs: %w", err)
	}
	return m, nil
}
