package monitor

import (
	"context"
	"io"
	"os"
	"slices"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/skiffrt/skiff/internal/shim/api"
)

// execDrainGrace is how long an exec keeps reading the process's output
// after it has exited (or was killed): what it wrote is in the pipes
// already, and a background child that holds the pipes open must not hold
// the answer.
const execDrainGrace = 100 * time.Millisecond

// execSync runs req in the container and returns its output and exit
// code. A timeout, or the client hanging up (ctx), kills the process with
// SIGKILL.
func (c *container) execSync(ctx context.Context, req *api.ExecRequest) (*api.ExecResult, error) {
	if err := checkExec(req); err != nil {
		return nil, err
	}
	if req.Timeout < 0 {
		return nil, api.Errorf(api.CodeInvalidArgument, "exec: negative timeout")
	}
	pio, err := newProcIO(api.IO{Stdout: true, Stderr: true})
	if err != nil {
		return nil, err
	}
	defer pio.close()
	p, err := c.startExec(req, pio.child)
	if err != nil {
		return nil, err
	}
	pio.started(false)
	stdout, stderr := &capture{}, &capture{}
	var read sync.WaitGroup
	read.Go(func() { stdout.readFrom(pio.stdout) })
	read.Go(func() { stderr.readFrom(pio.stderr) })

	ws, timedOut := waitExec(ctx, p.signal, p.exited, req.Timeout)
	p.release()
	pio.stopReading(time.Now().Add(execDrainGrace))
	read.Wait()

	code, _ := exitCode(ws)
	return &api.ExecResult{
		Stdout: stdout.buf, Stderr: stderr.buf, ExitCode: code, TimedOut: timedOut,
		StdoutTruncated: stdout.truncated, StderrTruncated: stderr.truncated,
	}, nil
}

// checkExec checks what every exec needs.
func checkExec(req *api.ExecRequest) error {
	if len(req.Cmd) == 0 || req.Cmd[0] == "" {
		return api.Errorf(api.CodeInvalidArgument, "exec: no command")
	}
	return nil
}

// waitExec waits for the exec'd process's exit; when the timeout fires
// or ctx ends first, it kills the process and waits for that.
func waitExec(ctx context.Context, signal func(os.Signal) error, exited <-chan unix.WaitStatus, timeout time.Duration) (ws unix.WaitStatus, timedOut bool) {
	var expired <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		expired = t.C
	}
	select {
	case ws = <-exited:
		return ws, false
	case <-expired:
		timedOut = true
	case <-ctx.Done():
	}
	_ = signal(unix.SIGKILL)
	return <-exited, timedOut
}

// capture collects up to api.MaxExecOutput bytes of a stream and
// discards the rest. It reads straight into its buffer, which starts
// small: most exec'd commands are probes with a line of output, and
// every byte allocated here is heap the shim keeps until a GC.
type capture struct {
	buf       []byte
	truncated bool
}

func (c *capture) readFrom(r io.Reader) {
	var discard []byte
	for {
		room := api.MaxExecOutput - len(c.buf)
		var dst []byte
		switch {
		case room <= 0:
			if discard == nil {
				discard = make([]byte, 32<<10)
			}
			dst = discard
		case len(c.buf) == cap(c.buf):
			c.buf = slices.Grow(c.buf, min(max(512, len(c.buf)), room))
			fallthrough
		default:
			dst = c.buf[len(c.buf):min(cap(c.buf), api.MaxExecOutput)]
		}
		n, err := r.Read(dst)
		if room > 0 {
			c.buf = c.buf[:len(c.buf)+n]
		} else if n > 0 {
			c.truncated = true
		}
		if err != nil {
			return
		}
	}
}
