package monitor

import (
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/skiffrt/skiff/internal/shim/api"
)

// Exit codes of a command that did not start, as shells give them.
const (
	exitCannotRun = 126 // found, but not executable (or another start failure)
	exitNotFound  = 127 // no such command
)

// execSession is one streamed exec: a command's process, its stdio and
// the client. The process ends when it exits or, if the client hangs up
// first, when the session kills it.
type execSession struct {
	io   *procIO
	proc *proc

	// A command that could not start: what it would have printed, and
	// its exit code.
	failure  string
	failCode int

	mu     sync.Mutex // guards exited
	exited bool
}

// openExec starts req's command with its stdio as req.IO asks. A
// command that cannot start is a session that reports it, with exit
// code 126 or 127 (exists says which), not an error.
func (c *container) openExec(req *api.ExecStreamRequest) (*execSession, error) {
	if err := checkExec(&req.ExecRequest); err != nil {
		return nil, err
	}
	pio, err := newProcIO(req.IO)
	if err != nil {
		return nil, err
	}
	p, err := c.startExec(&req.ExecRequest, pio.child)
	if err != nil {
		if e := api.AsError(err); e.Code != "" {
			pio.close()
			return nil, err // refused (the container is not running …)
		}
		pio.child.close()
		code := exitNotFound
		if c.commandExists(&req.ExecRequest) {
			code = exitCannotRun
		}
		return &execSession{io: pio, failure: err.Error() + "\n", failCode: code}, nil
	}
	if err := pio.started(req.IO.Stdin); err != nil {
		p.signal(unix.SIGKILL)
		<-p.exited
		p.release()
		pio.close()
		return nil, err
	}
	return &execSession{io: pio, proc: p}, nil
}

// serve runs the session until the process has exited and its output is
// sent, and ends it with the exit code.
func (e *execSession) serve(s *session) {
	defer e.io.close()
	if e.proc == nil {
		kind := api.StreamStderr
		if e.io.stderr == nil {
			kind = api.StreamStdout
		}
		_ = s.send(kind, []byte(e.failure))
		s.finish(api.SessionEnd{ExitCode: e.failCode}, s.input(nopInput{}))
		return
	}
	var sent sync.WaitGroup
	for kind, f := range e.io.outputs() {
		sent.Go(func() { s.copyFrom(kind, f) })
	}
	readDone := s.input(e)
	go func() {
		<-readDone
		e.kill() // the client hung up first
	}()
	ws := <-e.proc.exited
	e.mu.Lock()
	e.exited = true
	e.mu.Unlock()
	e.proc.release()
	e.io.stopReading(time.Now().Add(execDrainGrace))
	sent.Wait()
	code, _ := exitCode(ws)
	s.finish(api.SessionEnd{ExitCode: code}, readDone)
}

// kill kills the process unless it has exited.
func (e *execSession) kill() {
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.exited {
		_ = e.proc.signal(unix.SIGKILL)
	}
}

// The client's frames.
func (e *execSession) stdin(p []byte)               { _ = e.io.writeStdin(p) }
func (e *execSession) closeStdin()                  { e.io.endStdin() }
func (e *execSession) resize(size api.TerminalSize) { _ = e.io.resize(size) }

// nopInput ignores the client's frames.
type nopInput struct{}

func (nopInput) stdin([]byte)            {}
func (nopInput) closeStdin()             {}
func (nopInput) resize(api.TerminalSize) {}
