package container

import (
	"context"
	"fmt"
	"os"

	"github.com/skiffrt/skiff/internal/errdefs"
	"github.com/skiffrt/skiff/internal/log"
	"github.com/skiffrt/skiff/internal/store"
)

// Remove removes a container, stopping it first if it runs. It is
// idempotent. The CRI log file stays, as kubelet owns it.
func (m *Manager) Remove(ctx context.Context, id string) error {
	c, ok, err := errdefs.Found(m.hold(ctx, id))
	if !ok {
		return err
	}
	defer c.release()
	ctx = log.WithAttrs(ctx, log.KeyContainerID, c.ID)
	if err := m.stop(ctx, c.Container, 0); err != nil {
		return err
	}
	if err := m.tasks.Delete(ctx, c.ID, c.TaskCgroup); err != nil {
		return err
	}
	if err := m.removeDir(c.ID); err != nil {
		return err
	}
	return m.containers.Delete(c.ID)
}

// removeDir unmounts container id's rootfs and removes its directory.
func (m *Manager) removeDir(id string) error {
	if err := m.rootfs.Unmount(m.dir(id)); err != nil {
		return fmt.Errorf("remove container %s: %w", id, err)
	}
	if err := os.RemoveAll(m.dir(id)); err != nil {
		return fmt.Errorf("remove container %s: %w", id, err)
	}
	return nil
}

// RemoveAll removes every container of pod sandboxID.
func (m *Manager) RemoveAll(ctx context.Context, sandboxID string) error {
	for _, c := range m.containers.List(func(c store.Container) bool { return c.SandboxID == sandboxID }) {
		if err := m.Remove(ctx, c.ID); err != nil {
			return err
		}
	}
	return nil
}
