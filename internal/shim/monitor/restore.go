package monitor

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/opencontainers/runc/libcontainer"

	"github.com/skiffrt/skiff/internal/shim/api"
)

// restoreWorkDir is where, in the bundle, CRIU writes restore.log.
const restoreWorkDir = "criu-restore"

// restoring is how startInit restores the container's processes.
type restoring struct {
	criu      *libcontainer.CriuOpts
	stateRoot string // libcontainer's, to load the restored container from
}

// restoreFrom makes startInit restore the container's processes from
// the CRIU images in dir, with the criu binary at criu, instead of
// creating its process: the container is then running at once.
func (c *container) restoreFrom(dir, criu, stateRoot string) error {
	if c.terminal {
		return api.Errorf(api.CodeNotImplemented, "restore: containers with a terminal are not restored")
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return api.Errorf(api.CodeInvalidArgument, "restore: no CRIU images at %s", dir)
	}
	if err := useCRIU(criu); err != nil {
		return err
	}
	work, err := filepath.Abs(restoreWorkDir)
	if err != nil {
		return err
	}
	c.restore = &restoring{stateRoot: stateRoot, criu: &libcontainer.CriuOpts{
		ImagesDirectory:         dir,
		WorkDirectory:           work,
		TcpEstablished:          true,
		FileLocks:               true,
		ExternalUnixConnections: true,
	}}
	return nil
}

// createProcess makes p the container's init, restored by libcontainer's
// Restore and running. It runs before the shim serves requests.
//
// A container that Restore returns does not know its init's start time
// (libcontainer v1.5.2 sets it on Start and Load only), so it would take
// its init for gone and refuse signals: the shim loads the container
// anew from the state Restore recorded, as runc's next command would.
func (c *container) createProcess(p *libcontainer.Process) error {
	at := time.Now() // before the process runs, as in start
	if err := c.lc.Restore(p, c.restore.criu); err != nil {
		return criuError("restore", err, filepath.Join(c.restore.criu.WorkDirectory, "restore.log"))
	}
	lc, err := libcontainer.Load(c.restore.stateRoot, c.id)
	if err != nil {
		return fmt.Errorf("load restored container: %w", err)
	}
	c.lc, c.status, c.startedAt = lc, api.StatusRunning, at
	return nil
}
