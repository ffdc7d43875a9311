// Package hostpath confines paths that requests name on the host: a path
// is inside a directory when it is, with every symlink on the way
// resolved (dangling ones too), so that a symlink cannot lead a log file
// or a profile out of the directory it must stay in.
package hostpath

import (
	"io/fs"
	"os"
	"path/filepath"
)

// maxLinks bounds the symlinks followed, as the kernel's ELOOP does.
const maxLinks = 40

// Resolve returns where path is, or would be once created: its symlinks
// resolved as far as they exist, a dangling one to its target, and the
// part that does not exist kept as it is.
func Resolve(path string) string {
	links := 0
	return resolve(filepath.Clean(path), &links)
}

func resolve(path string, links *int) string {
	if real, err := filepath.EvalSymlinks(path); err == nil {
		return real
	}
	fi, err := os.Lstat(path)
	if err == nil && fi.Mode()&fs.ModeSymlink != 0 && *links < maxLinks {
		if target, err := os.Readlink(path); err == nil {
			*links++
			if !filepath.IsAbs(target) {
				target = filepath.Join(resolve(filepath.Dir(path), links), target)
			}
			return resolve(filepath.Clean(target), links)
		}
	}
	parent := filepath.Dir(path)
	if parent == path {
		return path
	}
	return filepath.Join(resolve(parent, links), filepath.Base(path))
}

// Within reports whether path is dir or under it, both resolved.
func Within(path, dir string) bool {
	rel, err := filepath.Rel(Resolve(dir), Resolve(path))
	return err == nil && (rel == "." || filepath.IsLocal(rel))
}
