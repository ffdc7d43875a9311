package container

import (
	"errors"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/skiffrt/skiff/internal/errdefs"
	"github.com/skiffrt/skiff/internal/shim/api"
	"github.com/skiffrt/skiff/internal/store"
)

// race runs the calls at once, as far as the scheduler lets them, and
// returns their errors in order.
func race(calls ...func() error) []error {
	errs := make([]error, len(calls))
	var ready, done sync.WaitGroup
	start := make(chan struct{})
	for i, call := range calls {
		ready.Add(1)
		done.Go(func() {
			ready.Done()
			<-start
			errs[i] = call()
		})
	}
	ready.Wait()
	close(start)
	done.Wait()
	return errs
}

// allowed checks that err is nil or of one of classes.
func allowed(t *testing.T, what string, err error, classes ...error) {
	t.Helper()
	if err == nil {
		return
	}
	for _, c := range classes {
		if errors.Is(err, c) {
			return
		}
	}
	t.Errorf("%s: %v", what, err)
}

// TestConcurrentCalls fires Start, Stop, Remove and ExecSync at one
// container at once: Remove always wins in the end and leaves nothing,
// and the others either succeed or fail with the class the order they
// ran in explains. Run it with -race -count=100.
func TestConcurrentCalls(t *testing.T) {
	goroutines := runtime.NumGoroutine()
	e := newEnv(t)
	e.tasks.Delay("Start", 100*time.Microsecond) // widen the windows
	e.tasks.Delay("Stop", 100*time.Microsecond)
	for range 20 {
		id := e.create(t, "c")
		ctx := ctxT(t)
		errs := race(
			func() error { return e.m.Start(ctx, id) },
			func() error { return e.m.Stop(ctx, id, time.Second) },
			func() error { return e.m.Remove(ctx, id) },
			func() error { _, err := e.m.ExecSync(ctx, id, []string{"true"}, 0); return err },
			func() error { _, err := e.m.Get(id); return err },
		)
		allowed(t, "Start", errs[0], errdefs.ErrFailedPrecondition, errdefs.ErrNotFound)
		allowed(t, "Stop", errs[1])
		allowed(t, "Remove", errs[2])
		allowed(t, "ExecSync", errs[3], errdefs.ErrFailedPrecondition, errdefs.ErrNotFound)
		allowed(t, "Get", errs[4], errdefs.ErrNotFound)
		e.assertNothingLeft(t)
	}
	waitGoroutines(t, goroutines)
}

// TestConcurrentStartStop: without a Remove, the container always ends
// exited, its record and its task agreeing, and a Stop that came after
// a successful Start stopped it gracefully.
func TestConcurrentStartStop(t *testing.T) {
	e := newEnv(t)
	e.tasks.Delay("Start", 100*time.Microsecond)
	e.tasks.Delay("Stop", 100*time.Microsecond)
	for range 20 {
		id := e.create(t, "c")
		ctx := ctxT(t)
		errs := race(
			func() error { return e.m.Start(ctx, id) },
			func() error { return e.m.Start(ctx, id) },
			func() error { return e.m.Stop(ctx, id, time.Second) },
			func() error { return e.m.Stop(ctx, id, time.Second) },
			func() error { _, err := e.m.ExecSync(ctx, id, []string{"true"}, 0); return err },
		)
		allowed(t, "Start", errs[0], errdefs.ErrFailedPrecondition)
		allowed(t, "Start", errs[1], errdefs.ErrFailedPrecondition)
		allowed(t, "Stop", errs[2])
		allowed(t, "Stop", errs[3])
		allowed(t, "ExecSync", errs[4], errdefs.ErrFailedPrecondition)
		started := errs[0] == nil || errs[1] == nil
		if errs[0] == nil && errs[1] == nil {
			t.Error("both Starts succeeded")
		}
		c, err := e.m.Get(id)
		if err != nil || c.State != store.ContainerExited || c.Pid != 0 {
			t.Fatalf("after the race: %+v, %v", c, err)
		}
		tk := e.tasks.Get(id)
		if tk.Status != api.StatusStopped || int32(tk.Exited.ExitCode) != c.ExitCode {
			t.Errorf("task %s (exit %+v), record exit code %d", tk.Status, tk.Exited, c.ExitCode)
		}
		if want := syscall.SIGTERM; started && tk.Signals[0] != want {
			t.Errorf("a started container was stopped with %v, want %v first", tk.Signals, want)
		}
		if err := e.m.Remove(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	e.assertNothingLeft(t)
}

// waitGoroutines waits until no more goroutines run than before the
// test: every watch has ended with its container.
func waitGoroutines(t *testing.T, before int) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); runtime.NumGoroutine() > before; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Errorf("%d goroutines, %d before the test", runtime.NumGoroutine(), before)
			return
		}
	}
}
