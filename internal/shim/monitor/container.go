package monitor

import (
	"context"
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
// → stopped. It is safe for concurrent use; the fields above lcMu are set
// once by newContainer and startInit.
//
// The shim does no libcontainer work at rest: the helper verb create
// makes the container in a process of its own (create.go), start reads
// the exec fifo, signals go to the init's pidfd and kill-all to the
// processes of its cgroup. libcontainer's view of the container (lc) and
// the spec are loaded on first use, by the rarer requests (exec, update,
// pause, checkpoint) and by the destruction at exit: what they allocate
// (JSON caches, the decoded config) stays in the Go heap of a process
// that never collects while idle.
type container struct {
	id        string
	bundle    string
	stateRoot string
	// seccompCache is where the create helper keeps exported seccomp
	// programs (api.Options.SeccompCache).
	seccompCache string
	terminal     bool // the spec's process.terminal
	reaper       *reaper
	log          *logFile
	stdio        *stdio
	exitFile     string
	cgroups      map[string]string     // the container's cgroup paths, by controller
	restore      *restoring            // set by restoreFrom: the init is restored in process, not created
	initProc     *libcontainer.Process // the restored init
	exited       chan struct{}         // closed once the init has been reaped

	lcMu sync.Mutex // guards lc, spec and fast, loaded on first use
	lc   *libcontainer.Container
	spec *specs.Spec
	fast *fastExec

	mu        sync.Mutex // guards the fields below; held across start and signals
	status    api.Status
	pid       int
	pidfd     int    // the init's pidfd while it is not reaped; -1 without
	execFifo  string // the created init's exec fifo, until started
	createdAt time.Time
	startedAt time.Time
	exit      *api.Exit // set once the exit is recorded

	done chan struct{} // closed once exit is set
}

// newContainer reads what the shim needs of the bundle's spec: whether
// the process has a terminal. For a restore, it loads the spec and
// creates the libcontainer container (its state directory; no process
// yet) in process. The working directory must be the bundle.
func newContainer(opts api.Options, r *reaper) (*container, error) {
	c := &container{
		id: opts.ID, bundle: opts.Bundle, stateRoot: opts.StateRoot, seccompCache: opts.SeccompCache, reaper: r, exitFile: opts.ExitFile,
		exited: make(chan struct{}), status: api.StatusCreated, pidfd: -1, done: make(chan struct{}),
	}
	if opts.RestoreFrom == "" {
		var err error
		c.terminal, err = loadTerminal(opts.Bundle)
		return c, err
	}
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
	c.spec, c.lc, c.terminal = spec, lc, spec.Process.Terminal
	return c, nil
}

// startInit opens the log file and creates the container's process,
// paused before it execs the user's program, with its stdio held by the
// shim: pipes, or a pty for a terminal, whose output is copied into the
// CRI log. A goroutine then waits for the exit, records it and closes
// c.done.
func (c *container) startInit(opts api.Options) (err error) {
	if c.log, err = openLogFile(opts.LogPath); err != nil {
		return fmt.Errorf("open container log: %w", err)
	}
	if c.stdio, err = newStdio(c.terminal, opts.Stdin, opts.StdinOnce); err != nil {
		c.log.close()
		return err
	}
	defer func() {
		if err != nil {
			c.stdio.io.close()
			c.log.close()
		}
	}()
	var (
		pid    int
		exited <-chan unix.WaitStatus
	)
	if c.restore != nil {
		pid, exited, err = c.restoreInit()
	} else {
		pid, exited, err = c.createInit()
	}
	if err != nil {
		return err
	}
	c.pid, c.createdAt = pid, time.Now()
	if err := c.stdio.start(c.log, opts.Stdin); err != nil {
		_ = c.signalInit(unix.SIGKILL)
		<-exited
		c.closePidfd()
		return fmt.Errorf("container console: %w", err)
	}
	go c.waitExit(exited)
	return nil
}

// restoreInit restores the container's processes with libcontainer in
// process (--restore-from).
func (c *container) restoreInit() (int, <-chan unix.WaitStatus, error) {
	p := newProcess(c.spec.Process)
	p.Init = true
	c.stdio.io.child.apply(p)
	pid, exited, err := c.reaper.spawn(func() (int, error) {
		if err := c.createProcess(p); err != nil {
			return 0, err
		}
		pid, err := p.Pid()
		if err == nil {
			c.openPidfd(pid)
		}
		return pid, err
	})
	if err != nil {
		return 0, nil, classify("create container process", err)
	}
	c.initProc = p
	if st, err := c.lc.State(); err == nil {
		c.cgroups = st.CgroupPaths
	}
	return pid, exited, nil
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
	close(c.exited)
	c.mu.Lock()
	c.status, _ = transition(c.status, evExit) // allowed from created and running
	started := c.startedAt
	c.closePidfdLocked()
	c.mu.Unlock()
	if c.initProc != nil {
		_, _ = c.initProc.Wait() // releases the process; the reaper has its status
	}
	oom := c.oomKilled()
	if err := c.reaper.hold(c.destroy); err != nil {
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
	if c.execFifo == "" {
		return nil, api.Errorf(api.CodeFailedPrecondition, "start container: it has no exec fifo")
	}
	// The start time is taken before the init is let go: a program that
	// exits at once must not be recorded as finished before it started.
	at := time.Now()
	if err := awaitExecFifo(c.execFifo, c.exited); err != nil {
		return nil, err
	}
	c.execFifo = ""
	c.status, c.startedAt = next, at
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
	if err := c.signalInit(sig); err != nil {
		return err
	}
	if all {
		for _, pid := range cgroupPids(c.cgroups) {
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
