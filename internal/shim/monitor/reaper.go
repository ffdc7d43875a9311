package monitor

import (
	"os"
	"os/signal"
	"sync"

	"golang.org/x/sys/unix"
)

// reaper is the shim's only caller of wait4(-1): as child subreaper the
// shim inherits orphans (from containers without their own pid namespace)
// and reaps them with its own children, handing the status of watched
// pids to their watchers.
//
// libcontainer waits for its helper processes itself (the nsexec stages,
// hooks) inside Container.Start, Run and Destroy. Those calls go through
// spawn or hold, which keep the reaper off while they run, so that no
// helper is reaped from under libcontainer. Watched processes are reaped
// here only: their libcontainer Process.Wait then fails with ECHILD, which
// is harmless (the pidfd it holds cannot reach a recycled pid).
type reaper struct {
	// mu is held while reaping and while libcontainer forks or waits;
	// it guards watch.
	mu    sync.Mutex
	watch map[int]chan unix.WaitStatus
}

// newReaper makes the shim a child subreaper and starts reaping on
// SIGCHLD.
func newReaper() (*reaper, error) {
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		return nil, os.NewSyscallError("prctl(PR_SET_CHILD_SUBREAPER)", err)
	}
	r := &reaper{watch: map[int]chan unix.WaitStatus{}}
	sigs := make(chan os.Signal, 1) // a pending signal is enough: reap loops until no zombie is left
	signal.Notify(sigs, unix.SIGCHLD)
	go func() {
		for range sigs {
			r.reap()
		}
	}()
	return r, nil
}

func (r *reaper) reap() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for {
		var ws unix.WaitStatus
		pid, err := unix.Wait4(-1, &ws, unix.WNOHANG, nil)
		if err == unix.EINTR {
			continue
		}
		if err != nil || pid <= 0 {
			return
		}
		if c, ok := r.watch[pid]; ok {
			c <- ws
			delete(r.watch, pid)
		}
	}
}

// spawn runs start, which forks and returns the pid to watch, with the
// reaper held off, and returns the pid and the channel that gets its
// status.
func (r *reaper) spawn(start func() (int, error)) (int, <-chan unix.WaitStatus, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	pid, err := start()
	if err != nil {
		return 0, nil, err
	}
	c := make(chan unix.WaitStatus, 1)
	r.watch[pid] = c
	return pid, c, nil
}

// hold runs fn with the reaper held off, for libcontainer calls that may
// fork and wait (hooks).
func (r *reaper) hold(fn func() error) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return fn()
}

// exitCode returns the shell-style exit code of ws (128+signal when
// killed) and the killing signal, if any.
func exitCode(ws unix.WaitStatus) (code, sig int) {
	if ws.Signaled() {
		return 128 + int(ws.Signal()), int(ws.Signal())
	}
	return ws.ExitStatus(), 0
}
