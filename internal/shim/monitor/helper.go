package monitor

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/opencontainers/runc/libcontainer"
	"github.com/opencontainers/runc/libcontainer/configs"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/skiffrt/skiff/internal/log"
	"github.com/skiffrt/skiff/internal/shim/api"
)

// The helper verbs (api.HelperOptions): one libcontainer operation each,
// in a process that exits right after. They are here, beside the
// long-lived shim, because they share its spec conversion; a monitor
// without libcontainer would call them as commands.

// stopTimeout bounds how long delete --force waits for a killed
// container's init to exit.
const stopTimeout = 10 * time.Second

// Helper runs the verb of o and returns its Reply.
func Helper(o api.HelperOptions) (*api.Reply, error) {
	switch o.Verb {
	case api.VerbCreate:
		return create(o)
	case api.VerbKill:
		return kill(o)
	case api.VerbDelete:
		return destroy(o)
	}
	return nil, api.Errorf(api.CodeInvalidArgument, "unknown verb %q", o.Verb)
}

// create makes the container from the bundle's spec with its init paused
// before exec and, detached, starts it. The init is this process's
// child, with the stdio or console socket that o passes (else
// /dev/null); it is re-parented when this process exits. A failure
// removes what was made.
func create(o api.HelperOptions) (_ *api.Reply, err error) {
	if err := os.Chdir(o.Bundle); err != nil { // the spec's relative paths
		return nil, api.Errorf(api.CodeInvalidArgument, "bundle: %v", err)
	}
	spec, err := loadSpec(o.Bundle)
	if err != nil {
		return nil, err
	}
	cfg, err := libcontainerConfig(o.ID, spec)
	if err != nil {
		return nil, err
	}
	lc, err := libcontainer.Create(o.StateRoot, o.ID, cfg)
	if err != nil {
		return nil, classify("create container", err)
	}
	p := newProcess(spec.Process)
	p.Init = true
	inheritedIO(o).apply(p)
	if err := lc.Start(p); err != nil {
		_ = lc.Destroy()
		return nil, classify("create container process", err)
	}
	defer func() {
		if err != nil {
			_ = lc.Signal(unix.SIGKILL)
			_, _ = p.Wait()
			_ = lc.Destroy()
		}
	}()
	rep := &api.Reply{ID: o.ID, Status: api.StatusCreated}
	if o.Detached {
		if err := lc.Exec(); err != nil {
			return nil, classify("start container", err)
		}
		rep.Status = api.StatusRunning
	} else {
		rep.ExecFifo = filepath.Join(o.StateRoot, o.ID, "exec.fifo")
	}
	st, err := lc.State()
	if err != nil {
		return nil, classify("container state", err)
	}
	rep.Pid, rep.StartTime, rep.CgroupPaths = st.InitProcessPid, st.InitProcessStartTime, st.CgroupPaths
	storeExecProfile(o, cfg, spec.Process, st.CgroupPaths)
	return rep, nil
}

// storeExecProfile stores the container's exec profile in its state
// directory, or logs why its execs go through libcontainer: a container
// without a profile is served all the same. A seccomp program comes
// from the cache in o.SeccompCache, exported by this binary.
func storeExecProfile(o api.HelperOptions, cfg *configs.Config, p *specs.Process, cgroupPaths map[string]string) {
	bpf := func(sc *configs.Seccomp) ([]byte, error) {
		self, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("seccomp export: %w", err)
		}
		return newSeccompCache(o.SeccompCache, self).program(sc)
	}
	dir := filepath.Join(o.StateRoot, o.ID)
	pr, why := newExecProfile(o.ID, cfg, p, cgroupPaths, bpf)
	if pr == nil {
		slog.Info("exec: through libcontainer", "reason", why)
		return
	}
	if err := writeExecProfile(dir, pr); err != nil {
		slog.Warn("exec: through libcontainer", log.KeyError, err)
	}
}

// kill signals the container's init or, with All, every process of its
// cgroup. An init that has exited is CodeNotFound.
func kill(o api.HelperOptions) (*api.Reply, error) {
	lc, err := load(o)
	if err != nil {
		return nil, err
	}
	sig := unix.Signal(o.Signal)
	if err := lc.Signal(sig); err != nil {
		if errors.Is(err, libcontainer.ErrNotRunning) || errors.Is(err, os.ErrProcessDone) {
			return nil, api.Errorf(api.CodeNotFound, "container %s: its process has exited", o.ID)
		}
		return nil, classify("signal container", err)
	}
	if o.All {
		pids, _ := lc.Processes()
		for _, pid := range pids {
			_ = unix.Kill(pid, sig) // gone meanwhile: fine
		}
	}
	return state(lc)
}

// destroy removes a stopped container: its cgroups (with any process
// left in them), its state directory. With Force a live one is killed
// first and waited for; without, it is CodeFailedPrecondition.
func destroy(o api.HelperOptions) (*api.Reply, error) {
	lc, err := load(o)
	if err != nil {
		return nil, err
	}
	if st, _ := lc.Status(); st == libcontainer.Running || st == libcontainer.Paused {
		if !o.Force {
			return nil, api.Errorf(api.CodeFailedPrecondition, "container %s is %s: delete --force kills it", o.ID, st)
		}
		if err := stopInit(lc); err != nil {
			return nil, err
		}
	}
	if err := lc.Destroy(); err != nil {
		return nil, classify("destroy container", err)
	}
	return &api.Reply{ID: o.ID, Status: api.StatusStopped}, nil
}

// stopInit SIGKILLs the container's init and waits until it has exited:
// its parent may not have reaped it yet, which libcontainer counts as
// stopped.
func stopInit(lc *libcontainer.Container) error {
	if err := lc.Signal(unix.SIGKILL); err != nil && !errors.Is(err, libcontainer.ErrNotRunning) {
		return classify("kill container", err)
	}
	for deadline := time.Now().Add(stopTimeout); ; time.Sleep(5 * time.Millisecond) {
		st, err := lc.Status()
		if err != nil || st == libcontainer.Stopped {
			return nil
		}
		if time.Now().After(deadline) {
			return api.Errorf(api.CodeUnavailable, "container %s: its process did not exit %v after SIGKILL", lc.ID(), stopTimeout)
		}
	}
}

// load opens the container's libcontainer state; a missing one is
// CodeNotFound.
func load(o api.HelperOptions) (*libcontainer.Container, error) {
	lc, err := libcontainer.Load(o.StateRoot, o.ID)
	if errors.Is(err, libcontainer.ErrNotExist) {
		return nil, api.Errorf(api.CodeNotFound, "container %s does not exist", o.ID)
	}
	if err != nil {
		return nil, classify("load container", err)
	}
	return lc, nil
}

// state is the Reply describing lc.
func state(lc *libcontainer.Container) (*api.Reply, error) {
	st, err := lc.State()
	if err != nil {
		return nil, classify("container state", err)
	}
	status := api.StatusRunning
	switch s, _ := lc.Status(); s {
	case libcontainer.Created:
		status = api.StatusCreated
	case libcontainer.Stopped:
		status = api.StatusStopped
	}
	return &api.Reply{
		ID: lc.ID(), Status: status, Pid: st.InitProcessPid, StartTime: st.InitProcessStartTime,
		CgroupPaths: st.CgroupPaths,
	}, nil
}

// inheritedIO returns the descriptors that o passes as the init's stdio.
// They are made close-on-exec here, so that only the init gets them (as
// its stdio), not the processes libcontainer runs on the way.
func inheritedIO(o api.HelperOptions) childIO {
	file := func(fd int, name string) *os.File {
		if fd == 0 {
			return nil
		}
		unix.CloseOnExec(fd)
		return os.NewFile(uintptr(fd), name)
	}
	return childIO{
		stdin: file(o.StdinFd, "stdin"), stdout: file(o.StdoutFd, "stdout"),
		stderr: file(o.StderrFd, "stderr"), consoleSocket: file(o.ConsoleSocketFd, "console-socket"),
	}
}
