package sandbox

import (
	"context"
	"fmt"

	"github.com/skiffrt/skiff/internal/log"
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
	if !m.pauses.Alive(sb.ID, pauseOf(sb)) || (sb.NetNS != "" && !m.kernel.NetNSExists(sb.NetNS)) {
		if next, err := m.notReady(sb.ID); err == nil {
			return next
		}
	}
	return sb
}

// notReady records pod id as not ready.
func (m *Manager) notReady(id string) (store.Sandbox, error) {
	return m.sandboxes.Update(id, func(s store.Sandbox) (store.Sandbox, error) {
		s.State = store.SandboxNotReady
		return s, nil
	})
}

// Recover checks every ready pod after a restart, from the pause process
// recorded with it (pid and start time): a pod whose pause has exited is
// not ready any more. A pause that an older skiffd ran under a shim has
// no start time recorded: libcontainer's state has it, and the record
// gets it.
func (m *Manager) Recover(ctx context.Context) {
	for _, sb := range m.sandboxes.List(nil) {
		if sb.State != store.SandboxReady {
			continue
		}
		if sb.PauseStartTime == 0 {
			if adopted, err := m.adopt(sb); err == nil {
				sb = adopted
			} else {
				log.G(ctx).Warn("pod sandbox: no start time for its pause", log.KeySandboxID, sb.ID, log.KeyError, err)
			}
		}
		m.check(ctx, sb)
	}
}

// adopt records the start time of sb's pause, run by an older skiffd, as
// libcontainer recorded it.
func (m *Manager) adopt(sb store.Sandbox) (store.Sandbox, error) {
	p, err := m.pauses.Adopt(sb.ID)
	if err != nil {
		return sb, err
	}
	if p.PID != sb.PausePID {
		return sb, fmt.Errorf("libcontainer's state names pid %d, the pod %d", p.PID, sb.PausePID)
	}
	return m.sandboxes.Update(sb.ID, func(s store.Sandbox) (store.Sandbox, error) {
		s.PauseStartTime = p.StartTime
		return s, nil
	})
}
