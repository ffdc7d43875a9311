package task

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/skiffrt/skiff/internal/errdefs"
	"github.com/skiffrt/skiff/internal/shim/api"
	"github.com/skiffrt/skiff/internal/testutil/output"
)

// execStream runs cmd in c's container with s and returns its exit code.
func execStream(ctx context.Context, c *client, s Streams, cmd ...string) (int, error) {
	end, err := c.stream(ctx, api.MethodExec, &api.ExecStreamRequest{ExecRequest: ExecRequest{Cmd: cmd}, IO: s.io()}, s)
	if err != nil {
		return 0, err
	}
	return end.ExitCode, nil
}

// recordedExit waits for the exit that b's shim records: an attachment
// ends before the shim records the exit and exits.
func recordedExit(t *testing.T, b *bundle) *Exit {
	t.Helper()
	waitFor(t, "the exit file", 5*time.Second, func() bool { return fileExists(b.exitFile) })
	e, err := readExit(b.exitFile)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func attach(ctx context.Context, c *client, s Streams) error {
	_, err := c.stream(ctx, api.MethodAttach, &api.AttachRequest{IO: s.io()}, s)
	return err
}

func TestExecStream(t *testing.T) {
	t.Parallel()
	_, c := runningShim(t)
	for _, tc := range []struct {
		name           string
		cmd            []string
		stdin          string
		stdout, stderr string
		code           int
	}{
		{"streams apart and the code", []string{"sh", "-c", "echo out; echo err >&2; exit 3"}, "", "out\n", "err\n", 3},
		{"stdin", []string{"sh", "-c", "cat; echo end"}, "hello\n", "hello\nend\n", "", 0},
		{"not found", []string{"no-such-command"}, "", "", "no-such-command", 127},
		{"not found by path", []string{"/bin/nope"}, "", "", "nope", 127},
		{"not executable", []string{"/etc/passwd"}, "", "", "passwd", 126},
		{"a directory", []string{"/tmp"}, "", "", "tmp", 126},
		{"background child keeps the pipes", []string{"sh", "-c", "sleep 100 & echo started"}, "", "started\n", "", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr output.Buffer
			s := Streams{Stdout: &stdout, Stderr: &stderr}
			if tc.stdin != "" {
				s.Stdin = strings.NewReader(tc.stdin)
			}
			begin := time.Now()
			code, err := execStream(ctx(t), c, s, tc.cmd...)
			if err != nil {
				t.Fatal(err)
			}
			if code != tc.code || stdout.String() != tc.stdout {
				t.Errorf("exit %d, stdout %q; want %d, %q", code, stdout.String(), tc.code, tc.stdout)
			}
			if got := stderr.String(); (tc.stderr == "") != (got == "") || !strings.Contains(got, tc.stderr) {
				t.Errorf("stderr %q, want %q", got, tc.stderr)
			}
			if took := time.Since(begin); took > 3*time.Second {
				t.Errorf("took %v", took)
			}
		})
	}
}

// TestExecStreamTTY: a terminal carries input, output and resizes.
func TestExecStreamTTY(t *testing.T) {
	t.Parallel()
	_, c := runningShim(t)
	stdinR, stdinW := io.Pipe()
	defer stdinW.Close()
	sizes := make(chan TerminalSize, 1)
	var out output.Buffer
	done := make(chan error, 1)
	var code int
	go func() {
		var err error
		code, err = execStream(ctx(t), c, Streams{Stdin: stdinR, Stdout: &out, Resize: sizes, Tty: true}, "sh")
		done <- err
	}()
	sizes <- TerminalSize{Width: 123, Height: 45}
	output.TypeUntil(t, stdinW, &out, "tty; stty size\n", "45 123")
	if !strings.Contains(out.String(), "/dev/pts/") {
		t.Errorf("tty output %q names no pty", out.String())
	}
	io.WriteString(stdinW, "exit 5\n")
	if err := <-done; err != nil || code != 5 {
		t.Fatalf("exec = %d, %v; want 5", code, err)
	}
}

// TestExecStreamHangUp: a client that hangs up kills its command.
func TestExecStreamHangUp(t *testing.T) {
	t.Parallel()
	_, c := runningShim(t)
	short, cancel := context.WithTimeout(ctx(t), 300*time.Millisecond)
	defer cancel()
	_, err := execStream(short, c, Streams{Stdout: io.Discard}, "sleep", "77")
	if !errors.Is(err, errdefs.ErrDeadlineExceeded) {
		t.Fatalf("exec = %v, want DeadlineExceeded", err)
	}
	waitFor(t, "sleep 77 killed", 5*time.Second, func() bool {
		res, err := c.execSync(ctx(t), ExecRequest{Cmd: []string{"ps"}})
		return err == nil && !strings.Contains(string(res.Stdout), "sleep 77")
	})
}

func TestExecStreamRefused(t *testing.T) {
	t.Parallel()
	_, c := runningShim(t)
	if _, err := execStream(ctx(t), c, Streams{Stdout: io.Discard}); !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Errorf("empty command: %v, want InvalidArgument", err)
	}
}

// TestAttach: two clients at once see the output; input goes in; the
// attachment ends with the container.
func TestAttach(t *testing.T) {
	t.Parallel()
	b := newBundle(t, "sh", "-c", `while read l; do echo "got $l"; echo "err $l" >&2; done; echo bye`)
	b.setOptions = func(o *api.Options) { o.Stdin = true }
	_, c := runningShimFrom(t, b)

	var out1, err1, out2 output.Buffer
	stdinR, stdinW := io.Pipe()
	ended := make(chan error, 2)
	go func() { ended <- attach(ctx(t), c, Streams{Stdin: stdinR, Stdout: &out1, Stderr: &err1}) }()
	go func() { ended <- attach(ctx(t), c, Streams{Stdout: &out2}) }()
	time.Sleep(300 * time.Millisecond) // both attached
	io.WriteString(stdinW, "one\n")
	output.Wait(t, &out1, "got one\n")
	output.Wait(t, &out2, "got one\n")
	output.Wait(t, &err1, "err one\n")
	if strings.Contains(out2.String(), "err") {
		t.Errorf("stdout-only attach got stderr: %q", out2.String())
	}
	// Without stdin_once, the end of a client's stdin detaches it.
	stdinW.Close()
	if err := <-ended; err != nil {
		t.Fatalf("first attach to end: %v", err)
	}
	// The container runs on; its end ends the other attachment.
	if err := c.kill(ctx(t), syscall.SIGKILL, false); err != nil {
		t.Fatal(err)
	}
	if err := <-ended; err != nil {
		t.Fatalf("attach at the container's exit: %v", err)
	}
	if log, _ := os.ReadFile(b.logPath); !bytes.Contains(log, []byte(" stdout F got one\n")) {
		t.Errorf("log lacks the output:\n%s", log)
	}
}

// TestAttachStdinOnce: the end of the first attachment's stdin closes the
// container's stdin; the attachment ends with the output.
func TestAttachStdinOnce(t *testing.T) {
	t.Parallel()
	b := newBundle(t, "sh", "-c", "cat; echo eof")
	b.setOptions = func(o *api.Options) { o.Stdin, o.StdinOnce = true, true }
	_, c := runningShimFrom(t, b)
	var out output.Buffer
	if err := attach(ctx(t), c, Streams{Stdin: strings.NewReader("in\n"), Stdout: &out}); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); got != "in\neof\n" {
		t.Errorf("attach output %q", got)
	}
	if e := recordedExit(t, b); e.ExitCode != 0 {
		t.Errorf("exit = %+v", e)
	}
}

func TestAttachRefused(t *testing.T) {
	t.Parallel()
	_, c := runningShim(t) // no stdin, no tty
	for name, s := range map[string]Streams{
		"stdin": {Stdin: strings.NewReader("x"), Stdout: io.Discard},
		"tty":   {Stdout: io.Discard, Tty: true},
	} {
		if err := attach(ctx(t), c, s); !errors.Is(err, errdefs.ErrFailedPrecondition) {
			t.Errorf("%s: attach = %v, want FailedPrecondition", name, err)
		}
	}
}

// TestTTYContainer: the shim holds the pty master: it writes the CRI log
// from it and attachments get the terminal, resizes included.
func TestTTYContainer(t *testing.T) {
	t.Parallel()
	b := newBundle(t, "sh")
	b.spec.Process.Terminal = true
	b.setOptions = func(o *api.Options) { o.Stdin = true }
	_, c := runningShimFrom(t, b)
	stdinR, stdinW := io.Pipe()
	defer stdinW.Close()
	sizes := make(chan TerminalSize, 1)
	var out output.Buffer
	ended := make(chan error, 1)
	go func() { ended <- attach(ctx(t), c, Streams{Stdin: stdinR, Stdout: &out, Resize: sizes, Tty: true}) }()
	sizes <- TerminalSize{Width: 100, Height: 30}
	output.TypeUntil(t, stdinW, &out, "stty size; tty\n", "30 100")
	io.WriteString(stdinW, "exit 4\n")
	if err := <-ended; err != nil {
		t.Fatalf("attach: %v", err)
	}
	if e := recordedExit(t, b); e.ExitCode != 4 {
		t.Errorf("exit = %+v", e)
	}
	log, _ := os.ReadFile(b.logPath)
	if !bytes.Contains(log, []byte(" stdout ")) || !bytes.Contains(log, []byte("30 100")) || !bytes.Contains(log, []byte("/dev/pts/")) {
		t.Errorf("log of a tty container:\n%s", log)
	}
}
