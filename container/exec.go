package container

import (
	"context"
	"fmt"

	"github.com/skiffrt/skiff/internal/errdefs"
	"github.com/skiffrt/skiff/internal/task"
)

// CheckExec checks that cmd can be exec'd in container id (or a unique
// prefix of it): the container runs and cmd is not empty. It returns
// the container's full ID.
func (m *Manager) CheckExec(id string, cmd []string) (string, error) {
	c, err := m.running(id)
	if err != nil {
		return "", err
	}
	if len(cmd) == 0 || cmd[0] == "" {
		return "", fmt.Errorf("%w: exec: command is empty", errdefs.ErrInvalidArgument)
	}
	return c.ID, nil
}

// Exec runs cmd in a running container with its stdio on s, under the
// container's shim as ExecSync does, and returns its exit code: 126 or
// 127 for a command that cannot run or is not found. When ctx ends the
// command is killed.
func (m *Manager) Exec(ctx context.Context, id string, cmd []string, s task.Streams) (int, error) {
	full, err := m.CheckExec(id, cmd)
	if err != nil {
		return 0, err
	}
	return m.tasks.Exec(ctx, full, task.ExecRequest{Cmd: cmd}, s)
}
