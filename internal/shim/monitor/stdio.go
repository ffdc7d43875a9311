package monitor

import (
	"io"
	"sync"
	"time"

	"github.com/skiffrt/skiff/internal/shim/api"
)

// stdio is the container's own stdio, held by the shim for the
// container's whole life: its output is copied into the CRI log and to
// the attached clients, and attached clients write to its input.
//
// stdin_once: the input is ended (endStdin) when the first attach that
// streamed it ends; later attaches get no stdin.
type stdio struct {
	io        *procIO
	log       *logFile
	fan       fanout
	stdinOnce bool
	copied    sync.WaitGroup

	mu         sync.Mutex // guards stdinEnded
	stdinEnded bool
}

// newStdio makes the container's stdio: stdout and stderr, stdin if
// asked, or a terminal.
func newStdio(tty, stdin, stdinOnce bool) (*stdio, error) {
	pio, err := newProcIO(api.IO{Stdin: stdin, Stdout: true, Stderr: true, Tty: tty})
	if err != nil {
		return nil, err
	}
	return &stdio{io: pio, stdinOnce: stdinOnce}, nil
}

// start completes the stdio once the process has started and copies its
// output into l and to the attached clients until EOF.
func (s *stdio) start(l *logFile, stdin bool) error {
	if err := s.io.started(stdin); err != nil {
		return err
	}
	s.log = l
	for kind, f := range s.io.outputs() {
		s.copied.Go(func() { s.copyOutput(kind, f) })
	}
	return nil
}

// copyOutput reads one output until EOF and writes what it reads to the
// attached clients and, as lines, to the log.
func (s *stdio) copyOutput(kind api.StreamKind, r io.Reader) {
	stream := "stdout"
	if kind == api.StreamStderr {
		stream = "stderr"
	}
	copyLines(s.log, stream, readerFunc(func(p []byte) (int, error) {
		n, err := r.Read(p)
		if n > 0 {
			s.fan.publish(kind, p[:n])
		}
		return n, err
	}))
}

type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }

// drain waits for the output copiers to reach EOF, for grace at most
// (a process that escaped the container may still hold the output),
// then ends the attaches and closes everything.
func (s *stdio) drain(grace time.Duration) {
	done := make(chan struct{})
	go func() { s.copied.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(grace):
		s.io.stopReading(time.Now())
		<-done
	}
	s.fan.close()
	s.io.close()
}

// useStdin checks that an attach may stream the container's stdin.
func (s *stdio) useStdin() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.io.stdin == nil:
		return api.Errorf(api.CodeFailedPrecondition, "the container was created without stdin")
	case s.stdinEnded:
		return api.Errorf(api.CodeFailedPrecondition, "the container's stdin was closed after its first attach (stdin_once)")
	}
	return nil
}

// attachEnded is called when an attach that streamed stdin ends. With
// stdin_once it ends the container's input.
func (s *stdio) attachEnded() {
	if !s.stdinOnce {
		return
	}
	s.mu.Lock()
	s.stdinEnded = true
	s.mu.Unlock()
	s.io.endStdin()
}
