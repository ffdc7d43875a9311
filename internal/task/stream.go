package task

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"

	"github.com/skiffrt/skiff/internal/errdefs"
	"github.com/skiffrt/skiff/internal/shim/api"
)

// TerminalSize is a terminal's size in characters.
type TerminalSize = api.TerminalSize

// Streams are the caller's ends of a streaming session (Exec, Attach).
type Streams struct {
	// Stdin, when set, is copied to the process's input until it ends;
	// its end is passed on (see Attach for what it means there).
	Stdin io.Reader
	// Stdout and Stderr, when set, get the process's output; with a tty
	// all of it goes to Stdout.
	Stdout, Stderr io.Writer
	// Resize, when set, carries the terminal's size changes.
	Resize <-chan TerminalSize
	// Tty: the process has a terminal.
	Tty bool
}

func (s Streams) io() api.IO {
	return api.IO{Stdin: s.Stdin != nil, Stdout: s.Stdout != nil, Stderr: s.Stderr != nil, Tty: s.Tty}
}

// Exec runs req's command in task id with its stdio on s, as ExecSync
// does but streamed (req.Timeout does not apply), and returns its exit
// code: 126 or 127 for a command that cannot run or is not there, its
// reason written to the output. When ctx ends, the shim kills the
// command.
func (r *Runner) Exec(ctx context.Context, id string, req ExecRequest, s Streams) (int, error) {
	end, err := r.client(id).stream(ctx, api.MethodExec, &api.ExecStreamRequest{ExecRequest: req, IO: s.io()}, s)
	if err != nil {
		return 0, fmt.Errorf("exec in task %s: %w", id, err)
	}
	return end.ExitCode, nil
}

// Attach streams task id's own stdio on s until its output ends (it
// exited) or the caller leaves: ctx ends, or s.Stdin ends, which, for a
// task created with stdin_once, closes the task's stdin instead (and the
// output goes on until it ends).
func (r *Runner) Attach(ctx context.Context, id string, s Streams) error {
	if _, err := r.client(id).stream(ctx, api.MethodAttach, &api.AttachRequest{IO: s.io()}, s); err != nil {
		return fmt.Errorf("attach to task %s: %w", id, err)
	}
	return nil
}

// stream makes a streaming request and runs its session: s's input to
// the shim, the shim's output to s, until the shim's last frame.
func (c *client) stream(ctx context.Context, method string, body any, s Streams) (*api.SessionEnd, error) {
	conn, err := c.open(ctx, method, body)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() }) // hanging up cancels
	defer stop()
	w := &frameWriter{conn: conn}
	done := make(chan struct{})
	defer close(done)
	if s.Stdin != nil {
		go w.copyStdin(s.Stdin)
	}
	if s.Resize != nil {
		go w.resizes(s.Resize, done)
	}
	end, err := readSession(conn, s)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctxError(ctx, method)
		}
		return nil, err
	}
	if end.Error != nil {
		return nil, fmt.Errorf("shim %s: %w", method, fromWire(end.Error))
	}
	return end, nil
}

// open dials the shim, sends the request and reads the answer: the
// session may begin.
func (c *client) open(ctx context.Context, method string, body any) (*net.UnixConn, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return nil, fmt.Errorf("shim %s: %w: %v", method, errdefs.ErrInvalidArgument, err)
	}
	var d net.Dialer
	nc, err := d.DialContext(ctx, "unix", c.socket)
	if err != nil {
		return nil, c.dialError(ctx, method, err)
	}
	conn := nc.(*net.UnixConn)
	if err := c.roundTrip(ctx, conn, method, &api.Request{Version: api.Version, Method: method, Body: b}, nil); err != nil {
		conn.Close()
		return nil, err
	}
	return conn, nil
}

// readSession writes the shim's output frames to s until the last frame.
func readSession(conn net.Conn, s Streams) (*api.SessionEnd, error) {
	buf := make([]byte, api.MaxStreamPayload)
	for {
		kind, p, err := api.ReadStreamFrame(conn, buf)
		if err != nil {
			return nil, fmt.Errorf("%w: the shim closed the session: %v", errdefs.ErrUnavailable, err)
		}
		var out io.Writer
		switch kind {
		case api.StreamStdout:
			out = s.Stdout
		case api.StreamStderr:
			out = s.Stderr
		case api.StreamEnd:
			var end api.SessionEnd
			if err := json.Unmarshal(p, &end); err != nil {
				return nil, fmt.Errorf("%w: bad end of session: %v", errdefs.ErrInternal, err)
			}
			return &end, nil
		default:
			return nil, fmt.Errorf("%w: unexpected frame %d from the shim", errdefs.ErrInternal, kind)
		}
		if out == nil {
			continue
		}
		if _, err := out.Write(p); err != nil {
			return nil, fmt.Errorf("%w: the client went away: %v", errdefs.ErrCanceled, err)
		}
	}
}

// frameWriter sends the caller's frames to the shim; its methods run
// concurrently.
type frameWriter struct {
	conn net.Conn
	mu   sync.Mutex
}

func (w *frameWriter) send(kind api.StreamKind, p []byte) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return api.WriteStreamFrame(w.conn, kind, p)
}

// copyStdin sends r as stdin frames, then the end of stdin. It returns
// when r ends or the session does (a send fails).
func (w *frameWriter) copyStdin(r io.Reader) {
	buf := make([]byte, api.MaxStreamPayload)
	for {
		n, err := r.Read(buf)
		if n > 0 && w.send(api.StreamStdin, buf[:n]) != nil {
			return
		}
		if errors.Is(err, io.EOF) {
			_ = w.send(api.StreamCloseStdin, nil)
			return
		}
		if err != nil {
			return
		}
	}
}

// resizes sends the sizes sizes yields until it is closed or the session
// is done.
func (w *frameWriter) resizes(sizes <-chan TerminalSize, done <-chan struct{}) {
	for {
		select {
		case size, ok := <-sizes:
			if !ok || w.send(api.StreamResize, api.EncodeSize(size)) != nil {
				return
			}
		case <-done:
			return
		}
	}
}
