package sandbox

import (
	"context"

	"github.com/skiffrt/skiff/internal/store"
)

// Get returns the pod whose ID is id or starts with it, its state checked
// against the kernel: a ready pod whose pause container or network
// namespace is gone is reported (and recorded) not ready.
func (m *Manager) Get(ctx context.Context, id string) (store.Sandbox, error) {
	sb, err := m.sandboxes.Get(id)
	if err != nil {
		return sb, err
	}
	return m.check(ctx, sb), nil
}

// List returns the pods keep selects, checked as Get does.
func (m *Manager) List(ctx context.Context, keep func(store.Sandbox) bool) []store.Sandbox {
	list := m.sandboxes.List(keep)
	for i, sb := range list {
		list[i] = m.check(ctx, sb)
	}
	return list
}

// check marks a ready pod not ready when its pause has exited or its
// netns is gone.
func (m *Manager) check(ctx context.Context, sb store.Sandbox) store.Sandbox {
	if sb.State != store.SandboxReady {
		return sb
	}
	_, exitErr := m.tasks.Exit(sb.ID)
	if exitErr == nil || (sb.NetNS != "" && !m.kernel.NetNSExists(sb.NetNS)) {
		if next, err := m.sandboxes.Update(sb.ID, func(s store.Sandbox) (store.Sandbox, error) {
			s.State = store.SandboxNotReady
			return s, nil
		}); err == nil {
			return next
		}
	}
	return sb
}

// Recover checks every pod after a restart: a ready pod whose pause shim
// is gone is not ready any more.
func (m *Manager) Recover(ctx context.Context) {
	for _, sb := range m.sandboxes.List(nil) {
		if sb.State != store.SandboxReady {
			continue
		}
		if _, err := m.tasks.State(ctx, sb.ID); err != nil {
			m.sandboxes.Update(sb.ID, func(s store.Sandbox) (store.Sandbox, error) {
				s.State = store.SandboxNotReady
				return s, nil
			})
		}
	}
}
