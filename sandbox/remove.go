package sandbox

import (
	"context"
	"fmt"
	"os"

	"github.com/skiffrt/skiff/internal/errdefs"
	"github.com/skiffrt/skiff/internal/log"
	"github.com/skiffrt/skiff/internal/rootfs"
)

// Remove stops a pod, removes its containers and everything it left. It
// is idempotent.
func (m *Manager) Remove(ctx context.Context, id string) error {
	sb, ok, err := errdefs.Found(m.sandboxes.Get(id))
	if !ok {
		return err
	}
	if err := m.Stop(ctx, sb.ID); err != nil {
		return err
	}
	if err := m.containers.RemoveAll(ctx, sb.ID); err != nil {
		return fmt.Errorf("remove containers of pod %s: %w", sb.ID, err)
	}
	if err := m.tasks.Delete(ctx, sb.ID, sb.TaskCgroup); err != nil {
		return err
	}
	if err := rootfs.Unmount(m.pauseImageDir(sb.ID)); err != nil {
		return fmt.Errorf("unmount pause image: %w", err)
	}
	if err := os.RemoveAll(m.podDir(sb.ID)); err != nil {
		return fmt.Errorf("remove pod directory: %w", err)
	}
	if err := m.sandboxes.Delete(sb.ID); err != nil {
		return err
	}
	log.G(ctx).Info("removed pod sandbox", log.KeySandboxID, sb.ID)
	return nil
}
