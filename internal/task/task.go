package task

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/skiffrt/skiff/internal/errdefs"
	"github.com/skiffrt/skiff/internal/log"
	"github.com/skiffrt/skiff/internal/shim/api"
)

// Runner is skiffd's one handle on its tasks: it starts them and speaks
// to their shims, addressing each task by its ID. Its fields are set once;
// it holds no other state and is safe for concurrent use.
type Runner struct {
	// ShimBinary is skiff-shim; it must not live under StateRoot.
	ShimBinary string
	// Dir holds one directory per task: bundle and exit file.
	Dir string
	// SocketDir holds the shims' sockets, apart from Dir because a unix
	// socket path is at most 107 bytes.
	SocketDir string
	// StateRoot is libcontainer's state root.
	StateRoot string
	// ShimCgroup is the cgroup each shim moves into, out of skiffd's: a
	// cgroupfs path shared by the shims, or a systemd slice (".slice") in
	// which each shim gets a scope skiff-shim-<id>.scope. Empty leaves
	// the shims where skiffd is.
	ShimCgroup string
	// CRIU is the criu binary of checkpoints and restores; "" runs criu
	// from the shims' PATH.
	CRIU string
	// SeccompCache is where the shims keep the seccomp programs they
	// export for the exec fast path, shared by all; "" caches none.
	SeccompCache string
}

// CreateOptions are the per-task choices of Create.
type CreateOptions struct {
	LogPath   string // CRI log file; "" discards the output
	Stdin     bool
	StdinOnce bool // close stdin when the first attach that streams it ends
	// RestoreFrom, when set, is a directory of CRIU images (Checkpoint's):
	// the shim restores the processes from them instead of creating the
	// container's process, and the task is running when Create returns.
	RestoreFrom string
}

func (r *Runner) dir(id string) string      { return filepath.Join(r.Dir, id) }
func (r *Runner) exitFile(id string) string { return filepath.Join(r.dir(id), "exit.json") }

// socket is the shim's socket of task id: a hash, since a unix socket
// path is at most 107 bytes.
func (r *Runner) socket(id string) string {
	sum := sha256.Sum256([]byte(id))
	return filepath.Join(r.SocketDir, hex.EncodeToString(sum[:16])+".sock")
}

func (r *Runner) client(id string) *client { return dial(r.socket(id)) }

// shimCgroup is the cgroup of task id's shim, as the shim takes it.
func (r *Runner) shimCgroup(id string) string {
	if strings.HasSuffix(r.ShimCgroup, ".slice") {
		return r.ShimCgroup + ":skiff-shim:" + id
	}
	return r.ShimCgroup
}

// Create writes the bundle of task id with spec and starts its shim, which
// creates the container with its process paused before exec (or restores
// it, running, with o.RestoreFrom). It returns the process's pid.
func (r *Runner) Create(ctx context.Context, id string, spec *specs.Spec, o CreateOptions) (int, error) {
	endSpan := log.Span(ctx, "bundle.write")
	if err := os.MkdirAll(r.SocketDir, 0o700); err != nil {
		return 0, fmt.Errorf("task %s: %w", id, err)
	}
	if err := r.writeBundle(id, spec); err != nil {
		return 0, err
	}
	endSpan()
	endSpan = log.Span(ctx, "shim.launch+create")
	defer endSpan()
	started, err := launch(ctx, r.ShimBinary, api.Options{
		ID:           id,
		Bundle:       r.dir(id),
		StateRoot:    r.StateRoot,
		LogPath:      o.LogPath,
		Socket:       r.socket(id),
		ExitFile:     r.exitFile(id),
		ShimCgroup:   r.shimCgroup(id),
		Stdin:        o.Stdin,
		StdinOnce:    o.StdinOnce,
		RestoreFrom:  o.RestoreFrom,
		CRIU:         r.CRIU,
		SeccompCache: r.SeccompCache,
	})
	if err != nil {
		return 0, err
	}
	go reap(started.ShimPid)
	return started.Pid, nil
}

// reap collects the exit of a shim that was re-parented to this process,
// a child subreaper (see BecomeSubreaper), so that it does not linger as a
// zombie on hosts whose init does not reap orphans. It waits for that one
// pid only, never racing os/exec's waits for other children.
func reap(pid int) {
	for {
		_, err := unix.Wait4(pid, nil, 0, nil)
		if err != unix.EINTR {
			return // Reaped, or not our child (ECHILD): init reaps it.
		}
	}
}

// BecomeSubreaper makes this process the child subreaper of the shims it
// starts: a shim's launcher exits at once, and the shim is re-parented to
// skiffd rather than to init, so that skiffd can reap it. After a skiffd
// restart, shims of the old process belong to init.
func BecomeSubreaper() error {
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("become child subreaper: %w", err)
	}
	return nil
}

// Start runs the created process and returns when it started.
func (r *Runner) Start(ctx context.Context, id string) (time.Time, error) {
	defer log.Span(ctx, "shim.start")()
	st, err := r.client(id).start(ctx)
	if err != nil {
		return time.Time{}, fmt.Errorf("start task %s: %w", id, err)
	}
	return st.StartedAt, nil
}

// State asks the shim of task id for its state.
func (r *Runner) State(ctx context.Context, id string) (*State, error) {
	return r.client(id).state(ctx)
}

// Exit returns the recorded exit of task id: errdefs.ErrNotFound when it
// has none (still running, or its shim died before recording it).
func (r *Runner) Exit(id string) (*Exit, error) {
	return readExit(r.exitFile(id))
}

// Stop ends task id: sig (SIGTERM when 0), then SIGKILL after timeout, and
// waits for the exit. A task that has already exited is fine.
func (r *Runner) Stop(ctx context.Context, id string, sig syscall.Signal, timeout time.Duration) (*Exit, error) {
	if sig == 0 {
		sig = syscall.SIGTERM
	}
	defer log.Span(ctx, "shim.stop")()
	c := r.client(id)
	if timeout > 0 {
		if err := c.kill(ctx, sig, false); err == nil {
			waitCtx, cancel := context.WithTimeout(ctx, timeout)
			e, err := r.wait(waitCtx, id)
			cancel()
			if err == nil {
				return e, nil
			}
			if ctx.Err() != nil {
				return nil, err
			}
			log.G(ctx).Info("task did not stop in time; killing it", log.KeyContainerID, id, "signal", sig, "timeout", timeout)
		} else if !exiting(err) {
			return nil, fmt.Errorf("stop task %s: %w", id, err)
		}
	}
	if err := c.kill(ctx, syscall.SIGKILL, true); err != nil && !exiting(err) {
		return nil, fmt.Errorf("kill task %s: %w", id, err)
	}
	return r.wait(ctx, id)
}

// exiting reports whether a failed call says that the task's process has
// exited (not found) or that its shim is going away (unavailable: it
// resets connections once it has recorded the exit and closes): wait
// then finds the exit, from the shim or the exit file.
func exiting(err error) bool {
	return errdefs.IsNotFound(err) || errors.Is(err, errdefs.ErrUnavailable)
}

// Wait returns the exit of task id once it has one.
func (r *Runner) Wait(ctx context.Context, id string) (*Exit, error) { return r.wait(ctx, id) }

// wait returns the exit of task id once it has one.
func (r *Runner) wait(ctx context.Context, id string) (*Exit, error) {
	e, err := r.client(id).wait(ctx)
	if err == nil {
		return e, nil
	}
	if e, ferr := r.Exit(id); ferr == nil {
		return e, nil
	}
	return nil, fmt.Errorf("wait for task %s: %w", id, err)
}

// ExecSync runs a command in task id.
func (r *Runner) ExecSync(ctx context.Context, id string, req ExecRequest) (*ExecResult, error) {
	return r.client(id).execSync(ctx, req)
}

// Update changes the cgroup limits of task id, as its shim's libcontainer
// applies them; nil fields of r keep their value. A value the kernel
// refuses is errdefs.ErrInvalidArgument and changes nothing.
func (r *Runner) Update(ctx context.Context, id string, res *specs.LinuxResources) error {
	return r.client(id).update(ctx, res)
}

// ReopenLog makes the shim of task id reopen its CRI log file.
func (r *Runner) ReopenLog(ctx context.Context, id string) error {
	return r.client(id).reopenLog(ctx)
}

// Delete removes task id, in any state: a created task's shim is shut
// down, a running one killed, then whatever libcontainer left (when the
// shim died before cleaning up) is destroyed with cgroupPath, and the
// task's directory removed. Deleting a deleted task is fine.
func (r *Runner) Delete(ctx context.Context, id, cgroupPath string) error {
	defer log.Span(ctx, "shim.delete")()
	c := r.client(id)
	if _, err := c.shutdown(ctx); errors.Is(err, errdefs.ErrFailedPrecondition) {
		if _, err := r.Stop(ctx, id, syscall.SIGKILL, 0); err != nil {
			return err
		}
	} else if err != nil && !errdefs.IsNotFound(err) && !errors.Is(err, errdefs.ErrUnavailable) {
		return fmt.Errorf("delete task %s: %w", id, err)
	}
	if err := cleanup(ctx, r.StateRoot, id, cgroupPath); err != nil {
		return fmt.Errorf("delete task %s: %w", id, err)
	}
	if err := os.RemoveAll(r.dir(id)); err != nil {
		return fmt.Errorf("delete task %s: %w", id, err)
	}
	if err := os.Remove(r.socket(id)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("delete task %s: %w", id, err)
	}
	return nil
}
