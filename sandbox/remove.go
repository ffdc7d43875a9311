package sandbox

import (
	"context"
	"fmt"
	"os"

	"github.com/skiffrt/skiff/internal/errdefs"
	"github.com/skiffrt/skiff/internal/log"
)

// Remove stops a pod, removes its containers and everything it left. It
// is idempotent.
func (m *Manager) Remove(ctx context.Context, id string) error {
	sb, ok, err := errdefs.Found(m.hold(ctx, id))
	if !ok {
		return err
	}
	defer sb.release()
	if err := m.stop(ctx, sb.Sandbox); err != nil {
		return err
	}
	if err := m.containers.RemoveAll(ctx, sb.ID); err != nil {
		return fmt.Errorf("remove containers of pod %s: %w", sb.ID, err)
	}
	if err := m.removePauseImageDir(sb.ID); err != nil {
		return err
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
