package container

import (
	"context"
	"fmt"
	"time"

	"github.com/skiffrt/skiff/internal/errdefs"
	"github.com/skiffrt/skiff/internal/log"
	"github.com/skiffrt/skiff/internal/store"
)

// Start runs a created container; one made from a checkpoint has its
// processes restored.
func (m *Manager) Start(ctx context.Context, id string) error {
	c, err := m.hold(ctx, id)
	if err != nil {
		return err
	}
	defer c.release()
	if _, err := c.To(store.ContainerRunning); err != nil {
		return err
	}
	ctx = log.WithAttrs(ctx, log.KeyContainerID, c.ID)
	pid, startedAt := c.Pid, time.Time{}
	if c.Restore {
		pid, startedAt, err = m.restore(ctx, c.Container)
	} else {
		startedAt, err = m.tasks.Start(ctx, c.ID)
	}
	if err != nil {
		return fmt.Errorf("start container %s: %w", c.ID, err)
	}
	if _, err := m.containers.Update(c.ID, func(c store.Container) (store.Container, error) {
		c, err := c.To(store.ContainerRunning)
		c.StartedAt, c.Pid, c.Restore = startedAt, pid, false
		return c, err
	}); err != nil {
		return err
	}
	if c.Restore {
		m.forgetCheckpoint(ctx, c.ID)
	}
	go m.watch(context.WithoutCancel(ctx), c.ID)
	return nil
}

// watch waits for container id to exit and records the exit.
func (m *Manager) watch(ctx context.Context, id string) {
	e, err := m.tasks.Wait(ctx, id)
	if err != nil {
		if errdefs.IsNotFound(err) {
			return // Removed meanwhile.
		}
		log.G(ctx).Warn("lost track of container", log.KeyError, err)
		return
	}
	if _, err := m.recordExit(id, e); err != nil && !errdefs.IsNotFound(err) {
		log.G(ctx).Warn("record container exit", log.KeyError, err)
	}
}
