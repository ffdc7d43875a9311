package rootfs

import "context"

// Overlay is Mount and Unmount as methods, for managers that take their
// root filesystems through an interface (and a fake in unit tests).
type Overlay struct{}

// Mount is the package's Mount.
func (Overlay) Mount(ctx context.Context, lowerDirs []string, dir string) (string, error) {
	return Mount(ctx, lowerDirs, dir)
}

// Unmount is the package's Unmount.
func (Overlay) Unmount(dir string) error { return Unmount(dir) }
