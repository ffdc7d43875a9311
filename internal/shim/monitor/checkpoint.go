package monitor

import (
	"bufio"
	"context"
	"errors"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/opencontainers/runc/libcontainer"

	"github.com/skiffrt/skiff/internal/log"
	"github.com/skiffrt/skiff/internal/shim/api"
)

// evCheckpoint is Checkpoint: a dump with CRIU that leaves the
// container running.
const evCheckpoint event = "checkpoint"

// criuLogErrors bounds the lines of CRIU's log that a failure quotes.
const criuLogErrors = 3

// checkpoint dumps the running container with CRIU into req.ImagesDir
// and leaves it running, as kubelet's forensic checkpoints want
// (libcontainer's Checkpoint, as "runc checkpoint --leave-running"):
// established TCP connections, file locks and unix sockets connected
// outside the container are dumped rather than refused. A connection
// still in a listening socket's queue, not yet accepted (a kubelet probe
// racing the dump, say), is left out: the process never saw it, and its
// client retries. No request changes the container meanwhile (kill, exec
// and update wait), so the dump ends with ctx: when skiffd hangs up (its
// CRI call's timeout passed, or its client went away), CRIU is killed and
// the container let go.
func (c *container) checkpoint(ctx context.Context, req *api.CheckpointRequest) error {
	if !filepath.IsAbs(req.ImagesDir) || !filepath.IsAbs(req.WorkDir) {
		return api.Errorf(api.CodeInvalidArgument, "checkpoint: images and work directories must be absolute, got %q and %q", req.ImagesDir, req.WorkDir)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, err := transition(c.status, evCheckpoint); err != nil {
		return err
	}
	if err := useCRIU(req.CRIU); err != nil {
		return err
	}
	opts := &libcontainer.CriuOpts{
		ImagesDirectory:         req.ImagesDir,
		WorkDirectory:           req.WorkDir,
		LeaveRunning:            true,
		TcpEstablished:          true,
		TcpSkipInFlight:         true,
		FileLocks:               true,
		ExternalUnixConnections: true,
	}
	lc, err := c.libcontainer()
	if err != nil {
		return err
	}
	return c.dump(ctx, lc, opts, req.CRIU)
}

// dump runs CRIU's dump through libcontainer. CRIU runs as the shim's
// child, so the reaper leaves it to libcontainer. CRIU can wait forever:
// it freezes the container's cgroup before it seizes each task with
// ptrace, and on the kernels measured a task stopped by SIGSTOP can only
// be seized once it runs, which a frozen task never does. When ctx ends
// first, dump kills CRIU, which lets go of the tasks it seized, and thaws
// the container unless it was paused before (a pod checkpoint pauses its
// containers, and resumes them itself).
func (c *container) dump(ctx context.Context, lc *libcontainer.Container, opts *libcontainer.CriuOpts, criu string) error {
	st, err := lc.Status()
	wasPaused := err == nil && st == libcontainer.Paused
	stop := context.AfterFunc(ctx, func() { killChildren(criuBinary(criu)) })
	err = c.reaper.hold(func() error { return lc.Checkpoint(opts) })
	abandoned := !stop()
	switch {
	case err == nil:
		return nil
	case !abandoned:
		return criuError("checkpoint", err, filepath.Join(opts.WorkDirectory, "dump.log"))
	}
	if !wasPaused {
		if err := lc.Resume(); err != nil && !errors.Is(err, libcontainer.ErrNotPaused) {
			slog.Warn("thaw after an abandoned checkpoint", log.KeyError, err)
		}
	}
	return api.Errorf(api.CodeUnavailable, "checkpoint abandoned, CRIU killed: %v (CRIU's log: %s)", context.Cause(ctx), filepath.Join(opts.WorkDirectory, "dump.log"))
}

// criuBinary is the criu libcontainer runs: path, or criu from PATH.
func criuBinary(path string) string {
	if path != "" {
		return path
	}
	if p, err := exec.LookPath("criu"); err == nil {
		return p
	}
	return ""
}

// criuError reports a failed CRIU run with the first errors of its log.
func criuError(op string, err error, logPath string) error {
	msg := op + ": " + err.Error()
	if lines := logErrors(logPath); len(lines) > 0 {
		msg += ": " + strings.Join(lines, "; ")
	}
	return api.Errorf(api.CodeInternal, "%s (CRIU's log: %s)", msg, logPath)
}

// logErrors returns the first "Error" lines of a CRIU log.
func logErrors(path string) []string {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	var lines []string
	s := bufio.NewScanner(f)
	for s.Scan() && len(lines) < criuLogErrors {
		if _, after, ok := strings.Cut(s.Text(), "Error "); ok {
			lines = append(lines, strings.TrimSpace(after))
		}
	}
	return lines
}
