package task

import (
	"errors"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/skiffrt/skiff/internal/errdefs"
)

// runningShim starts a container running `sleep 1000` and stops it when
// the test ends.
func runningShim(t *testing.T) (*bundle, *client) {
	t.Helper()
	return runningShimFrom(t, newBundle(t, "sleep", "1000"))
}

// runningShimFrom starts b's container and stops it when the test ends.
func runningShimFrom(t *testing.T, b *bundle) (*bundle, *client) {
	t.Helper()
	_, c := b.start(t)
	if _, err := c.start(ctx(t)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c.kill(ctx(t), syscall.SIGKILL, false)
		c.wait(ctx(t))
	})
	return b, c
}

func TestExecSync(t *testing.T) {
	t.Parallel()
	_, c := runningShim(t)
	for _, tc := range []struct {
		name           string
		req            ExecRequest
		stdout, stderr string
		code           int
	}{
		{"streams and code", ExecRequest{Cmd: []string{"sh", "-c", "echo hello; echo oops >&2; exit 7"}}, "hello\n", "oops\n", 7},
		{"spec env by default", ExecRequest{Cmd: []string{"sh", "-c", "echo $FOO"}}, "spec\n", "", 0},
		{"env replaces", ExecRequest{Cmd: []string{"sh", "-c", "echo ${FOO:-none} $X"}, Env: []string{"PATH=/bin", "X=1"}}, "none 1\n", "", 0},
		{"cwd", ExecRequest{Cmd: []string{"pwd"}, Cwd: "/tmp"}, "/tmp\n", "", 0},
		{"user", ExecRequest{Cmd: []string{"id"}, User: &User{UID: 1000, GID: 1001, AdditionalGids: []uint32{1002}}}, "uid=1000 gid=1001 groups=1002\n", "", 0},
		{"in the container's namespaces", ExecRequest{Cmd: []string{"sh", "-c", "hostname; echo $$; cat /proc/1/cmdline"}}, "shimtest\n", "", 0},
		{"killed by a signal", ExecRequest{Cmd: []string{"sh", "-c", "kill -9 $$"}}, "", "", 137},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := c.execSync(ctx(t), tc.req)
			if err != nil {
				t.Fatal(err)
			}
			stdout := string(res.Stdout)
			if tc.name == "in the container's namespaces" { // hostname, a pid inside the pid ns, pid 1 is sleep
				lines := strings.SplitN(stdout, "\n", 3)
				if len(lines) < 3 || lines[0] != "shimtest" || len(lines[1]) > 3 || !strings.HasPrefix(lines[2], "sleep") {
					t.Errorf("stdout = %q", stdout)
				}
				stdout = tc.stdout
			}
			if stdout != tc.stdout || string(res.Stderr) != tc.stderr || res.ExitCode != tc.code || res.TimedOut {
				t.Errorf("ExecSync = stdout %q stderr %q code %d timedOut %v; want %q %q %d", res.Stdout, res.Stderr, res.ExitCode, res.TimedOut, tc.stdout, tc.stderr, tc.code)
			}
		})
	}
	t.Run("errors", func(t *testing.T) {
		if _, err := c.execSync(ctx(t), ExecRequest{}); !errors.Is(err, errdefs.ErrInvalidArgument) {
			t.Errorf("no command: %v, want InvalidArgument", err)
		}
		if _, err := c.execSync(ctx(t), ExecRequest{Cmd: []string{"/no/such"}}); err == nil || !strings.Contains(err.Error(), "/no/such") {
			t.Errorf("missing program: %v", err)
		}
	})
}

// TestExecSyncTimeout: the timeout kills the process and ExecSync
// returns at once.
func TestExecSyncTimeout(t *testing.T) {
	t.Parallel()
	_, c := runningShim(t)
	begin := time.Now()
	res, err := c.execSync(ctx(t), ExecRequest{Cmd: []string{"sh", "-c", "echo before; exec sleep 100"}, Timeout: time.Second})
	took := time.Since(begin)
	if err != nil {
		t.Fatal(err)
	}
	if !res.TimedOut || res.ExitCode != 137 || string(res.Stdout) != "before\n" {
		t.Errorf("ExecSync = %+v", res)
	}
	if took > 2*time.Second {
		t.Errorf("ExecSync took %v with a 1s timeout", took)
	}
	t.Logf("1s timeout: returned after %v", took)
}

// TestExecSyncBackgroundChild: a background child holding the output
// pipes does not hold the answer.
func TestExecSyncBackgroundChild(t *testing.T) {
	t.Parallel()
	_, c := runningShim(t)
	begin := time.Now()
	res, err := c.execSync(ctx(t), ExecRequest{Cmd: []string{"sh", "-c", "echo parent; sleep 100 & exit 0"}, Timeout: 10 * time.Second})
	took := time.Since(begin)
	if err != nil {
		t.Fatal(err)
	}
	if res.TimedOut || res.ExitCode != 0 || string(res.Stdout) != "parent\n" {
		t.Errorf("ExecSync = %+v", res)
	}
	if took > time.Second {
		t.Errorf("ExecSync took %v", took)
	}
	t.Logf("background child: returned after %v", took)
}

// TestExecSyncClientGone: a client that gives up (ctx) gets its error
// and the shim kills the command.
func TestExecSyncClientGone(t *testing.T) {
	t.Parallel()
	_, c := runningShim(t)
	short, cancel := contextWithTimeout(t, 300*time.Millisecond)
	defer cancel()
	_, err := c.execSync(short, ExecRequest{Cmd: []string{"sleep", "100"}})
	if !errors.Is(err, errdefs.ErrDeadlineExceeded) {
		t.Fatalf("ExecSync = %v, want DeadlineExceeded", err)
	}
	waitFor(t, "the exec'd sleep to be killed", 5*time.Second, func() bool {
		res, err := c.execSync(ctx(t), ExecRequest{Cmd: []string{"sh", "-c", "ps -o comm | grep -c sleep"}})
		return err == nil && strings.TrimSpace(string(res.Stdout)) == "1" // only pid 1
	})
}

// TestExecSyncOutputCap: output beyond the cap is dropped and flagged.
func TestExecSyncOutputCap(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 20 MiB")
	}
	t.Parallel()
	_, c := runningShim(t)
	res, err := c.execSync(ctx(t), ExecRequest{Cmd: []string{"head", "-c", "20000000", "/dev/zero"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Stdout) != 16<<20 || !res.StdoutTruncated || res.ExitCode != 0 {
		t.Errorf("stdout %d bytes, truncated %v, code %d", len(res.Stdout), res.StdoutTruncated, res.ExitCode)
	}
}
