package monitor

import (
	"sync"

	"github.com/skiffrt/skiff/internal/shim/api"
)

// attachment is one client attached to the container's stdio: it gets
// the output it asked for from the moment it attached, and, when it asked
// for stdin, writes to the container's input.
//
// It ends when the container's output ends (the container exited), when
// the client hangs up, or when the client's stdin ends: that ends the
// container's input with stdin_once (and the attachment goes on until
// the output ends), and otherwise detaches, as in containerd.
type attachment struct {
	stdio     *stdio
	sub       *subscriber
	withStdin bool // the client streams the container's stdin
	left      sync.Once
}

// openAttach checks req against the container and subscribes the
// client to its output.
func (c *container) openAttach(req *api.AttachRequest) (*attachment, error) {
	if _, err := transition(c.state().Status, evAttach); err != nil {
		return nil, err
	}
	s := c.stdio
	if req.IO.Tty && !s.io.tty {
		return nil, api.Errorf(api.CodeFailedPrecondition, "attach: the container has no tty")
	}
	if req.IO.Stdin {
		if err := s.useStdin(); err != nil {
			return nil, err
		}
	}
	var kinds []api.StreamKind
	if req.IO.Stdout {
		kinds = append(kinds, api.StreamStdout)
	}
	if req.IO.Stderr {
		kinds = append(kinds, api.StreamStderr)
	}
	sub := s.fan.subscribe(kinds...)
	if sub == nil {
		return nil, api.Errorf(api.CodeFailedPrecondition, "attach: the container has exited")
	}
	return &attachment{stdio: s, sub: sub, withStdin: req.IO.Stdin}, nil
}

// serve sends the output to the client until the attachment ends.
func (a *attachment) serve(s *session) {
	readDone := s.input(a)
	go func() {
		<-readDone
		a.leave() // the client hung up
	}()
	for ch := range a.sub.queue {
		if s.send(ch.kind, ch.data) != nil {
			a.leave()
		}
	}
	var end api.SessionEnd
	if a.sub.dropped {
		end.Error = api.Errorf(api.CodeUnavailable, "attach: the client fell behind the container's output and was detached")
	}
	s.finish(end, readDone)
}

// leave detaches the client, once; with stdin_once, the container's
// input ends with the first attachment that streamed it.
func (a *attachment) leave() {
	a.left.Do(func() {
		a.stdio.fan.unsubscribe(a.sub)
		if a.withStdin {
			a.stdio.attachEnded()
		}
	})
}

// The client's frames.
func (a *attachment) stdin(p []byte) {
	if a.withStdin {
		_ = a.stdio.io.writeStdin(p)
	}
}

func (a *attachment) closeStdin() {
	if a.withStdin && a.stdio.stdinOnce {
		a.stdio.attachEnded()
		return
	}
	a.leave()
}

func (a *attachment) resize(size api.TerminalSize) { _ = a.stdio.io.resize(size) }
