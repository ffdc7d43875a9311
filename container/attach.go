package container

import (
	"context"
	"fmt"

	"github.com/skiffrt/skiff/internal/errdefs"
	"github.com/skiffrt/skiff/internal/task"
)

// CheckAttach checks that a client may attach to container id (or a
// unique prefix of it) with stdin and tty as asked: the container runs,
// was created with stdin if stdin is asked, and with a tty if tty is. It
// returns the container's full ID.
func (m *Manager) CheckAttach(id string, stdin, tty bool) (string, error) {
	c, err := m.running(id)
	if err != nil {
		return "", err
	}
	cfg := c.Config.Msg
	if stdin && !cfg.GetStdin() {
		return "", fmt.Errorf("%w: container %s was created without stdin: attach without it", errdefs.ErrFailedPrecondition, c.ID)
	}
	if tty && !cfg.GetTty() {
		return "", fmt.Errorf("%w: container %s was created without a tty: attach without one", errdefs.ErrFailedPrecondition, c.ID)
	}
	return c.ID, nil
}

// Attach streams a running container's own stdio on s, through its shim,
// until the container's output ends or the client leaves (see
// task.Runner.Attach). Every client attached at once gets the output.
func (m *Manager) Attach(ctx context.Context, id string, s task.Streams) error {
	full, err := m.CheckAttach(id, s.Stdin != nil, s.Tty)
	if err != nil {
		return err
	}
	return m.tasks.Attach(ctx, full, s)
}
