package streaming

import (
	"context"
	"fmt"
	"io"
	"net"

	"k8s.io/cri-streaming/pkg/streaming/remotecommand"
	utilexec "k8s.io/utils/exec"

	"github.com/skiffrt/skiff/internal/task"
)

// Containers runs exec and attach sessions (container.Manager).
type Containers interface {
	Exec(ctx context.Context, id string, cmd []string, s task.Streams) (int, error)
	Attach(ctx context.Context, id string, s task.Streams) error
}

// Pods opens connections to pods' ports (sandbox.Manager).
type Pods interface {
	DialPort(ctx context.Context, id string, port int32) (net.Conn, error)
}

// runtime is the library's Runtime: it runs the streams of a request
// whose token was good.
type runtime struct {
	containers Containers
	pods       Pods
}

// Exec runs cmd in the container. A non-zero exit code goes back as the
// library's exit error, which carries it to the client.
func (r *runtime) Exec(ctx context.Context, id string, cmd []string, in io.Reader, out, errOut io.WriteCloser, tty bool, resize <-chan remotecommand.TerminalSize) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	code, err := r.containers.Exec(ctx, id, cmd, taskStreams(ctx, in, out, errOut, tty, resize))
	if err != nil {
		return err
	}
	if code != 0 {
		return utilexec.CodeExitError{Err: fmt.Errorf("command terminated with exit code %d", code), Code: code}
	}
	return nil
}

// Attach attaches to the container's own stdio.
func (r *runtime) Attach(ctx context.Context, id string, in io.Reader, out, errOut io.WriteCloser, tty bool, resize <-chan remotecommand.TerminalSize) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	return r.containers.Attach(ctx, id, taskStreams(ctx, in, out, errOut, tty, resize))
}

// taskStreams gives the streams that the request asked for; the
// library passes a WebSocket session all of them (see the package doc).
func taskStreams(ctx context.Context, in io.Reader, out, errOut io.Writer, tty bool, resize <-chan remotecommand.TerminalSize) task.Streams {
	if asked, ok := streamsOf(ctx); ok {
		if !asked.stdin {
			in = nil
		}
		if !asked.stdout {
			out = nil
		}
		if !asked.stderr || tty {
			errOut = nil
		}
	}
	return task.Streams{Stdin: in, Stdout: out, Stderr: errOut, Tty: tty, Resize: sizes(ctx, resize)}
}

// sizes passes the library's terminal sizes on until in closes or ctx
// ends.
func sizes(ctx context.Context, in <-chan remotecommand.TerminalSize) <-chan task.TerminalSize {
	if in == nil {
		return nil
	}
	out := make(chan task.TerminalSize)
	go func() {
		defer close(out)
		for {
			select {
			case size, ok := <-in:
				if !ok {
					return
				}
				select {
				case out <- task.TerminalSize{Width: size.Width, Height: size.Height}:
				case <-ctx.Done():
					return
				}
			case <-ctx.Done():
				return
			}
		}
	}()
	return out
}
