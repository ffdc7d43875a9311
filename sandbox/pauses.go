package sandbox

import (
	"context"
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/skiffrt/skiff/internal/log"
	"github.com/skiffrt/skiff/internal/proc"
	"github.com/skiffrt/skiff/internal/store"
)

// Pauses runs pause containers without a monitor (DetachedPauses). A
// pause is known by its process: pid and start time, recorded with the
// pod.
type Pauses interface {
	// Start creates and starts pod id's pause container with spec and
	// returns its process. A failed Start may leave a container that
	// Stop removes.
	Start(ctx context.Context, id string, spec *specs.Spec) (proc.ID, error)
	// Alive reports whether pod id's pause process p runs.
	Alive(id string, p proc.ID) bool
	// Stop kills pod id's pause p if it runs, waits for its exit and
	// removes its container: cgroups (cgroupPath when libcontainer's
	// state is gone), state and bundle. Stopping a stopped pause is fine,
	// and so is a zero p (a pause whose start was cut short).
	Stop(ctx context.Context, id string, p proc.ID, cgroupPath string) error
	// Adopt returns the process of pod id's pause that an older skiffd
	// ran under a shim of its own, from libcontainer's state.
	Adopt(id string) (proc.ID, error)
}

// DetachedTasks are the helper-run tasks of task.Runner.
type DetachedTasks interface {
	CreateDetached(ctx context.Context, id string, spec *specs.Spec) (proc.ID, error)
	DeleteDetached(ctx context.Context, id, cgroupPath string) error
	InitProcess(id string) (proc.ID, error)
}

// DetachedPauses are the real Pauses: created and deleted by the shim's
// helper verbs, with no process left but the pause itself, which is
// re-parented to skiffd (a child subreaper). Procs watches each pause
// through a pidfd and reaps it when it exits: its status costs no system
// call while skiffd runs, and a restarted skiffd opens the pidfds again
// from the recorded pids and start times. Pause processes of an earlier
// skiffd are no longer its children: where init does not reap (this
// VM's), one that exits stays a zombie, holding a pid and nothing else.
type DetachedPauses struct {
	Tasks DetachedTasks
	Procs *proc.Table
}

// Start creates and starts the pause and watches its process.
func (d DetachedPauses) Start(ctx context.Context, id string, spec *specs.Spec) (proc.ID, error) {
	p, err := d.Tasks.CreateDetached(ctx, id, spec)
	if err != nil {
		return proc.ID{}, err
	}
	if err := d.Procs.Watch(id, p); err != nil {
		return p, fmt.Errorf("pause process: %w", err)
	}
	return p, nil
}

// Alive reports whether the pause p runs: from its pidfd.
func (d DetachedPauses) Alive(id string, p proc.ID) bool { return d.Procs.Alive(id, p) }

// Stop kills the pause through its pidfd, then the helper removes its
// container.
func (d DetachedPauses) Stop(ctx context.Context, id string, p proc.ID, cgroupPath string) error {
	if p.PID > 0 {
		endSpan := log.Span(ctx, "pause.kill")
		err := d.Procs.Kill(ctx, id, p)
		endSpan()
		if err != nil {
			return err
		}
	}
	if err := d.Tasks.DeleteDetached(ctx, id, cgroupPath); err != nil {
		return err
	}
	d.Procs.Forget(id)
	return nil
}

// Adopt reads the pause's process from libcontainer's state.
func (d DetachedPauses) Adopt(id string) (proc.ID, error) { return d.Tasks.InitProcess(id) }

// pauseOf returns the pause process recorded with sb.
func pauseOf(sb store.Sandbox) proc.ID {
	return proc.ID{PID: sb.PausePID, StartTime: sb.PauseStartTime}
}
