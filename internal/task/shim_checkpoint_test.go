package task

import (
	"context"
	"errors"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/skiffrt/skiff/internal/criu"
	"github.com/skiffrt/skiff/internal/errdefs"
	"github.com/skiffrt/skiff/internal/shim/api"
)

// workingCRIU returns a criu binary that passes "criu check" here, or
// skips the test.
func workingCRIU(t *testing.T) string {
	t.Helper()
	bin := criu.Find(criu.CacheDir)
	if bin == "" {
		t.Skip("no criu (hack/criu.sh builds one)")
	}
	if out, err := exec.Command(bin, "check").CombinedOutput(); err != nil {
		t.Skipf("%s cannot run here: %v: %s", bin, err, out)
	}
	return bin
}

// lastNumber is the last number the counter logged, or -1.
func lastNumber(t *testing.T, path string) int {
	t.Helper()
	lines := streamLines(readLog(t, path), "stdout")
	if len(lines) == 0 {
		return -1
	}
	n, err := strconv.Atoi(lines[len(lines)-1].text)
	if err != nil {
		t.Fatalf("counter logged %q", lines[len(lines)-1].text)
	}
	return n
}

// TestCheckpointRestore: a running counter is checkpointed and goes on;
// it is killed and removed; a new shim restores it from the images and it
// counts on from where the checkpoint caught it, not from 0.
func TestCheckpointRestore(t *testing.T) {
	requireKernel(t)
	bin := workingCRIU(t)
	counter := []string{"sh", "-c", "i=0; while :; do echo $i; i=$((i+1)); sleep 0.05; done"}
	b := newBundle(t, counter...)
	started, c := b.start(t)
	if _, err := c.start(ctx(t)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the counter to reach 5", 10*time.Second, func() bool { return lastNumber(t, b.logPath) >= 5 })

	images, work := filepath.Join(t.TempDir(), "images"), filepath.Join(t.TempDir(), "work")
	before := lastNumber(t, b.logPath)
	if err := c.checkpoint(ctx(t), &api.CheckpointRequest{ImagesDir: images, WorkDir: work, CRIU: bin}); err != nil {
		t.Fatalf("Checkpoint: %v", err)
	}
	after := lastNumber(t, b.logPath)
	st, err := c.state(ctx(t))
	if err != nil || st.Status != api.StatusRunning {
		t.Fatalf("state after checkpoint = %+v, %v; want running", st, err)
	}
	waitFor(t, "the counter to go on after the checkpoint", 5*time.Second, func() bool { return lastNumber(t, b.logPath) > after })
	if err := c.kill(ctx(t), syscall.SIGKILL, true); err != nil {
		t.Fatal(err)
	}
	if _, err := b.wait(t, c); err != nil {
		t.Fatal(err)
	}
	waitGone(t, started.ShimPid, 5*time.Second)

	r := newBundle(t, counter...)
	r.id = b.id + "-restored"
	r.writeSpec(t)
	o := r.options()
	o.RestoreFrom, o.CRIU = images, bin
	restored, err := launch(ctx(t), shimBin, o)
	if err != nil {
		t.Fatalf("restore: %v\nshim log: %s", err, r.shimLog())
	}
	t.Cleanup(func() { r.forceCleanup(t, restored.ShimPid) })
	rc := dial(r.socket)
	st, err = rc.state(ctx(t))
	if err != nil || st.Status != api.StatusRunning || st.StartedAt.IsZero() || st.Pid != restored.Pid {
		t.Fatalf("restored state = %+v, %v; want running with pid %d", st, err, restored.Pid)
	}
	waitFor(t, "the restored counter to log", 10*time.Second, func() bool { return lastNumber(t, r.logPath) >= 0 })
	first := streamLines(readLog(t, r.logPath), "stdout")[0].text
	n, _ := strconv.Atoi(first)
	if n <= before || n > after+1 {
		t.Errorf("restored counter starts at %s, want a number in (%d, %d]: on from the checkpoint", first, before, after+1)
	}
	if err := rc.kill(ctx(t), syscall.SIGKILL, true); err != nil {
		t.Fatal(err)
	}
	if e, err := r.wait(t, rc); err != nil || e.Signal != int(syscall.SIGKILL) {
		t.Errorf("restored exit = %+v, %v; want killed", e, err)
	}
	waitGone(t, restored.ShimPid, 5*time.Second)
	r.assertCleanedUp(t)
}

// TestCheckpointRefused: a created (not started) container cannot be
// checkpointed; bad directories are refused before CRIU runs.
func TestCheckpointRefused(t *testing.T) {
	requireKernel(t)
	b := newBundle(t, "sleep", "60")
	_, c := b.start(t)
	dirs := &api.CheckpointRequest{ImagesDir: t.TempDir(), WorkDir: t.TempDir()}
	if err := c.checkpoint(ctx(t), dirs); !errors.Is(err, errdefs.ErrFailedPrecondition) {
		t.Errorf("checkpoint of a created container = %v, want failed precondition", err)
	}
	if err := c.checkpoint(ctx(t), &api.CheckpointRequest{ImagesDir: "images", WorkDir: "/w"}); !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Errorf("checkpoint to a relative directory = %v, want invalid argument", err)
	}
	c2, cancel := context.WithTimeout(ctx(t), 10*time.Second)
	defer cancel()
	if _, err := c.shutdown(c2); err != nil {
		t.Fatal(err)
	}
}

// TestPauseCheckpointResume: a paused container does not run, stays
// paused through a checkpoint, and runs on once resumed.
func TestPauseCheckpointResume(t *testing.T) {
	requireKernel(t)
	bin := workingCRIU(t)
	b := newBundle(t, "sh", "-c", "i=0; while :; do echo $i; i=$((i+1)); sleep 0.05; done")
	_, c := b.start(t)
	if _, err := c.start(ctx(t)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the counter to reach 2", 10*time.Second, func() bool { return lastNumber(t, b.logPath) >= 2 })
	call := func(method string) {
		t.Helper()
		if err := c.call(ctx(t), method, nil, nil); err != nil {
			t.Fatalf("%s: %v", method, err)
		}
	}
	call(api.MethodPause)
	frozen := lastNumber(t, b.logPath)
	req := &api.CheckpointRequest{ImagesDir: filepath.Join(t.TempDir(), "i"), WorkDir: filepath.Join(t.TempDir(), "w"), CRIU: bin}
	if err := c.checkpoint(ctx(t), req); err != nil {
		t.Fatalf("Checkpoint of a paused container: %v", err)
	}
	time.Sleep(300 * time.Millisecond)
	if n := lastNumber(t, b.logPath); n != frozen {
		t.Fatalf("the paused counter went on from %d to %d", frozen, n)
	}
	call(api.MethodResume)
	waitFor(t, "the resumed counter to go on", 5*time.Second, func() bool { return lastNumber(t, b.logPath) > frozen })
	call(api.MethodResume) // not paused: fine
	if err := c.kill(ctx(t), syscall.SIGKILL, true); err != nil {
		t.Fatal(err)
	}
}
