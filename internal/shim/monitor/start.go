package monitor

import (
	"errors"
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"

	"github.com/skiffrt/skiff/internal/shim/api"
)

// startPoll is how often a start waiting on the exec fifo checks that
// the init is still alive.
const startPoll = 100 * time.Millisecond

// awaitExecFifo starts a created container as "runc start" does, without
// libcontainer: the init, paused in its open of the exec fifo for
// writing, goes on once the fifo has a reader, writes one byte and execs
// the user's program. The fifo is then removed, which is how
// libcontainer tells a running container from a created one. The fifo
// is opened read-write, so that reads never see an end of file while the
// init has not opened it yet; an init that exits instead (exited closes)
// ends the wait.
func awaitExecFifo(path string, exited <-chan struct{}) error {
	fd, err := unix.Open(path, unix.O_RDWR|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if errors.Is(err, unix.ENOENT) {
		return api.Errorf(api.CodeFailedPrecondition, "start container: no exec fifo: it was started already")
	}
	if err != nil {
		return fmt.Errorf("start container: %w", os.NewSyscallError("open exec fifo", err))
	}
	err = waitFifoByte(fd, exited)
	unix.Close(fd)
	if err != nil {
		return err
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("start container: %w", err)
	}
	return nil
}

// waitFifoByte waits until the init's byte can be read from the
// non-blocking fifo fd, or the init has exited without writing it.
func waitFifoByte(fd int, exited <-chan struct{}) error {
	for {
		if ok, err := readFifoByte(fd); ok || err != nil {
			return err
		}
		select {
		case <-exited:
			if ok, _ := readFifoByte(fd); ok { // it started, and exited at once
				return nil
			}
			return api.Errorf("", "start container: its process has exited")
		default:
		}
		pfd := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		if _, err := unix.Poll(pfd, int(startPoll/time.Millisecond)); err != nil && err != unix.EINTR {
			return fmt.Errorf("start container: %w", os.NewSyscallError("poll exec fifo", err))
		}
	}
}

// readFifoByte reads the init's byte from the non-blocking fifo fd:
// false while there is none yet.
func readFifoByte(fd int) (bool, error) {
	var b [1]byte
	n, err := unix.Read(fd, b[:])
	switch {
	case n == 1:
		return true, nil
	case err == unix.EAGAIN || err == unix.EINTR || err == nil:
		return false, nil
	}
	return false, fmt.Errorf("start container: %w", os.NewSyscallError("read exec fifo", err))
}
