package netns

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/skiffrt/skiff/internal/errdefs"
)

// maxStacked bounds the unmount loop of Remove: a pin may carry more than
// one bind mount if someone mounted over it again.
const maxStacked = 16

// NS is a pinned network namespace. It is an immutable value; the
// namespace lives until Remove, not until the NS is garbage collected.
type NS struct {
	path string
}

// New creates a network namespace with its loopback interface up and pins
// it at <dir>/<random name>. The calling goroutine and its thread stay in
// their own namespace.
func New(ctx context.Context, dir string) (*NS, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, fmt.Errorf("netns: random name: %w", err)
	}
	return NewNamed(ctx, dir, hex.EncodeToString(b[:]))
}

// NewNamed is New with a chosen file name. It fails with
// errdefs.ErrAlreadyExists if <dir>/<name> exists.
func NewNamed(ctx context.Context, dir, name string) (*NS, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("netns: %w: %w", errdefs.ErrCanceled, err)
	}
	if name == "" || name == "." || name == ".." || strings.ContainsRune(name, '/') {
		return nil, fmt.Errorf("netns: name %q is not a single file name: %w", name, errdefs.ErrInvalidArgument)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("netns: create directory: %w", err)
	}
	path := filepath.Join(dir, name)
	f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE|os.O_EXCL, 0o444)
	if errors.Is(err, os.ErrExist) {
		return nil, fmt.Errorf("netns: %s: %w", path, errdefs.ErrAlreadyExists)
	}
	if err != nil {
		return nil, fmt.Errorf("netns: create pin file: %w", err)
	}
	f.Close()
	if err := create(path); err != nil {
		// The pin may or may not be mounted; Remove copes with both.
		return nil, errors.Join(err, Remove(path))
	}
	return &NS{path: path}, nil
}

// Path is where the namespace is pinned; open it to setns(2) into it, or
// hand it to CNI as the netns path.
func (n *NS) Path() string { return n.path }

// Remove unpins the namespace; see the package function Remove.
func (n *NS) Remove() error { return Remove(n.path) }

// Do runs fn inside the namespace; see the package function Do.
func (n *NS) Do(fn func() error) error { return Do(n.path, fn) }

// Remove unmounts the pin at path and removes the file. It is idempotent:
// a path that is gone, or a file whose bind mount is already gone (a crash
// between the two steps), is fine. The kernel frees the namespace once no
// process, pin or open file refers to it any more.
//
// Remove refuses a path that is neither a pin nor a plain file, so that a
// bad path in the store cannot unmount or delete something else.
func Remove(path string) error {
	for i := 0; isNSFS(path); i++ {
		if i == maxStacked {
			return fmt.Errorf("netns: %s: still mounted after %d unmounts: %w", path, i, errdefs.ErrInternal)
		}
		err := unix.Unmount(path, unix.MNT_DETACH|unix.UMOUNT_NOFOLLOW)
		if errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOENT) {
			break // not a mount point: a symlink, say; Lstat below refuses it
		}
		if err != nil {
			return fmt.Errorf("netns: unmount %s: %w", path, err)
		}
	}
	fi, err := os.Lstat(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("netns: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("netns: %s is a %s, not a namespace pin: %w", path, fi.Mode().Type(), errdefs.ErrInvalidArgument)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("netns: %w", err)
	}
	return nil
}

// Exists reports whether path is still a pinned network namespace: an
// nsfs file of type network. A pin file without its bind mount, as a crash
// or a reboot leaves it, is not.
func Exists(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	return checkNetNS(int(f.Fd())) == nil
}

// isNSFS reports whether path is on nsfs, that is, a namespace is mounted
// on it.
func isNSFS(path string) bool {
	var st unix.Statfs_t
	return unix.Statfs(path, &st) == nil && st.Type == unix.NSFS_MAGIC
}

// checkNetNS returns nil if fd refers to a network namespace.
func checkNetNS(fd int) error {
	var st unix.Statfs_t
	if err := unix.Fstatfs(fd, &st); err != nil {
		return err
	}
	if st.Type != unix.NSFS_MAGIC {
		return fmt.Errorf("not a namespace file (fs type %#x)", st.Type)
	}
	typ, err := unix.IoctlRetInt(fd, unix.NS_GET_NSTYPE)
	if err != nil {
		return fmt.Errorf("namespace type: %w", err)
	}
	if typ != unix.CLONE_NEWNET {
		return fmt.Errorf("not a network namespace (type %#x)", typ)
	}
	return nil
}
