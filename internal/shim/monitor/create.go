package monitor

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"os/exec"

	"golang.org/x/sys/unix"

	"github.com/skiffrt/skiff/internal/log"
	"github.com/skiffrt/skiff/internal/shim/api"
)

// createInit has the helper verb create (a child "skiff-shim create")
// make the container and its init, paused before exec, with the
// container's stdio or console socket passed as inherited descriptors.
// The helper replies with the init's pid, its cgroups and its exec fifo,
// and exits; the init, its child, is re-parented to the shim (a child
// subreaper). The whole run holds the reaper off and the init's pid is
// watched before it is let go, so that an init that dies at once is
// reaped with its status handed over, not lost.
//
// This is one more launch of the shim binary per container (the
// helper), traded for a long-lived shim that never ran libcontainer.
func (c *container) createInit() (int, <-chan unix.WaitStatus, error) {
	o := api.HelperOptions{Verb: api.VerbCreate, ID: c.id, StateRoot: c.stateRoot, Bundle: c.bundle, SeccompCache: c.seccompCache}
	var files []*os.File
	pass := func(f *os.File) int {
		if f == nil {
			return 0
		}
		files = append(files, f)
		return 2 + len(files) // ExtraFiles start at fd 3
	}
	child := c.stdio.io.child
	o.StdinFd, o.StdoutFd, o.StderrFd = pass(child.stdin), pass(child.stdout), pass(child.stderr)
	o.ConsoleSocketFd = pass(child.consoleSocket)
	var rep *api.Reply
	pid, exited, err := c.reaper.spawn(func() (int, error) {
		var err error
		rep, err = runHelper(o, files)
		if err != nil {
			return 0, err
		}
		c.openPidfd(rep.Pid)
		return rep.Pid, nil
	})
	if err != nil {
		// The helper removes what it made when it fails; one that died
		// before replying may have left the container behind.
		o.Verb, o.Force = api.VerbDelete, true
		if _, derr := destroy(o); derr != nil && api.AsError(derr).Code != api.CodeNotFound {
			slog.Error("remove the container after a failed create", log.KeyError, derr)
		}
		return 0, nil, err
	}
	c.execFifo, c.cgroups = rep.ExecFifo, rep.CgroupPaths
	return pid, exited, nil
}

// runHelper runs the helper verb o as a child of the shim, with files as
// its descriptors 3 and up and its log on the shim's, waits for it and
// returns its reply. The caller holds the reaper off.
func runHelper(o api.HelperOptions, files []*os.File) (*api.Reply, error) {
	// /proc/self/exe: the very binary that runs now, even if the file
	// has been replaced since.
	cmd := exec.Command("/proc/self/exe", o.Args()...)
	cmd.Args[0] = Name
	cmd.Stderr = os.Stderr
	cmd.ExtraFiles = files
	var out bytes.Buffer
	cmd.Stdout = &out
	werr := cmd.Run()
	var rep api.Reply
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		return nil, fmt.Errorf("skiff-shim %s: no reply (%v): %v", o.Verb, werr, err)
	}
	if rep.Error != nil {
		return nil, rep.Error
	}
	if werr != nil || rep.Pid <= 0 {
		return nil, fmt.Errorf("skiff-shim %s: %v, reply %+v", o.Verb, werr, rep)
	}
	return &rep, nil
}
