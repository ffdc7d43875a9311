package task

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/skiffrt/skiff/internal/errdefs"
	"github.com/skiffrt/skiff/internal/shim/api"
)

// runnerFor returns a Runner whose task b.id is b's container: its bundle
// directory is b's, its sockets and state under the test's directory.
func (b *bundle) runner(t *testing.T) *Runner {
	t.Helper()
	dir := t.TempDir()
	b.spec.Root.Path = filepath.Join(b.dir, "rootfs")
	r := &Runner{
		ShimBinary: shimBin, Dir: filepath.Join(dir, "tasks"), SocketDir: filepath.Join(dir, "s"),
		StateRoot: b.stateRoot, ShimCgroup: shimCgroup,
	}
	t.Cleanup(func() {
		if err := r.Delete(ctx(t), b.id, b.cgroupPath); err != nil {
			t.Errorf("Delete at cleanup: %v", err)
		}
	})
	return r
}

// TestRunner drives a task through Runner's whole life cycle: create,
// state, start, exec, log reopen, a stop whose grace runs out, the
// recorded exit, and delete, twice.
func TestRunner(t *testing.T) {
	t.Parallel()
	b := newBundle(t, "sleep", "1000") // pid 1 ignores SIGTERM: Stop must kill
	r := b.runner(t)
	pid, err := r.Create(ctx(t), b.id, b.spec, CreateOptions{LogPath: b.logPath})
	if err != nil || pid <= 0 {
		t.Fatalf("Create = %d, %v", pid, err)
	}
	if st, err := r.State(ctx(t), b.id); err != nil || st.Status != api.StatusCreated || st.Pid != pid {
		t.Fatalf("State = %+v, %v", st, err)
	}
	if _, err := r.Exit(b.id); !errdefs.IsNotFound(err) {
		t.Errorf("Exit of a live task: %v", err)
	}
	if at, err := r.Start(ctx(t), b.id); err != nil || at.IsZero() {
		t.Fatalf("Start = %v, %v", at, err)
	}
	if _, err := r.Start(ctx(t), b.id); !errors.Is(err, errdefs.ErrFailedPrecondition) {
		t.Errorf("second Start: %v", err)
	}
	res, err := r.ExecSync(ctx(t), b.id, ExecRequest{Cmd: []string{"echo", "in"}})
	if err != nil || string(res.Stdout) != "in\n" {
		t.Errorf("ExecSync = %+v, %v", res, err)
	}
	if err := r.ReopenLog(ctx(t), b.id); err != nil {
		t.Errorf("ReopenLog: %v", err)
	}
	e, err := r.Stop(ctx(t), b.id, syscall.SIGTERM, 100*time.Millisecond)
	if err != nil || e.ExitCode != 137 || e.Signal != int(syscall.SIGKILL) {
		t.Fatalf("Stop = %+v, %v; want killed once the grace ran out", e, err)
	}
	if again, err := r.Stop(ctx(t), b.id, 0, time.Second); err != nil || again.ExitCode != 137 {
		t.Errorf("Stop of a stopped task = %+v, %v", again, err)
	}
	if w, err := r.Wait(ctx(t), b.id); err != nil || w.ExitCode != 137 {
		t.Errorf("Wait = %+v, %v", w, err)
	}
	if x, err := r.Exit(b.id); err != nil || x.ExitCode != 137 {
		t.Errorf("Exit = %+v, %v", x, err)
	}
	for range 2 {
		if err := r.Delete(ctx(t), b.id, b.cgroupPath); err != nil {
			t.Fatalf("Delete: %v", err)
		}
	}
	if _, err := os.Stat(filepath.Join(r.Dir, b.id)); !os.IsNotExist(err) {
		t.Errorf("task directory left: %v", err)
	}
	b.assertCleanedUp(t)
	if _, err := r.State(ctx(t), b.id); !errdefs.IsNotFound(err) {
		t.Errorf("State of a deleted task: %v", err)
	}
	if _, err := r.Stop(ctx(t), b.id, 0, 0); !errdefs.IsNotFound(err) {
		t.Errorf("Stop of a deleted task: %v", err)
	}
}

// TestRunnerGracefulStop: a process that handles SIGTERM stops within
// the grace, with it.
func TestRunnerGracefulStop(t *testing.T) {
	t.Parallel()
	b := newBundle(t, "sh", "-c", "trap 'exit 7' TERM; while :; do sleep 0.05; done")
	r := b.runner(t)
	if _, err := r.Create(ctx(t), b.id, b.spec, CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Start(ctx(t), b.id); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond) // the trap is set
	e, err := r.Stop(ctx(t), b.id, 0, 10*time.Second)
	if err != nil || e.ExitCode != 7 {
		t.Errorf("Stop = %+v, %v; want exit code 7 from the trap", e, err)
	}
}

// TestRunnerDeleteCreated: a created, never started task is deleted
// through its shim's Shutdown.
func TestRunnerDeleteCreated(t *testing.T) {
	t.Parallel()
	b := newBundle(t, "sleep", "1000")
	r := b.runner(t)
	pid, err := r.Create(ctx(t), b.id, b.spec, CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Delete(ctx(t), b.id, b.cgroupPath); err != nil {
		t.Fatal(err)
	}
	waitGone(t, pid, 5*time.Second)
	b.assertCleanedUp(t)
}

func TestRunnerShimCgroup(t *testing.T) {
	for _, tt := range []struct{ set, want string }{
		{"", ""},
		{"/skiff-shims", "/skiff-shims"},
		{"system.slice", "system.slice:skiff-shim:abc"},
	} {
		r := &Runner{ShimCgroup: tt.set}
		if got := r.shimCgroup("abc"); got != tt.want {
			t.Errorf("%q: %q, want %q", tt.set, got, tt.want)
		}
	}
}
