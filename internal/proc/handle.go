package proc

import (
	"errors"
	"fmt"
	"os"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/skiffrt/skiff/internal/errdefs"
)

// Handle is a pidfd on one process, checked to be id's. It is safe for
// concurrent use.
type Handle struct {
	id   ID
	f    *os.File      // the pidfd, non-blocking: Go's poller waits on it
	done chan struct{} // closed once the process has exited (reaped, if ours)
}

// Open returns a Handle on id's process and starts watching it for its
// exit. A zombie is there still (and reaped by the Handle if it is a
// child of this process); a process that is gone, or a pid that now
// names another process, is errdefs.ErrNotFound.
func Open(id ID) (*Handle, error) {
	if id.PID <= 0 {
		return nil, fmt.Errorf("process %v: %w: no pid", id, errdefs.ErrNotFound)
	}
	fd, err := unix.PidfdOpen(id.PID, unix.PIDFD_NONBLOCK)
	if errors.Is(err, unix.ESRCH) {
		return nil, fmt.Errorf("process %v: %w: it has exited", id, errdefs.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("process %v: pidfd_open: %w", id, err)
	}
	f := os.NewFile(uintptr(fd), "pidfd")
	// The pidfd names whichever process had the pid when it was opened;
	// it is id's if that process, still there now, has id's start time.
	if start, _, err := Stat(id.PID); err != nil || start != id.StartTime {
		f.Close()
		return nil, fmt.Errorf("process %v: %w: it has exited", id, errdefs.ErrNotFound)
	}
	h := &Handle{id: id, f: f, done: make(chan struct{})}
	go h.watch()
	return h, nil
}

// ID returns the process's ID.
func (h *Handle) ID() ID { return h.id }

// Done is closed once the process has exited.
func (h *Handle) Done() <-chan struct{} { return h.done }

// Exited reports whether the process has exited.
func (h *Handle) Exited() bool {
	select {
	case <-h.done:
		return true
	default:
		return false
	}
}

// Signal sends sig to the process; one that has exited is fine.
func (h *Handle) Signal(sig syscall.Signal) error {
	rc, err := h.f.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) { serr = unix.PidfdSendSignal(int(fd), sig, nil, 0) }); err != nil {
		return err
	}
	if serr != nil && !errors.Is(serr, unix.ESRCH) {
		return fmt.Errorf("signal process %v: %w", h.id, serr)
	}
	return nil
}

// Close releases the pidfd; Done is then never closed if the process has
// not exited yet.
func (h *Handle) Close() error { return h.f.Close() }

// watch waits until the pidfd is readable, which it becomes when the
// process exits, reaps the process if it is a child of this one (a
// process that is not gives ECHILD) and closes done.
func (h *Handle) watch() {
	rc, err := h.f.SyscallConn()
	if err != nil {
		return
	}
	err = rc.Read(func(fd uintptr) bool {
		ready, _ := unix.Poll([]unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}, 0)
		if ready <= 0 {
			return false // wait for the poller
		}
		for {
			err := unix.Waitid(unix.P_PIDFD, int(fd), nil, unix.WEXITED|unix.WNOHANG, nil)
			if err != unix.EINTR {
				return true
			}
		}
	})
	if err == nil { // not closed first
		close(h.done)
	}
}
