package monitor

import (
	"errors"

	"github.com/opencontainers/runc/libcontainer"
)

// pause freezes the running container's processes with the cgroup
// freezer (libcontainer's Pause) until resume. Its status stays
// running: only skiffd, which serializes the container's calls meanwhile,
// pauses it, for the time of a pod checkpoint.
func (c *container) pause() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, err := transition(c.status, evCheckpoint); err != nil {
		return err
	}
	lc, err := c.libcontainer()
	if err != nil {
		return err
	}
	if err := lc.Pause(); err != nil {
		return classify("pause", err)
	}
	return nil
}

// resume thaws the container; one that is not paused (or has exited
// meanwhile) is fine.
func (c *container) resume() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	lc, err := c.libcontainer()
	if err != nil {
		return err
	}
	err = lc.Resume()
	if err == nil || errors.Is(err, libcontainer.ErrNotPaused) || errors.Is(err, libcontainer.ErrNotRunning) {
		return nil
	}
	return classify("resume", err)
}
