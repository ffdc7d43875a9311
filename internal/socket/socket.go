package socket

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// ErrInUse means another live process serves the socket.
var ErrInUse = errors.New("socket in use")

// Listener is a unix socket listener holding the socket's lock. Close
// removes the socket and releases the lock.
type Listener struct {
	net.Listener
	lock *os.File
}

// Listen creates the parent directories of path, takes the lock file
// path+".lock" (naming the holder's pid in the error when another process
// holds it), replaces a stale socket, and listens on path with mode perm.
func Listen(path string, perm os.FileMode) (*Listener, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("create socket directory: %w", err)
	}
	lock, err := takeLock(path + ".lock")
	if err != nil {
		return nil, err
	}
	ln, err := listen(path, perm)
	if err != nil {
		lock.Close()
		return nil, err
	}
	return &Listener{Listener: ln, lock: lock}, nil
}

// listen replaces whatever is at path (the lock says nobody serves it) and
// listens there with mode perm, set before any client can connect.
func listen(path string, perm os.FileMode) (net.Listener, error) {
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("remove stale socket: %w", err)
	}
	old := unix.Umask(0o777 &^ int(perm))
	ln, err := net.Listen("unix", path)
	unix.Umask(old)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", path, err)
	}
	if err := os.Chmod(path, perm); err != nil {
		ln.Close()
		return nil, fmt.Errorf("chmod %s: %w", path, err)
	}
	return ln, nil
}

// takeLock locks the file at path for the life of this process and writes
// our pid into it.
func takeLock(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open lock file: %w", err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		defer f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w: %s is held by another process%s", ErrInUse, path, holder(f))
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return f, nil
}

// holder describes the pid written in a held lock file, if any.
func holder(f *os.File) string {
	b := make([]byte, 32)
	n, _ := f.ReadAt(b, 0)
	if pid := strings.TrimSpace(string(b[:n])); pid != "" {
		return " (pid " + pid + ")"
	}
	return ""
}

// Close stops listening, removes the socket and releases the lock.
func (l *Listener) Close() error {
	err := l.Listener.Close()
	l.lock.Close()
	return err
}
