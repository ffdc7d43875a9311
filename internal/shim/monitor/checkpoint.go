package monitor

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"

	"github.com/opencontainers/runc/libcontainer"

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
// outside the container are dumped rather than refused. No request
// changes the container meanwhile: kill, exec and update wait.
func (c *container) checkpoint(req *api.CheckpointRequest) error {
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
		FileLocks:               true,
		ExternalUnixConnections: true,
	}
	// CRIU runs as the shim's child: the reaper must leave it to
	// libcontainer.
	lc, err := c.libcontainer()
	if err != nil {
		return err
	}
	if err := c.reaper.hold(func() error { return lc.Checkpoint(opts) }); err != nil {
		return criuError("checkpoint", err, filepath.Join(req.WorkDir, "dump.log"))
	}
	return nil
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
