package rootfs

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/skiffrt/skiff/internal/errdefs"
	"github.com/skiffrt/skiff/internal/log"
)

// Names of the directories under a container's directory.
const (
	UpperDir  = "upper"
	WorkDir   = "work"
	RootfsDir = "rootfs"
)

// maxLayers is overlayfs's OVL_MAX_STACK.
const maxLayers = 500

// options are the overlay options besides the layers; see the package
// comment for why.
var options = [][2]string{{"index", "off"}, {"metacopy", "off"}}

// api selects how the overlay is mounted.
type api int

const (
	apiAuto   api = iota // the new mount API, or mount(2) if the kernel lacks it
	apiLegacy            // mount(2) with an option string
)

// Mount stacks lowerDirs, topmost first, under <dir>/upper and mounts the
// result on <dir>/rootfs, which it returns. It creates dir and its
// subdirectories as needed and reuses an existing upper/ (a remount after
// a reboot). It fails with errdefs.ErrAlreadyExists if rootfs/ is already
// a mount point. On failure it removes the directories it created.
func Mount(ctx context.Context, lowerDirs []string, dir string) (string, error) {
	defer log.Span(ctx, "overlay.mount")()
	return mount(ctx, lowerDirs, dir, apiAuto)
}

func mount(ctx context.Context, lowerDirs []string, dir string, how api) (target string, err error) {
	if err := ctx.Err(); err != nil {
		return "", fmt.Errorf("rootfs: %w: %w", errdefs.ErrCanceled, err)
	}
	if err := checkLayers(lowerDirs); err != nil {
		return "", err
	}
	target = filepath.Join(dir, RootfsDir)
	mounted, err := IsMounted(target)
	if err != nil {
		return "", err
	}
	if mounted {
		return "", fmt.Errorf("rootfs: %s: %w", target, errdefs.ErrAlreadyExists)
	}
	created, err := makeDirs(dir)
	defer func() {
		if err != nil {
			removeCreated(created)
		}
	}()
	if err != nil {
		return "", err
	}
	upper, work := filepath.Join(dir, UpperDir), filepath.Join(dir, WorkDir)
	if how == apiAuto && newAPI() {
		err = mountNewAPI(lowerDirs, upper, work, target)
	} else {
		err = mountLegacy(lowerDirs, upper, work, target)
	}
	if err != nil {
		return "", err
	}
	return target, nil
}

// checkLayers validates the layer list before anything touches the disk.
func checkLayers(lowerDirs []string) error {
	if len(lowerDirs) == 0 || len(lowerDirs) > maxLayers {
		return fmt.Errorf("rootfs: %d layers, want 1 to %d: %w", len(lowerDirs), maxLayers, errdefs.ErrInvalidArgument)
	}
	for i, l := range lowerDirs {
		if !filepath.IsAbs(l) {
			return fmt.Errorf("rootfs: layer %d: %q is not an absolute path: %w", i, l, errdefs.ErrInvalidArgument)
		}
		fi, err := os.Stat(l)
		if errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("rootfs: layer %d: %s: %w", i, l, errdefs.ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("rootfs: layer %d: %w", i, err)
		}
		if !fi.IsDir() {
			return fmt.Errorf("rootfs: layer %d: %s is not a directory: %w", i, l, errdefs.ErrInvalidArgument)
		}
	}
	return nil
}

// makeDirs creates dir, upper/, work/ and rootfs/ where missing and
// returns those it created, deepest last.
func makeDirs(dir string) ([]string, error) {
	var created []string
	if err := os.MkdirAll(filepath.Dir(dir), 0o711); err != nil {
		return nil, fmt.Errorf("rootfs: %w", err)
	}
	dirs := []struct {
		path string
		mode os.FileMode
	}{
		{dir, 0o711},
		{filepath.Join(dir, UpperDir), 0o755}, // the merged root's mode
		{filepath.Join(dir, WorkDir), 0o700},
		{filepath.Join(dir, RootfsDir), 0o755},
	}
	for _, d := range dirs {
		err := os.Mkdir(d.path, d.mode)
		if errors.Is(err, os.ErrExist) {
			continue
		}
		if err != nil {
			return created, fmt.Errorf("rootfs: %w", err)
		}
		created = append(created, d.path)
	}
	return created, nil
}

// removeCreated undoes makeDirs after a failed mount. upper/ and work/ may
// have been written by a half-done mount; rootfs/ is not mounted.
func removeCreated(created []string) {
	for i := len(created) - 1; i >= 0; i-- {
		if filepath.Base(created[i]) == RootfsDir {
			os.Remove(created[i])
			continue
		}
		os.RemoveAll(created[i])
	}
}
