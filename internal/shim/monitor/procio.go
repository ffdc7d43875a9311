package monitor

import (
	"errors"
	"os"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/skiffrt/skiff/internal/shim/api"
)

// childIO is what a process gets as its stdio: files, or, for a
// terminal, the socket its init sends the pty master back on. A nil
// file is /dev/null.
type childIO struct {
	stdin, stdout, stderr *os.File
	consoleSocket         *os.File
}

// procIO is the shim's side of one process's stdio, the container's or
// an exec'd command's: the ends of its pipes, or the master of its pty,
// which then carries its input and all its output. It is made before the
// process starts (newProcIO), completed once it has (started), and closed
// by its owner.
type procIO struct {
	tty bool
	// stdin is where the process's input goes: a pipe's write end, or the
	// console; nil without stdin.
	stdin *os.File
	// outputs are read until EOF: stdout and stderr pipes, or the console
	// (as stdout) alone. Each is nil when that stream is not wanted.
	stdout, stderr *os.File
	console        *os.File // the pty master; nil without a terminal

	child      childIO
	consoleFd  int // the shim's end of the console socket until started; -1 without
	closeStdin sync.Once
}

// newProcIO makes the stdio that o asks for. Without a terminal, each
// stream asked for is a pipe; streams not asked for are /dev/null.
func newProcIO(o api.IO) (p *procIO, err error) {
	p = &procIO{tty: o.Tty, consoleFd: -1}
	defer func() {
		if err != nil {
			p.close()
		}
	}()
	if o.Tty {
		p.consoleFd, p.child.consoleSocket, err = newConsoleSocket()
		return p, err
	}
	if o.Stdin {
		if p.child.stdin, p.stdin, err = os.Pipe(); err != nil {
			return p, err
		}
	}
	if o.Stdout {
		if p.stdout, p.child.stdout, err = os.Pipe(); err != nil {
			return p, err
		}
	}
	if o.Stderr {
		if p.stderr, p.child.stderr, err = os.Pipe(); err != nil {
			return p, err
		}
	}
	return p, nil
}

// started closes the process's ends, which it holds now, and, for a
// terminal, receives the pty master. wantStdin says whether the console
// takes input.
func (p *procIO) started(wantStdin bool) error {
	p.child.close()
	if !p.tty {
		return nil
	}
	console, err := recvConsole(p.consoleFd)
	p.consoleFd = -1
	if err != nil {
		return err
	}
	p.console, p.stdout = console, console
	if wantStdin {
		p.stdin = console
	}
	return nil
}

// outputs returns the streams to read, with their kinds.
func (p *procIO) outputs() map[api.StreamKind]*os.File {
	out := map[api.StreamKind]*os.File{}
	if p.stdout != nil {
		out[api.StreamStdout] = p.stdout
	}
	if p.stderr != nil {
		out[api.StreamStderr] = p.stderr
	}
	return out
}

// writeStdin writes to the process's input.
func (p *procIO) writeStdin(b []byte) error {
	if p.stdin == nil {
		return errors.New("the process has no stdin")
	}
	_, err := p.stdin.Write(b)
	return err
}

// endStdin ends the process's input, once: a pipe is closed; a terminal
// gets its end-of-file character, its master staying open for the output.
func (p *procIO) endStdin() {
	p.closeStdin.Do(func() {
		switch {
		case p.stdin == nil:
		case p.tty:
			_ = sendEOF(p.stdin)
		default:
			p.stdin.Close()
		}
	})
}

// resize sets the terminal's size; without a terminal it does nothing.
func (p *procIO) resize(size api.TerminalSize) error {
	if p.console == nil {
		return nil
	}
	return resizeConsole(p.console, size)
}

// stopReading makes reads of the outputs that are still blocked return
// at deadline, for processes that left children holding them open.
func (p *procIO) stopReading(deadline time.Time) {
	for _, f := range p.outputs() {
		f.SetReadDeadline(deadline)
	}
}

// close closes everything the shim holds of the process's stdio.
func (p *procIO) close() {
	p.child.close()
	if p.consoleFd >= 0 {
		unix.Close(p.consoleFd)
		p.consoleFd = -1
	}
	closeAll([]*os.File{p.stdout, p.stderr})
	if p.stdin != nil && p.stdin != p.console {
		p.stdin.Close()
	}
}

func (c *childIO) close() {
	closeAll([]*os.File{c.stdin, c.stdout, c.stderr, c.consoleSocket})
	*c = childIO{}
}
