package tasktest

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"syscall"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/skiffrt/skiff/internal/errdefs"
	"github.com/skiffrt/skiff/internal/shim/api"
	"github.com/skiffrt/skiff/internal/task"
)

// Runner is a fake task.Runner. The zero value is ready; it is safe for
// concurrent use.
type Runner struct {
	// OnExecSync answers ExecSync for a running task; nil echoes the
	// command.
	OnExecSync func(req task.ExecRequest) (*task.ExecResult, error)
	// IgnoreSignals makes tasks ignore all but SIGKILL, so that a
	// graceful Stop runs into its timeout.
	IgnoreSignals bool

	mu     sync.Mutex // guards the fields below
	tasks  map[string]*Task
	fail   map[string]error // by method name
	calls  []string
	pid    int
	delays map[string]time.Duration
}

// Task is one fake task. Its fields are a snapshot when returned by Get.
type Task struct {
	ID       string
	Spec     *specs.Spec
	Opts     task.CreateOptions
	Status   api.Status
	Pid      int
	Signals  []syscall.Signal // as sent by Stop, in order
	Timeouts []time.Duration  // of the Stop calls
	Exited   *task.Exit
	// Resources are those of the last Update.
	Resources *specs.LinuxResources
	// Paused is set between Pause and Resume.
	Paused bool
	done   chan struct{} // closed on exit
	lost   chan struct{} // closed when its shim vanished
}

// Fail makes every later call of method (e.g. "Start") fail with err; a
// nil err ends that.
func (r *Runner) Fail(method string, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail == nil {
		r.fail = map[string]error{}
	}
	r.fail[method] = err
}

// Delay makes every later call of method sleep d first, to widen races.
func (r *Runner) Delay(method string, d time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.delays == nil {
		r.delays = map[string]time.Duration{}
	}
	r.delays[method] = d
}

// Calls returns the methods called so far, as "Method id".
func (r *Runner) Calls() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.calls)
}

// Get returns a snapshot of task id, or nil once it is deleted.
func (r *Runner) Get(id string) *Task {
	r.mu.Lock()
	defer r.mu.Unlock()
	t := r.tasks[id]
	if t == nil {
		return nil
	}
	c := *t
	c.Signals, c.Timeouts = slices.Clone(t.Signals), slices.Clone(t.Timeouts)
	return &c
}

// Live returns the IDs of the tasks not deleted, sorted.
func (r *Runner) Live() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var ids []string
	for id := range r.tasks {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// Add puts a task that a shim from before a restart runs, in status st.
func (r *Runner) Add(id string, st api.Status) {
	r.mu.Lock()
	defer r.mu.Unlock()
	t := r.newTask(id, nil, task.CreateOptions{})
	t.Status = st
	if st == api.StatusStopped {
		r.exitLocked(t, 0)
	}
}

// ExitTask makes task id's process exit with code, as if on its own.
func (r *Runner) ExitTask(id string, code int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if t := r.tasks[id]; t != nil && t.Status != api.StatusStopped {
		r.exitLocked(t, code)
	}
}

// Vanish makes task id's shim disappear without recording an exit, as
// after a kill -9: waiters get errdefs.ErrNotFound, and so does every
// later call.
func (r *Runner) Vanish(id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if t := r.tasks[id]; t != nil {
		close(t.lost)
		delete(r.tasks, id)
	}
}

// begin logs a call and returns its injected failure and delay.
func (r *Runner) begin(method, id string) error {
	r.mu.Lock()
	r.calls = append(r.calls, method+" "+id)
	err, d := r.fail[method], r.delays[method]
	r.mu.Unlock()
	if d > 0 {
		time.Sleep(d)
	}
	return err
}

func (r *Runner) newTask(id string, spec *specs.Spec, o task.CreateOptions) *Task {
	if r.tasks == nil {
		r.tasks = map[string]*Task{}
	}
	r.pid++
	t := &Task{
		ID: id, Spec: spec, Opts: o, Status: api.StatusCreated, Pid: 1000 + r.pid,
		done: make(chan struct{}), lost: make(chan struct{}),
	}
	r.tasks[id] = t
	return t
}

func (r *Runner) exitLocked(t *Task, code int) {
	t.Status = api.StatusStopped
	reason := api.ReasonError
	if code == 0 {
		reason = api.ReasonCompleted
	}
	t.Exited = &task.Exit{Pid: t.Pid, ExitCode: code, FinishedAt: time.Now().UTC(), Reason: reason}
	close(t.done)
}

func gone(id string) error { return fmt.Errorf("task %s: %w", id, errdefs.ErrNotFound) }

// Create makes a created task, or a running one when it restores
// (o.RestoreFrom).
func (r *Runner) Create(_ context.Context, id string, spec *specs.Spec, o task.CreateOptions) (int, error) {
	if err := r.begin("Create", id); err != nil {
		return 0, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.tasks[id] != nil {
		return 0, fmt.Errorf("task %s: %w", id, errdefs.ErrAlreadyExists)
	}
	t := r.newTask(id, spec, o)
	if o.RestoreFrom != "" {
		t.Status = api.StatusRunning
	}
	return t.Pid, nil
}

// Start runs a created task.
func (r *Runner) Start(_ context.Context, id string) (time.Time, error) {
	if err := r.begin("Start", id); err != nil {
		return time.Time{}, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	t := r.tasks[id]
	switch {
	case t == nil:
		return time.Time{}, gone(id)
	case t.Status != api.StatusCreated:
		return time.Time{}, fmt.Errorf("task %s is %s: %w", id, t.Status, errdefs.ErrFailedPrecondition)
	}
	t.Status = api.StatusRunning
	return time.Now().UTC(), nil
}

// State returns a task's state; a deleted task is not found.
func (r *Runner) State(_ context.Context, id string) (*task.State, error) {
	if err := r.begin("State", id); err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	t := r.tasks[id]
	if t == nil {
		return nil, gone(id)
	}
	return &task.State{ID: id, Status: t.Status, Pid: t.Pid, Exit: t.Exited}, nil
}

// Exit returns a task's recorded exit, not found while it runs.
func (r *Runner) Exit(id string) (*task.Exit, error) {
	if err := r.begin("Exit", id); err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if t := r.tasks[id]; t != nil && t.Exited != nil {
		return t.Exited, nil
	}
	return nil, gone(id)
}

// Stop ends a task: sig ends it at once unless IgnoreSignals, in which
// case it ends with SIGKILL once timeout has passed.
func (r *Runner) Stop(ctx context.Context, id string, sig syscall.Signal, timeout time.Duration) (*task.Exit, error) {
	if err := r.begin("Stop", id); err != nil {
		return nil, err
	}
	r.mu.Lock()
	t := r.tasks[id]
	if t == nil {
		r.mu.Unlock()
		return nil, gone(id)
	}
	t.Timeouts = append(t.Timeouts, timeout)
	if t.Status == api.StatusStopped {
		r.mu.Unlock()
		return t.Exited, nil
	}
	if sig == 0 {
		sig = syscall.SIGTERM
	}
	if timeout == 0 || !r.IgnoreSignals {
		if timeout == 0 {
			sig = syscall.SIGKILL
		}
		t.Signals = append(t.Signals, sig)
		r.exitLocked(t, 128+int(sig))
		r.mu.Unlock()
		return t.Exited, nil
	}
	t.Signals = append(t.Signals, sig)
	r.mu.Unlock()
	select {
	case <-t.done:
	case <-time.After(timeout):
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if t.Status != api.StatusStopped {
		t.Signals = append(t.Signals, syscall.SIGKILL)
		r.exitLocked(t, 137)
	}
	return t.Exited, nil
}

// Wait returns a task's exit once it has one.
func (r *Runner) Wait(ctx context.Context, id string) (*task.Exit, error) {
	if err := r.begin("Wait", id); err != nil {
		return nil, err
	}
	r.mu.Lock()
	t := r.tasks[id]
	r.mu.Unlock()
	if t == nil {
		return nil, gone(id)
	}
	select {
	case <-t.done:
	case <-t.lost:
		return nil, gone(id)
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return t.Exited, nil
}

// ExecSync runs a command in a running task.
func (r *Runner) ExecSync(_ context.Context, id string, req task.ExecRequest) (*task.ExecResult, error) {
	if err := r.begin("ExecSync", id); err != nil {
		return nil, err
	}
	r.mu.Lock()
	t := r.tasks[id]
	r.mu.Unlock()
	switch {
	case t == nil:
		return nil, gone(id)
	case r.OnExecSync != nil:
		return r.OnExecSync(req)
	}
	return &task.ExecResult{Stdout: fmt.Appendf(nil, "%v", req.Cmd)}, nil
}

// Exec writes the command to the task's stdout stream and exits 0.
func (r *Runner) Exec(_ context.Context, id string, req task.ExecRequest, s task.Streams) (int, error) {
	if err := r.exists("Exec", id); err != nil {
		return 0, err
	}
	if s.Stdout != nil {
		fmt.Fprintf(s.Stdout, "%v", req.Cmd)
	}
	return 0, nil
}

// Attach returns at once for a task that exists.
func (r *Runner) Attach(_ context.Context, id string, _ task.Streams) error {
	return r.exists("Attach", id)
}

// ReopenLog succeeds for a task that exists.
func (r *Runner) ReopenLog(_ context.Context, id string) error {
	return r.exists("ReopenLog", id)
}

// exists begins a call of method that needs task id to exist.
func (r *Runner) exists(method, id string) error {
	if err := r.begin(method, id); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.tasks[id] == nil {
		return gone(id)
	}
	return nil
}

// Update records the resources of a task that has not stopped.
func (r *Runner) Update(_ context.Context, id string, res *specs.LinuxResources) error {
	if err := r.begin("Update", id); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	t := r.tasks[id]
	switch {
	case t == nil:
		return gone(id)
	case t.Status == api.StatusStopped:
		return fmt.Errorf("%w: task %s is stopped", errdefs.ErrFailedPrecondition, id)
	}
	t.Resources = res
	return nil
}

// Delete kills a task if it runs and forgets it; a deleted task is fine.
func (r *Runner) Delete(_ context.Context, id, _ string) error {
	if err := r.begin("Delete", id); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if t := r.tasks[id]; t != nil {
		if t.Status != api.StatusStopped {
			r.exitLocked(t, 137)
		}
		delete(r.tasks, id)
	}
	return nil
}
