//go:build e2e

package e2e

import (
	"context"
	"errors"
	"io"
	"strings"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"k8s.io/client-go/tools/remotecommand"
	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"
	utilexec "k8s.io/utils/exec"

	"github.com/skiffrt/skiff/internal/testutil/output"
	"github.com/skiffrt/skiff/internal/testutil/streamclient"
)

// streamingPod starts a daemon with busybox pulled and a pod.
func streamingPod(t *testing.T, extra ...string) (*daemon, string, *runtime.PodSandboxConfig) {
	t.Helper()
	reg := startRegistry(t)
	d := startDaemon(t, append(mirrorArgs(reg), extra...)...)
	d.pull(t, "busybox")
	podCfg := podConfig(t, "streams")
	pod := d.runPod(t, podCfg)
	t.Cleanup(func() { d.removePod(t, pod) })
	return d, pod, podCfg
}

// runInteractive creates and starts a busybox container running cmd,
// with stdin, stdin_once and a tty as asked.
func (d *daemon) runInteractive(t *testing.T, pod string, podCfg *runtime.PodSandboxConfig, name string, stdin, once, tty bool, cmd ...string) string {
	t.Helper()
	return d.runConfig(t, pod, podCfg, name, &runtime.ContainerConfig{Command: cmd, Stdin: stdin, StdinOnce: once, Tty: tty})
}

func (d *daemon) execURL(t *testing.T, req *runtime.ExecRequest) string {
	t.Helper()
	resp, err := d.runtime.Exec(ctxT(t), req)
	if err != nil {
		t.Fatalf("Exec: %v", err)
	}
	return resp.Url
}

func (d *daemon) attachURL(t *testing.T, req *runtime.AttachRequest) string {
	t.Helper()
	resp, err := d.runtime.Attach(ctxT(t), req)
	if err != nil {
		t.Fatalf("Attach: %v", err)
	}
	return resp.Url
}

func stream(t *testing.T, transport, url string, opts remotecommand.StreamOptions) error {
	return streamclient.Stream(ctxT(t), transport, url, nil, opts)
}

// exitCode is the exit code a session's error carries, 0 for none.
func exitCode(t *testing.T, err error) int {
	t.Helper()
	var exit utilexec.ExitError
	if errors.As(err, &exit) {
		return exit.ExitStatus()
	}
	if err != nil {
		t.Fatalf("session: %v", err)
	}
	return 0
}

// sizeQueue hands client-go one terminal size, then blocks until done.
type sizeQueue struct {
	size remotecommand.TerminalSize
	sent bool
	done chan struct{}
}

func (q *sizeQueue) Next() *remotecommand.TerminalSize {
	if !q.sent {
		q.sent = true
		return &q.size
	}
	<-q.done
	return nil
}

// TestExecStreams drives Exec over SPDY and WebSocket: stdout and stderr
// apart, the exit code, 126/127, stdin, a background child holding the
// output, and a tty with a resize.
func TestExecStreams(t *testing.T) {
	d, pod, podCfg := streamingPod(t)
	ctr := d.runContainer(t, pod, podCfg, "box", "exec sleep 1000")
	for _, transport := range streamclient.Transports {
		t.Run(transport, func(t *testing.T) {
			for _, tc := range []struct {
				name           string
				cmd            []string
				stdin          string // SPDY only: WebSocket v4 cannot end stdin
				stdout, stderr string
				code           int
			}{
				{"streams apart", []string{"sh", "-c", "echo out; echo err >&2; exit 3"}, "", "out\n", "err\n", 3},
				{"not found", []string{"no-such-command"}, "", "", "no-such-command", 127},
				{"cannot run", []string{"/etc/passwd"}, "", "", "/etc/passwd", 126},
				{"background child", []string{"sh", "-c", "sleep 500 & echo started"}, "", "started\n", "", 0},
				{"stdin", []string{"sh", "-c", "cat; echo end"}, "hello\n", "hello\nend\n", "", 0},
			} {
				if tc.stdin != "" && transport == streamclient.WebSocket {
					continue
				}
				t.Run(tc.name, func(t *testing.T) {
					req := &runtime.ExecRequest{ContainerId: ctr, Cmd: tc.cmd, Stdout: true, Stderr: true, Stdin: tc.stdin != ""}
					var stdout, stderr output.Buffer
					opts := remotecommand.StreamOptions{Stdout: &stdout, Stderr: &stderr}
					if req.Stdin {
						opts.Stdin = strings.NewReader(tc.stdin)
					}
					begin := time.Now()
					code := exitCode(t, stream(t, transport, d.execURL(t, req), opts))
					if code != tc.code || stdout.String() != tc.stdout {
						t.Errorf("exit %d, stdout %q; want %d, %q", code, stdout.String(), tc.code, tc.stdout)
					}
					if got := stderr.String(); (tc.stderr == "") != (got == "") || !strings.Contains(got, tc.stderr) {
						t.Errorf("stderr %q, want %q", got, tc.stderr)
					}
					if took := time.Since(begin); took > 5*time.Second {
						t.Errorf("took %v", took)
					}
				})
			}
			t.Run("tty", func(t *testing.T) {
				stdinR, stdinW := io.Pipe()
				defer stdinW.Close()
				sizes := &sizeQueue{size: remotecommand.TerminalSize{Width: 111, Height: 37}, done: make(chan struct{})}
				defer close(sizes.done)
				var out output.Buffer
				ended := make(chan error, 1)
				url := d.execURL(t, &runtime.ExecRequest{ContainerId: ctr, Cmd: []string{"sh"}, Stdin: true, Stdout: true, Tty: true})
				go func() {
					ended <- stream(t, transport, url, remotecommand.StreamOptions{Stdin: stdinR, Stdout: &out, Tty: true, TerminalSizeQueue: sizes})
				}()
				output.TypeUntil(t, stdinW, &out, "stty size; tty\n", "37 111")
				output.Wait(t, &out, "/dev/pts/")
				io.WriteString(stdinW, "exit 6\n")
				if code := exitCode(t, <-ended); code != 6 {
					t.Errorf("tty exec exit %d, want 6", code)
				}
			})
		})
	}
}

// TestAttachStreams: two clients attached at once both see the output,
// over SPDY and WebSocket; input reaches the container.
func TestAttachStreams(t *testing.T) {
	d, pod, podCfg := streamingPod(t)
	ctr := d.runInteractive(t, pod, podCfg, "reader", true, false, false, "sh", "-c", `while read l; do echo "got $l"; echo "err $l" >&2; done`)
	stdinR, stdinW := io.Pipe()
	var outSPDY, errSPDY, outWS output.Buffer
	ended := make(chan error, 2)
	go func() {
		url := d.attachURL(t, &runtime.AttachRequest{ContainerId: ctr, Stdin: true, Stdout: true, Stderr: true})
		ended <- stream(t, streamclient.SPDY, url, remotecommand.StreamOptions{Stdin: stdinR, Stdout: &outSPDY, Stderr: &errSPDY})
	}()
	go func() {
		url := d.attachURL(t, &runtime.AttachRequest{ContainerId: ctr, Stdout: true})
		ended <- stream(t, streamclient.WebSocket, url, remotecommand.StreamOptions{Stdout: &outWS})
	}()
	time.Sleep(time.Second) // both attached
	io.WriteString(stdinW, "one\n")
	output.Wait(t, &outSPDY, "got one\n")
	output.Wait(t, &errSPDY, "err one\n")
	output.Wait(t, &outWS, "got one\n")
	if strings.Contains(outWS.String(), "err") {
		t.Errorf("a stdout-only attach got stderr: %q", outWS.String())
	}
	// Without stdin_once, the end of the client's stdin detaches it.
	stdinW.Close()
	if err := <-ended; err != nil {
		t.Errorf("detach: %v", err)
	}
	// The container's end ends the other attachment.
	if _, err := d.runtime.StopContainer(ctxT(t), &runtime.StopContainerRequest{ContainerId: ctr, Timeout: 1}); err != nil {
		t.Fatal(err)
	}
	if err := <-ended; err != nil {
		t.Errorf("attach at the container's end: %v", err)
	}
	_, err := d.runtime.Attach(ctxT(t), &runtime.AttachRequest{ContainerId: ctr, Stdout: true})
	if status.Code(err) != codes.FailedPrecondition || !strings.Contains(err.Error(), "not running") {
		t.Errorf("Attach to an exited container = %v, want FailedPrecondition, not running", err)
	}
}

// TestAttachStdinOnce: as kubectl run -i: the end of the first
// attachment's stdin closes the container's, which then ends.
func TestAttachStdinOnce(t *testing.T) {
	d, pod, podCfg := streamingPod(t)
	ctr := d.runInteractive(t, pod, podCfg, "once", true, true, false, "sh", "-c", "cat; echo eof")
	var out output.Buffer
	url := d.attachURL(t, &runtime.AttachRequest{ContainerId: ctr, Stdin: true, Stdout: true, Stderr: true})
	if err := stream(t, streamclient.SPDY, url, remotecommand.StreamOptions{Stdin: strings.NewReader("data\n"), Stdout: &out, Stderr: io.Discard}); err != nil {
		t.Fatal(err)
	}
	if out.String() != "data\neof\n" {
		t.Errorf("attach output %q", out.String())
	}
	if st := d.waitExited(t, ctr); st.ExitCode != 0 {
		t.Errorf("exit %d", st.ExitCode)
	}
	if lines := readLog(t, d.containerStatus(t, ctr).LogPath); strings.Join(lines, ",") != "stdout:data,stdout:eof" {
		t.Errorf("log %q", lines)
	}
}

// TestTTYContainer: a tty container's shell over attach, with a resize;
// its log is written from the pty.
func TestTTYContainer(t *testing.T) {
	d, pod, podCfg := streamingPod(t)
	ctr := d.runInteractive(t, pod, podCfg, "tty", true, false, true, "sh")
	for _, transport := range streamclient.Transports {
		t.Run(transport, func(t *testing.T) {
			stdinR, stdinW := io.Pipe()
			defer stdinW.Close()
			sizes := &sizeQueue{size: remotecommand.TerminalSize{Width: 99, Height: 29}, done: make(chan struct{})}
			defer close(sizes.done)
			var out output.Buffer
			ended := make(chan error, 1)
			url := d.attachURL(t, &runtime.AttachRequest{ContainerId: ctr, Stdin: true, Stdout: true, Tty: true})
			ctx, cancel := context.WithCancel(ctxT(t))
			defer cancel()
			go func() {
				ended <- streamclient.Stream(ctx, transport, url, nil, remotecommand.StreamOptions{Stdin: stdinR, Stdout: &out, Tty: true, TerminalSizeQueue: sizes})
			}()
			output.TypeUntil(t, stdinW, &out, "stty size\n", "29 99")
			io.WriteString(stdinW, "echo via-"+transport+"\n")
			output.Wait(t, &out, "via-"+transport+"\r\n")
			cancel() // detach
			<-ended
		})
	}
	log := strings.Join(readLog(t, d.containerStatus(t, ctr).LogPath), "\n")
	if !strings.Contains(log, "stdout:29 99") || !strings.Contains(log, "stdout:via-spdy") {
		t.Errorf("log of the tty container:\n%s", log)
	}
	if st := d.containerStatus(t, ctr); st.State != runtime.ContainerState_CONTAINER_RUNNING {
		t.Errorf("after detaching: %v", st.State)
	}
}

// TestStreamingAfterRestart: containers started before skiffd stopped
// (SIGTERM) or died (SIGKILL) are exec'd and attached after it restarts.
func TestStreamingAfterRestart(t *testing.T) {
	reg := startRegistry(t)
	d := startDaemon(t, mirrorArgs(reg)...)
	d.pull(t, "busybox")
	podCfg := podConfig(t, "restart")
	pod := d.runPod(t, podCfg)
	ctr := d.runInteractive(t, pod, podCfg, "echo", true, false, false, "sh", "-c", `while read l; do echo "got $l"; done`)
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGKILL} {
		d.signal(sig, 15*time.Second)
		d = startDaemonIn(t, d.dir, daemonArgs, mirrorArgs(reg)...)
		var out output.Buffer
		url := d.execURL(t, &runtime.ExecRequest{ContainerId: ctr, Cmd: []string{"echo", "exec after " + sig.String()}, Stdout: true})
		if err := stream(t, streamclient.SPDY, url, remotecommand.StreamOptions{Stdout: &out}); err != nil || out.String() != "exec after "+sig.String()+"\n" {
			t.Errorf("exec after %v: %q, %v", sig, out.String(), err)
		}
		out = output.Buffer{}
		stdinR, stdinW := io.Pipe()
		ended := make(chan error, 1)
		url = d.attachURL(t, &runtime.AttachRequest{ContainerId: ctr, Stdin: true, Stdout: true})
		go func() {
			ended <- stream(t, streamclient.SPDY, url, remotecommand.StreamOptions{Stdin: stdinR, Stdout: &out})
		}()
		io.WriteString(stdinW, sig.String()+"\n")
		output.Wait(t, &out, "got "+sig.String())
		stdinW.Close()
		if err := <-ended; err != nil {
			t.Errorf("attach after %v: %v", sig, err)
		}
	}
	d.removePod(t, pod)
}

// TestStreamingBadInput: clear errors, and nothing happens.
func TestStreamingBadInput(t *testing.T) {
	d, pod, podCfg := streamingPod(t)
	ctr := d.runContainer(t, pod, podCfg, "box", "exec sleep 1000")
	done := d.runContainer(t, pod, podCfg, "done", "true")
	d.waitExited(t, done)
	for _, tc := range []struct {
		name string
		call func(context.Context) error
		code codes.Code
		msg  string
	}{
		{"exec in an unknown container", func(ctx context.Context) error {
			_, err := d.runtime.Exec(ctx, &runtime.ExecRequest{ContainerId: "0123456789abcdef", Cmd: []string{"true"}, Stdout: true})
			return err
		}, codes.NotFound, "0123456789abcdef"},
		{"exec in a stopped container", func(ctx context.Context) error {
			_, err := d.runtime.Exec(ctx, &runtime.ExecRequest{ContainerId: done, Cmd: []string{"true"}, Stdout: true})
			return err
		}, codes.FailedPrecondition, "not running"},
		{"empty command", func(ctx context.Context) error {
			_, err := d.runtime.Exec(ctx, &runtime.ExecRequest{ContainerId: ctr, Stdout: true})
			return err
		}, codes.InvalidArgument, "command is empty"},
		{"exec without streams", func(ctx context.Context) error {
			_, err := d.runtime.Exec(ctx, &runtime.ExecRequest{ContainerId: ctr, Cmd: []string{"true"}})
			return err
		}, codes.InvalidArgument, "stdin, stdout"},
		{"tty and stderr", func(ctx context.Context) error {
			_, err := d.runtime.Exec(ctx, &runtime.ExecRequest{ContainerId: ctr, Cmd: []string{"sh"}, Tty: true, Stdout: true, Stderr: true})
			return err
		}, codes.InvalidArgument, "tty and stderr"},
		{"attach with stdin to a container without", func(ctx context.Context) error {
			_, err := d.runtime.Attach(ctx, &runtime.AttachRequest{ContainerId: ctr, Stdin: true, Stdout: true})
			return err
		}, codes.FailedPrecondition, "without stdin"},
		{"attach with a tty to a container without", func(ctx context.Context) error {
			_, err := d.runtime.Attach(ctx, &runtime.AttachRequest{ContainerId: ctr, Tty: true, Stdout: true})
			return err
		}, codes.FailedPrecondition, "without a tty"},
		{"attach to a stopped container", func(ctx context.Context) error {
			_, err := d.runtime.Attach(ctx, &runtime.AttachRequest{ContainerId: done, Stdout: true})
			return err
		}, codes.FailedPrecondition, "not running"},
		{"port out of range", func(ctx context.Context) error {
			_, err := d.runtime.PortForward(ctx, &runtime.PortForwardRequest{PodSandboxId: pod, Port: []int32{80, 70000}})
			return err
		}, codes.InvalidArgument, "70000"},
		{"port-forward to an unknown pod", func(ctx context.Context) error {
			_, err := d.runtime.PortForward(ctx, &runtime.PortForwardRequest{PodSandboxId: "fedcba9876543210"})
			return err
		}, codes.NotFound, "fedcba9876543210"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call(ctxT(t))
			if status.Code(err) != tc.code || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("got %v, want %v naming %q", err, tc.code, tc.msg)
			}
		})
	}
	t.Run("token used twice", func(t *testing.T) {
		url := d.execURL(t, &runtime.ExecRequest{ContainerId: ctr, Cmd: []string{"true"}, Stdout: true})
		if err := stream(t, streamclient.SPDY, url, remotecommand.StreamOptions{Stdout: io.Discard}); err != nil {
			t.Fatal(err)
		}
		if err := stream(t, streamclient.SPDY, url, remotecommand.StreamOptions{Stdout: io.Discard}); err == nil || !strings.Contains(err.Error(), "404") {
			t.Errorf("second use: %v, want 404", err)
		}
	})
	t.Run("token expired", func(t *testing.T) {
		url := d.execURL(t, &runtime.ExecRequest{ContainerId: ctr, Cmd: []string{"true"}, Stdout: true})
		time.Sleep(61 * time.Second) // tokens live a minute
		if err := stream(t, streamclient.SPDY, url, remotecommand.StreamOptions{Stdout: io.Discard}); err == nil || !strings.Contains(err.Error(), "404") {
			t.Errorf("expired token: %v, want 404", err)
		}
	})
}
