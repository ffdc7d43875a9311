package monitor

import (
	"errors"
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"

	"github.com/skiffrt/skiff/internal/shim/api"
)

// consoleWait bounds how long the shim waits for the pty master once the
// process has started: the process sent it before it reported ready, so
// it is in the socket's buffer already.
const consoleWait = 5 * time.Second

// newConsoleSocket returns a connected pair of unix sockets: the shim
// keeps parent; child is handed to the process (libcontainer's
// ConsoleSocket), whose init creates the pty inside the container and
// sends the master back over it.
func newConsoleSocket() (parent int, child *os.File, err error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, nil, os.NewSyscallError("socketpair", err)
	}
	return fds[0], os.NewFile(uintptr(fds[1]), "console-socket"), nil
}

// recvConsole receives the pty master that the process sent on sock and
// closes sock. The master is returned non-blocking, so that reads and
// writes go through the Go poller and take deadlines.
func recvConsole(sock int) (*os.File, error) {
	defer unix.Close(sock)
	tv := unix.NsecToTimeval(consoleWait.Nanoseconds())
	if err := unix.SetsockoptTimeval(sock, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		return nil, os.NewSyscallError("setsockopt", err)
	}
	name := make([]byte, 4096) // the pty's name comes as the message
	oob := make([]byte, unix.CmsgSpace(4))
	n, oobn, _, _, err := unix.Recvmsg(sock, name, oob, unix.MSG_CMSG_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("receive the console: %w", os.NewSyscallError("recvmsg", err))
	}
	msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	if err != nil || len(msgs) != 1 {
		return nil, errors.New("receive the console: the process sent none")
	}
	fds, err := unix.ParseUnixRights(&msgs[0])
	if err != nil || len(fds) != 1 {
		for _, fd := range fds {
			unix.Close(fd)
		}
		return nil, errors.New("receive the console: not one file descriptor")
	}
	if err := unix.SetNonblock(fds[0], true); err != nil {
		unix.Close(fds[0])
		return nil, os.NewSyscallError("set the console non-blocking", err)
	}
	return os.NewFile(uintptr(fds[0]), string(name[:n])), nil
}

// resizeConsole sets the terminal size of the pty whose master is f.
func resizeConsole(f *os.File, size api.TerminalSize) error {
	return control(f, func(fd int) error {
		return unix.IoctlSetWinsize(fd, unix.TIOCSWINSZ, &unix.Winsize{Row: size.Height, Col: size.Width})
	})
}

// sendEOF writes the terminal's end-of-file character (VEOF, ^D unless
// changed) to the pty whose master is f: a pty's input cannot be closed
// without hanging up its output too, and a program reading the terminal
// in canonical mode reads EOF from it, as from a closed pipe.
func sendEOF(f *os.File) error {
	eof := byte(4) // ^D
	_ = control(f, func(fd int) error {
		t, err := unix.IoctlGetTermios(fd, unix.TCGETS)
		if err == nil && t.Cc[unix.VEOF] != 0 {
			eof = t.Cc[unix.VEOF]
		}
		return err
	})
	_, err := f.Write([]byte{eof})
	return err
}

// control runs fn on f's descriptor without making it blocking, as Fd
// would.
func control(f *os.File, fn func(fd int) error) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var ferr error
	if err := rc.Control(func(fd uintptr) { ferr = fn(int(fd)) }); err != nil {
		return err
	}
	return ferr
}
