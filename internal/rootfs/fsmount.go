package rootfs

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/skiffrt/skiff/internal/errdefs"
)

// maxFsconfigString is the longest string value fsconfig(2) accepts
// (strndup_user(value, 256), the NUL included).
const maxFsconfigString = 255

// newAPI reports, once per process, whether overlayfs takes its layers
// through fsconfig "lowerdir+". Kernels before 5.2 lack fsopen (ENOSYS;
// EPERM under a seccomp filter). Overlayfs on 6.5 to 6.7 parses parameters
// itself and rejects "lowerdir+" as unknown. Before 6.5 the VFS collects
// any key into a mount(2)-style option string and fails only at create,
// so a second, bogus key tells those kernels from 6.8 and later, which
// reject it at once.
var newAPI = sync.OnceValue(func() bool {
	fsfd, err := unix.Fsopen("overlay", unix.FSOPEN_CLOEXEC)
	if err != nil {
		return false
	}
	defer unix.Close(fsfd)
	if unix.FsconfigSetString(fsfd, "lowerdir+", "/") != nil {
		return false
	}
	return errors.Is(unix.FsconfigSetString(fsfd, "skiff.probe", "x"), unix.EINVAL)
})

// mountNewAPI mounts the overlay with fsopen/fsconfig/fsmount/move_mount.
func mountNewAPI(lower []string, upper, work, target string) error {
	fsfd, err := unix.Fsopen("overlay", unix.FSOPEN_CLOEXEC)
	if err != nil {
		return fmt.Errorf("rootfs: fsopen overlay: %w", err)
	}
	defer unix.Close(fsfd)
	wrap := func(step string, err error) error {
		return fmt.Errorf("rootfs: overlay %s: %w%s", step, err, fsLog(fsfd))
	}
	for i, l := range lower {
		if err := setPath(fsfd, "lowerdir+", l); err != nil {
			return wrap(fmt.Sprintf("layer %d (%s)", i, l), err)
		}
	}
	if err := setPath(fsfd, "upperdir", upper); err != nil {
		return wrap("upperdir", err)
	}
	if err := setPath(fsfd, "workdir", work); err != nil {
		return wrap("workdir", err)
	}
	for _, o := range options {
		if err := unix.FsconfigSetString(fsfd, o[0], o[1]); err != nil {
			return wrap(o[0]+"="+o[1], err)
		}
	}
	if err := unix.FsconfigCreate(fsfd); err != nil {
		return wrap("create", err)
	}
	mfd, err := unix.Fsmount(fsfd, unix.FSMOUNT_CLOEXEC, 0)
	if err != nil {
		return wrap("fsmount", err)
	}
	defer unix.Close(mfd)
	if err := unix.MoveMount(mfd, "", unix.AT_FDCWD, target, unix.MOVE_MOUNT_F_EMPTY_PATH); err != nil {
		return fmt.Errorf("rootfs: move overlay mount to %s: %w", target, err)
	}
	return nil
}

// setPath sets a path parameter as a string, or, if it is too long for
// fsconfig, as an open directory (Linux ≥ 6.13).
func setPath(fsfd int, key, path string) error {
	if len(path) <= maxFsconfigString {
		return unix.FsconfigSetString(fsfd, key, path)
	}
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return &os.PathError{Op: "open", Path: path, Err: err}
	}
	defer unix.Close(fd)
	if err := unix.FsconfigSetFd(fsfd, key, fd); err != nil {
		if errors.Is(err, unix.EINVAL) {
			return fmt.Errorf("path is %d bytes, over fsconfig's %d, and the kernel takes no directory fd for %s (needs Linux 6.13): %w",
				len(path), maxFsconfigString, key, errdefs.ErrFailedPrecondition)
		}
		return err
	}
	return nil
}

// fsLog drains the filesystem context's message log, where overlayfs
// explains a failed fsconfig, and returns it for an error message.
func fsLog(fsfd int) string {
	var msgs []string
	buf := make([]byte, 1024)
	for range 16 {
		n, err := unix.Read(fsfd, buf)
		if err != nil || n <= 0 {
			break
		}
		msgs = append(msgs, strings.TrimSpace(string(buf[:n])))
	}
	if len(msgs) == 0 {
		return ""
	}
	return " (" + strings.Join(msgs, "; ") + ")"
}
