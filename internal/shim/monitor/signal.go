package monitor

import (
	"bufio"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"

	"golang.org/x/sys/unix"

	"github.com/skiffrt/skiff/internal/shim/api"
)

// signalInit sends sig to the container's init: through its pidfd, or
// by pid where the kernel gave none (the shim is the init's parent, so
// the pid is the init's until the reaper has it). An init that has
// exited is CodeNotFound. The caller holds c.mu (or is alone).
func (c *container) signalInit(sig unix.Signal) error {
	select {
	case <-c.exited:
		return api.Errorf(api.CodeNotFound, "container process has exited")
	default:
	}
	var err error
	if c.pidfd >= 0 {
		err = unix.PidfdSendSignal(c.pidfd, sig, nil, 0)
	} else {
		err = unix.Kill(c.pid, sig)
	}
	switch {
	case err == unix.ESRCH:
		return api.Errorf(api.CodeNotFound, "container process has exited")
	case err != nil:
		return api.Errorf("", "signal container: %v", os.NewSyscallError("pidfd_send_signal", err))
	}
	return nil
}

// openPidfd opens the init's pidfd. It runs with the reaper held off and
// the shim the init's parent: the pid cannot have been reaped and reused
// yet, so the pidfd names the init. Without one (an old kernel), signals
// go by pid.
func (c *container) openPidfd(pid int) {
	if fd, err := unix.PidfdOpen(pid, 0); err == nil {
		c.pidfd = fd
	}
}

func (c *container) closePidfd() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closePidfdLocked()
}

func (c *container) closePidfdLocked() {
	if c.pidfd >= 0 {
		unix.Close(c.pidfd)
		c.pidfd = -1
	}
}

// cgroupControllers are the hierarchies whose cgroup.procs cgroupPids
// reads, in order of preference: a v1 controller every container has,
// else the unified hierarchy ("").
var cgroupControllers = []string{"pids", "freezer", "devices", "memory", "cpu", ""}

// cgroupPids returns the pids in the container's cgroup and the cgroups
// below it, from their cgroup.procs files.
func cgroupPids(paths map[string]string) []int {
	var dir string
	for _, ctl := range cgroupControllers {
		if p, ok := paths[ctl]; ok {
			dir = p
			break
		}
	}
	if dir == "" {
		return nil
	}
	var pids []int
	_ = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() != "cgroup.procs" {
			return nil // a cgroup removed meanwhile: skip it
		}
		pids = append(pids, readPids(path)...)
		return nil
	})
	return pids
}

// readPids reads a cgroup.procs file: one pid a line.
func readPids(path string) []int {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	var pids []int
	s := bufio.NewScanner(f)
	for s.Scan() {
		if pid, err := strconv.Atoi(s.Text()); err == nil && pid > 0 {
			pids = append(pids, pid)
		}
	}
	return pids
}
