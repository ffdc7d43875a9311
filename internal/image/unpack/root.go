package unpack

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/skiffrt/skiff/internal/errdefs"
)

// resolveInRoot makes openat2 treat the layer directory as "/": absolute
// symlinks and ".." stop at it. Magic links (/proc/self/fd/…) cannot occur
// inside a layer directory, but refusing them costs nothing.
const resolveInRoot = unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS

// maxSymlinks bounds symlink expansions in one path, like the kernel's.
const maxSymlinks = 40

// root is an open layer directory. Every name below it is opened through
// it, so nothing outside can be reached.
//
// A root is used by one goroutine. It caches the fd of the directory it
// resolved last, because consecutive tar entries mostly share a parent.
type root struct {
	f  *os.File // owns fd
	fd int      // O_RDONLY|O_DIRECTORY

	// cacheFD is an O_PATH fd of directory cacheName, or -1. Removing an
	// entry marks the cache stale: that is the only operation that can
	// change what an existing name resolves to, since new entries are only
	// ever created where nothing was.
	cacheName string
	cacheFD   int
	stale     bool

	// made is called for each directory mkdirAll creates: base in dirfd,
	// which is name relative to the root.
	made func(dirfd int, base, name string) error
}

// openRoot opens dir, which must be an empty directory.
func openRoot(dir string) (*root, error) {
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		class := errdefs.ErrInvalidArgument
		if errors.Is(err, unix.ENOENT) {
			class = errdefs.ErrNotFound
		}
		return nil, fmt.Errorf("%w: layer directory %q: %w", class, dir, err)
	}
	f := os.NewFile(uintptr(fd), dir)
	names, err := f.Readdirnames(1)
	if err != nil && err != io.EOF {
		f.Close()
		return nil, fmt.Errorf("%w: layer directory %q: %w", errdefs.ErrInternal, dir, err)
	}
	if len(names) > 0 {
		f.Close()
		return nil, fmt.Errorf("%w: layer directory %q is not empty", errdefs.ErrFailedPrecondition, dir)
	}
	r := &root{f: f, fd: fd, cacheFD: -1}
	probe, err := r.open("", unix.O_PATH|unix.O_DIRECTORY)
	if err != nil {
		f.Close()
		if err == unix.ENOSYS {
			return nil, fmt.Errorf("%w: unpacking layers needs openat2 (Linux 5.6 or later)", errdefs.ErrNotImplemented)
		}
		return nil, fmt.Errorf("%w: layer directory %q: %w", errdefs.ErrInternal, dir, err)
	}
	unix.Close(probe)
	return r, nil
}

func (r *root) close() {
	r.dropCache()
	r.f.Close()
}

func (r *root) dropCache() {
	if r.cacheFD >= 0 {
		unix.Close(r.cacheFD)
	}
	r.cacheName, r.cacheFD, r.stale = "", -1, false
}

// open opens name ("" is the root itself) with openat2(RESOLVE_IN_ROOT).
func (r *root) open(name string, flags uint64) (int, error) {
	if name == "" {
		name = "."
	}
	how := unix.OpenHow{Flags: flags | unix.O_CLOEXEC, Resolve: resolveInRoot}
	for i := 0; ; i++ {
		fd, err := unix.Openat2(r.fd, name, &how)
		// EAGAIN: the kernel saw a concurrent rename and wants a retry.
		if (err == unix.EAGAIN || err == unix.EINTR) && i < 16 {
			continue
		}
		return fd, err
	}
}

// dir returns an O_PATH fd of directory name, resolved in the root. With
// create, missing directories are made (see mkdirAll). The fd belongs to
// r: it stays valid until the next call of dir.
func (r *root) dir(name string, create bool) (int, error) {
	if name == "" {
		return r.fd, nil
	}
	if !r.stale && r.cacheFD >= 0 && r.cacheName == name {
		return r.cacheFD, nil
	}
	fd, err := r.open(name, unix.O_PATH|unix.O_DIRECTORY)
	if errors.Is(err, unix.ENOENT) && create {
		fd, err = r.mkdirAll(name)
	}
	if err != nil {
		return -1, err
	}
	r.dropCache()
	r.cacheName, r.cacheFD = name, fd
	return fd, nil
}

// mkdirAll opens directory name, creating what is missing with mode 0755.
// It walks name one component at a time with *at calls on directory fds
// inside the root, expanding symlinks itself: absolute targets restart at
// the root and ".." never climbs above it. A dangling "evil -> /etc" thus
// gets <root>/etc created, exactly where openat2(RESOLVE_IN_ROOT) would
// have resolved it.
func (r *root) mkdirAll(name string) (int, error) {
	w := walker{r: r, fd: r.fd}
	defer w.close()
	links := 0
	for rest := name; rest != ""; {
		var c string
		c, rest, _ = strings.Cut(rest, "/")
		switch c {
		case "", ".":
			continue
		case "..":
			if err := w.up(); err != nil {
				return -1, err
			}
			continue
		}
		var st unix.Stat_t
		err := unix.Fstatat(w.fd, c, &st, unix.AT_SYMLINK_NOFOLLOW)
		switch {
		case errors.Is(err, unix.ENOENT):
			if err := mkdirMode(w.fd, c, 0o755); err != nil {
				return -1, err
			}
			if r.made != nil {
				if err := r.made(w.fd, c, path.Join(w.path, c)); err != nil {
					return -1, err
				}
			}
		case err != nil:
			return -1, err
		case st.Mode&unix.S_IFMT == unix.S_IFLNK:
			if links++; links > maxSymlinks {
				return -1, unix.ELOOP
			}
			target, err := readlinkat(w.fd, c)
			if err != nil {
				return -1, err
			}
			if strings.HasPrefix(target, "/") {
				w.toRoot()
			}
			rest = target + "/" + rest
			continue
		case st.Mode&unix.S_IFMT != unix.S_IFDIR:
			return -1, unix.ENOTDIR
		}
		if err := w.down(c); err != nil {
			return -1, err
		}
	}
	return r.open(w.path, unix.O_PATH|unix.O_DIRECTORY)
}

// walker is mkdirAll's position: fd is directory path (physical, relative
// to the root, no symlinks in it). fd is owned unless it is the root's.
type walker struct {
	r    *root
	fd   int
	path string
}

func (w *walker) close() {
	if w.fd != w.r.fd {
		unix.Close(w.fd)
	}
}

func (w *walker) set(fd int, p string) {
	w.close()
	w.fd, w.path = fd, p
}

func (w *walker) toRoot() { w.set(w.r.fd, "") }

func (w *walker) down(c string) error {
	fd, err := unix.Openat(w.fd, c, unix.O_PATH|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	w.set(fd, path.Join(w.path, c))
	return nil
}

func (w *walker) up() error {
	p := path.Dir(w.path)
	if p == "." || p == "/" {
		w.toRoot()
		return nil
	}
	fd, err := w.r.open(p, unix.O_PATH|unix.O_DIRECTORY)
	if err != nil {
		return err
	}
	w.set(fd, p)
	return nil
}

// mkdirMode makes directory base in dirfd with exactly mode (no umask).
func mkdirMode(dirfd int, base string, mode uint32) error {
	if err := unix.Mkdirat(dirfd, base, mode); err != nil {
		return err
	}
	return chmodAt(dirfd, base, mode)
}

// removeAt removes base from directory dirfd — a directory recursively —
// without following symlinks, and takes what it frees off u.
func (r *root) removeAt(dirfd int, base string, st *unix.Stat_t, u *Usage) error {
	r.stale = true
	if st.Mode&unix.S_IFMT == unix.S_IFDIR {
		if err := r.removeChildren(dirfd, base, u); err != nil {
			return err
		}
		if err := unix.Unlinkat(dirfd, base, unix.AT_REMOVEDIR); err != nil {
			return err
		}
	} else if err := unix.Unlinkat(dirfd, base, 0); err != nil {
		return err
	}
	u.release(st)
	return nil
}

func (r *root) removeChildren(dirfd int, base string, u *Usage) error {
	fd, err := unix.Openat(dirfd, base, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	f := os.NewFile(uintptr(fd), base)
	defer f.Close()
	names, err := f.Readdirnames(-1)
	if err != nil {
		return err
	}
	for _, n := range names {
		var st unix.Stat_t
		if err := unix.Fstatat(fd, n, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			return err
		}
		if err := r.removeAt(fd, n, &st, u); err != nil {
			return err
		}
	}
	return nil
}

func readlinkat(dirfd int, base string) (string, error) {
	for size := 256; ; size *= 2 {
		buf := make([]byte, size)
		n, err := unix.Readlinkat(dirfd, base, buf)
		if err != nil {
			return "", err
		}
		if n < size {
			return string(buf[:n]), nil
		}
	}
}
