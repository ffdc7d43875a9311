package rootfs

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"github.com/skiffrt/skiff/internal/errdefs"
)

// Usage returns the disk space in bytes (allocated blocks, as du counts
// them) and the number of inodes used by the writable layer <dir>/upper.
// Hard-linked files count once. Files that vanish during the walk, as a
// running container deletes them, are skipped. It fails with
// errdefs.ErrNotFound if there is no upper/.
func Usage(ctx context.Context, dir string) (bytes, inodes int64, err error) {
	upper := filepath.Join(dir, UpperDir)
	type key struct{ dev, ino uint64 }
	seen := map[key]bool{}
	err = filepath.WalkDir(upper, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if path != upper && errors.Is(err, os.ErrNotExist) {
				return nil
			}
			return err
		}
		if inodes%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("%w: %w", errdefs.ErrCanceled, err)
			}
		}
		fi, err := d.Info()
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		st, ok := fi.Sys().(*syscall.Stat_t)
		if !ok {
			return fmt.Errorf("%s: no stat data", path)
		}
		if st.Nlink > 1 && !fi.IsDir() {
			k := key{st.Dev, st.Ino}
			if seen[k] {
				return nil
			}
			seen[k] = true
		}
		bytes += st.Blocks * 512
		inodes++
		return nil
	})
	if errors.Is(err, os.ErrNotExist) {
		return 0, 0, fmt.Errorf("rootfs: %s: %w", upper, errdefs.ErrNotFound)
	}
	if err != nil {
		return 0, 0, fmt.Errorf("rootfs: usage of %s: %w", upper, err)
	}
	return bytes, inodes, nil
}
