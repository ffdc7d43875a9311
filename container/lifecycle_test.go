package container

import (
	"errors"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/skiffrt/skiff/internal/errdefs"
	"github.com/skiffrt/skiff/internal/shim/api"
	"github.com/skiffrt/skiff/internal/store"
	"github.com/skiffrt/skiff/internal/task"
)

func TestStart(t *testing.T) {
	e := newEnv(t)
	id := e.run(t, "web")
	c, _ := e.m.Get(id)
	if c.State != store.ContainerRunning || c.StartedAt.IsZero() {
		t.Errorf("after Start: %s, started %v", c.State, c.StartedAt)
	}
	// The exit of the process is recorded without a call.
	e.tasks.ExitTask(id, 3)
	e.waitState(t, id, store.ContainerExited)
	if c, _ = e.m.Get(id); c.ExitCode != 3 || c.Reason != api.ReasonError || c.Pid != 0 || c.FinishedAt.IsZero() {
		t.Errorf("exit recorded as %+v", c)
	}
}

func TestStartRefused(t *testing.T) {
	e := newEnv(t)
	running := e.run(t, "running")
	exited := e.run(t, "exited")
	if err := e.m.Stop(ctxT(t), exited, 0); err != nil {
		t.Fatal(err)
	}
	failing := e.create(t, "failing")
	e.tasks.Fail("Start", errors.New("exec failed"))
	tests := []struct {
		name, id string
		class    error
		msg      string
	}{
		{"unknown", "nope", errdefs.ErrNotFound, "nope"},
		{"running", running, errdefs.ErrFailedPrecondition, "RUNNING"},
		{"exited", exited, errdefs.ErrFailedPrecondition, "EXITED"},
		{"task fails", failing, nil, "exec failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := e.m.Start(ctxT(t), tt.id)
			if tt.class == nil && (err == nil || err.Error() == "") {
				t.Fatalf("Start succeeded")
			}
			if tt.class != nil {
				wantErr(t, err, tt.class, tt.msg)
			}
		})
	}
	if got := e.state(t, failing); got != store.ContainerCreated {
		t.Errorf("a failed start left the container %s", got)
	}
	if e.locks.Len() != 0 {
		t.Errorf("%d locks left", e.locks.Len())
	}
}

func TestStop(t *testing.T) {
	tests := []struct {
		name       string
		start      bool
		stopSignal string
		ignore     bool // the process ignores the stop signal
		timeout    time.Duration
		signals    []syscall.Signal
		code       int32
	}{
		{"running", true, "", false, time.Second, []syscall.Signal{syscall.SIGTERM}, 143},
		{"image stop signal", true, "SIGINT", false, time.Second, []syscall.Signal{syscall.SIGINT}, 130},
		{"unknown stop signal", true, "SIGNOPE", false, time.Second, []syscall.Signal{syscall.SIGTERM}, 143},
		{"timeout runs out", true, "", true, 10 * time.Millisecond, []syscall.Signal{syscall.SIGTERM, syscall.SIGKILL}, 137},
		{"no timeout", true, "", false, 0, []syscall.Signal{syscall.SIGKILL}, 137},
		{"created: no grace", false, "", false, time.Minute, []syscall.Signal{syscall.SIGKILL}, 137},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.images.stopSignal, e.tasks.IgnoreSignals = tt.stopSignal, tt.ignore
			id := e.create(t, "c")
			if tt.start {
				if err := e.m.Start(ctxT(t), id); err != nil {
					t.Fatal(err)
				}
			}
			if err := e.m.Stop(ctxT(t), id, tt.timeout); err != nil {
				t.Fatal(err)
			}
			c, _ := e.m.Get(id)
			if c.State != store.ContainerExited || c.ExitCode != tt.code {
				t.Errorf("after Stop: %s, exit code %d; want EXITED, %d", c.State, c.ExitCode, tt.code)
			}
			if got := e.tasks.Get(id).Signals; !equal(got, tt.signals) {
				t.Errorf("signals %v, want %v", got, tt.signals)
			}
			// Stop is idempotent.
			if err := e.m.Stop(ctxT(t), id, tt.timeout); err != nil {
				t.Errorf("second Stop: %v", err)
			}
			if got := e.tasks.Get(id).Signals; !equal(got, tt.signals) {
				t.Errorf("a second Stop signalled again: %v", got)
			}
		})
	}
}

func equal(a, b []syscall.Signal) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestStopErrors(t *testing.T) {
	e := newEnv(t)
	if err := e.m.Stop(ctxT(t), "nope", 0); err != nil {
		t.Errorf("Stop of an unknown container: %v", err)
	}
	id := e.run(t, "c")
	e.tasks.Fail("Stop", errdefs.ErrUnavailable)
	wantErr(t, e.m.Stop(ctxT(t), id, 0), errdefs.ErrUnavailable, id)
	if got := e.state(t, id); got != store.ContainerRunning {
		t.Errorf("a failed Stop left the container %s", got)
	}
}

func TestRemove(t *testing.T) {
	for _, tt := range []struct {
		name string
		prep func(*env, string)
	}{
		{"created", func(*env, string) {}},
		{"running", func(e *env, id string) { e.m.Start(ctxT(t), id) }},
		{"exited", func(e *env, id string) { e.m.Start(ctxT(t), id); e.m.Stop(ctxT(t), id, 0) }},
		{"shim gone", func(e *env, id string) { e.m.Start(ctxT(t), id); e.tasks.Vanish(id) }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			id := e.create(t, "c")
			tt.prep(e, id)
			if err := e.m.Remove(ctxT(t), id); err != nil {
				t.Fatal(err)
			}
			e.assertNothingLeft(t)
			if err := e.m.Remove(ctxT(t), id); err != nil {
				t.Errorf("second Remove: %v", err)
			}
			if _, err := e.m.Get(id); !errdefs.IsNotFound(err) {
				t.Errorf("Get after Remove: %v", err)
			}
		})
	}
}

func TestRemoveFails(t *testing.T) {
	e := newEnv(t)
	id := e.run(t, "c")
	e.tasks.Fail("Delete", errdefs.ErrUnavailable)
	wantErr(t, e.m.Remove(ctxT(t), id), errdefs.ErrUnavailable, "")
	if _, err := e.m.Get(id); err != nil {
		t.Errorf("a failed Remove dropped the record: %v", err)
	}
	e.tasks.Fail("Delete", nil)
	if err := e.m.Remove(ctxT(t), id); err != nil {
		t.Fatal(err)
	}
	e.assertNothingLeft(t)
}

func TestStopAllRemoveAll(t *testing.T) {
	e := newEnv(t)
	a, b := e.run(t, "a"), e.create(t, "b")
	if err := e.m.StopAll(ctxT(t), e.pod.ID); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{a, b} {
		if got := e.state(t, id); got != store.ContainerExited {
			t.Errorf("%s after StopAll: %s", id, got)
		}
	}
	if err := e.m.RemoveAll(ctxT(t), e.pod.ID); err != nil {
		t.Fatal(err)
	}
	e.assertNothingLeft(t)
}

func TestExecSync(t *testing.T) {
	e := newEnv(t)
	running, created := e.run(t, "running"), e.create(t, "created")
	e.tasks.OnExecSync = func(req task.ExecRequest) (*task.ExecResult, error) {
		if req.Cmd[0] == "slow" {
			return &task.ExecResult{TimedOut: true}, nil
		}
		return &task.ExecResult{Stdout: []byte("out"), ExitCode: 2}, nil
	}
	res, err := e.m.ExecSync(ctxT(t), running, []string{"true"}, time.Second)
	if err != nil || string(res.Stdout) != "out" || res.ExitCode != 2 {
		t.Errorf("ExecSync = %+v, %v", res, err)
	}
	tests := []struct {
		name, id string
		cmd      []string
		class    error
		msg      string
	}{
		{"not running", created, []string{"true"}, errdefs.ErrFailedPrecondition, "CREATED"},
		{"unknown", "nope", []string{"true"}, errdefs.ErrNotFound, "nope"},
		{"no command", running, nil, errdefs.ErrInvalidArgument, "cmd: empty"},
		{"huge command", running, []string{strings.Repeat("x", 200<<10)}, errdefs.ErrInvalidArgument, "exec request: command: entry 0"},
		{"timed out", running, []string{"slow"}, errdefs.ErrDeadlineExceeded, "timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.m.ExecSync(ctxT(t), tt.id, tt.cmd, time.Second)
			wantErr(t, err, tt.class, tt.msg)
		})
	}
}

func TestReopenLog(t *testing.T) {
	e := newEnv(t)
	running, created := e.run(t, "running"), e.create(t, "created")
	if err := e.m.ReopenLog(ctxT(t), running); err != nil {
		t.Error(err)
	}
	wantErr(t, e.m.ReopenLog(ctxT(t), created), errdefs.ErrFailedPrecondition, "not running")
}
