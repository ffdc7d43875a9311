package monitor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"sync"
	"time"

	"github.com/opencontainers/cgroups"
	"github.com/opencontainers/cgroups/fs"
	"github.com/opencontainers/cgroups/fs2"
	"github.com/opencontainers/runc/libcontainer"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/skiffrt/skiff/internal/log"
	"github.com/skiffrt/skiff/internal/shim/api"
)

// logDrainGrace bounds how long the shim waits, after the container's
// exit and destruction, for its output pipes to reach EOF (a process that
// escaped the cgroup may still hold them).
const logDrainGrace = 2 * time.Second

// container is the one container a shim owns. Its status changes only
// through transition (state.go): created → running → stopped, or created
// → stopped. It is safe for concurrent use; the fields above mu are set
// once by newContainer and startInit.
type container struct {
	id       string
	lc       *libcontainer.Container
	spec     *specs.Spec
	reaper   *reaper
	log      *logFile
	stdio    *stdio
	exitFile string
	cgroups  map[string]string // the container's cgroup paths, by controller
	init     *libcontainer.Process
	restore  *restoring // set by restoreFrom: the init is restored, not created

	mu        sync.Mutex // guards the fields below; held across libcontainer's Exec and Signal
	status    api.Status
	pid       int
	createdAt time.Time
	startedAt time.Time
	exit      *api.Exit // set once the exit is recorded

	done chan struct{} // closed once exit is set
}

// newContainer loads the bundle's spec and creates the libcontainer
// container (its state directory; no process yet). The working directory
// must be the bundle.
func newContainer(opts api.Options, r *reaper) (*container, error) {
	spec, err := loadSpec(opts.Bundle)
	if err != nil {
		return nil, err
	}
	cfg, err := libcontainerConfig(opts.ID, spec)
	if err != nil {
		return nil, err
	}
	lc, err := libcontainer.Create(opts.StateRoot, opts.ID, cfg)
	if err != nil {
		return nil, classify("create container", err)
	}
	return &container{
		id: opts.ID, lc: lc, spec: spec, reaper: r, exitFile: opts.ExitFile,
		status: api.StatusCreated, done: make(chan struct{}),
	}, nil
}

// startInit opens the log file and starts the container's process,
// paused before it execs the user's program (libcontainer's create), with
// its stdio held by the shim: pipes, or a pty for a terminal, whose
// output is copied into the CRI log. A goroutine then waits for the
// exit, records it and closes c.done.
func (c *container) startInit(opts api.Options) (err error) {
	if c.log, err = openLogFile(opts.LogPath); err != nil {
		return fmt.Errorf("open container log: %w", err)
	}
	tty := c.spec.Process.Terminal
	if c.stdio, err = newStdio(tty, opts.Stdin, opts.StdinOnce); err != nil {
		c.log.close()
		return err
	}
	defer func() {
		if err != nil {
			c.stdio.io.close()
			c.log.close()
		}
	}()
	p := newProcess(c.spec.Process)
	p.Init = true
	c.stdio.io.child.apply(p)
	pid, exited, err := c.reaper.spawn(func() (int, error) {
		if err := c.createProcess(p); err != nil {
			return 0, err
		}
		return p.Pid()
	})
	if err != nil {
		return classify("create container process", err)
	}
	c.init, c.pid, c.createdAt = p, pid, time.Now()
	if st, err := c.lc.State(); err == nil {
		c.cgroups = st.CgroupPaths
	}
	if err := c.stdio.start(c.log, opts.Stdin); err != nil {
		c.reaper.hold(func() error { return c.lc.Signal(unix.SIGKILL) })
		<-exited
		return fmt.Errorf("container console: %w", err)
	}
	go c.waitExit(exited)
	return nil
}

func closeAll(files []*os.File) {
	for _, f := range files {
		f.Close()
	}
}

// waitExit waits for the container's process to exit, destroys the
// container (its cgroups, leftover processes and state directory), lets
// the output copiers finish and the attachments end, records the exit in
// the exit file and closes c.done.
func (c *container) waitExit(exited <-chan unix.WaitStatus) {
	ws := <-exited
	finished := time.Now()
	c.mu.Lock()
	c.status, _ = transition(c.status, evExit) // allowed from created and running
	started := c.startedAt
	c.mu.Unlock()
	_, _ = c.init.Wait() // releases the process; the reaper has its status
	oom := c.oomKilled()
	if err := c.reaper.hold(c.lc.Destroy); err != nil {
		slog.Error("destroy container", log.KeyError, err)
	}
	c.stdio.drain(logDrainGrace)
	c.log.close()
	code, sig := exitCode(ws)
	e := &api.Exit{
		Pid: c.pid, ExitCode: code, Signal: sig, StartedAt: started, FinishedAt: finished,
		OOMKilled: oom, Reason: reason(code, oom),
	}
	if err := api.WriteExit(c.exitFile, e); err != nil {
		slog.Error("record exit", log.KeyError, err)
	}
	slog.Info("container exited", "exit_code", code, "signal", sig, "oom_killed", oom)
	c.mu.Lock()
	c.exit = e
	c.mu.Unlock()
	close(c.done)
}

func reason(code int, oom bool) string {
	switch {
	case oom:
		return api.ReasonOOMKilled
	case code == 0:
		return api.ReasonCompleted
	}
	return api.ReasonError
}

// oomKilled reports whether the kernel OOM-killed a process of the
// container, from the memory cgroup's oom_kill counter: memory.oom_control
// on cgroup v1 (the memory controller of a hybrid host), memory.events on
// v2. It must run before the cgroup is destroyed.
func (c *container) oomKilled() bool {
	var (
		n   uint64
		err error
	)
	if p, ok := c.cgroups["memory"]; ok {
		n, err = fs.OOMKillCount(p)
	} else if p, ok := c.cgroups[""]; ok && cgroups.IsCgroup2UnifiedMode() {
		n, err = fs2.OOMKillCount(p)
	}
	if err != nil {
		slog.Warn("read OOM kill count", log.KeyError, err)
	}
	return n > 0
}

// state returns the container's State.
func (c *container) state() *api.State {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stateLocked()
}

func (c *container) stateLocked() *api.State {
	return &api.State{
		ID: c.id, Status: c.status, Pid: c.pid, ShimPid: os.Getpid(),
		CreatedAt: c.createdAt, StartedAt: c.startedAt, Exit: c.exit,
		Goroutines: runtime.NumGoroutine(),
	}
}

// start lets the created process exec the user's program.
func (c *container) start() (*api.State, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	next, err := transition(c.status, evStart)
	if err != nil {
		return nil, err
	}
	if err := c.lc.Exec(); err != nil {
		return nil, classify("start container", err)
	}
	c.status, c.startedAt = next, time.Now()
	return c.stateLocked(), nil
}

// kill sends sig to the container's process or, with all, to every
// process in its cgroup.
func (c *container) kill(sig unix.Signal, all bool) error {
	if sig <= 0 || sig > maxSignal {
		return api.Errorf(api.CodeInvalidArgument, "bad signal %d", sig)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.killLocked(sig, all)
}

func (c *container) killLocked(sig unix.Signal, all bool) error {
	if _, err := transition(c.status, evKill); err != nil {
		return err
	}
	// The init first: killing the others first could end it, and the
	// answer would be "not found".
	err := c.lc.Signal(sig)
	if errors.Is(err, libcontainer.ErrNotRunning) || errors.Is(err, os.ErrProcessDone) {
		return api.Errorf(api.CodeNotFound, "container process has exited")
	}
	if err != nil {
		return classify("signal container", err)
	}
	if all {
		pids, _ := c.lc.Processes()
		for _, pid := range pids {
			if err := unix.Kill(pid, sig); err != nil && err != unix.ESRCH {
				slog.Warn("kill", "pid", pid, log.KeyError, err)
			}
		}
	}
	return nil
}

// wait returns the exit once it is recorded.
func (c *container) wait(ctx context.Context) (*api.Exit, error) {
	select {
	case <-c.done:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.exit, nil
}

// shutdown kills a created container and waits until the exit is
// recorded; the shim exits after answering. A running container is
// refused: it is stopped with Kill.
func (c *container) shutdown(ctx context.Context) (*api.Exit, error) {
	c.mu.Lock()
	if _, err := transition(c.status, evShutdown); err != nil {
		c.mu.Unlock()
		return nil, err // running: stopped with Kill
	}
	if c.status == api.StatusCreated {
		if err := c.killLocked(unix.SIGKILL, true); err != nil && api.AsError(err).Code != api.CodeNotFound {
			c.mu.Unlock()
			return nil, err
		}
	}
	c.mu.Unlock()
	return c.wait(ctx)
}

// maxSignal is the highest signal number (SIGRTMAX on Linux).
const maxSignal = 64
