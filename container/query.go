package container

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/opencontainers/go-digest"

	"github.com/skiffrt/skiff/internal/errdefs"
	"github.com/skiffrt/skiff/internal/log"
	"github.com/skiffrt/skiff/internal/store"
	"github.com/skiffrt/skiff/internal/task"
	"github.com/skiffrt/skiff/oci"
)

// Get returns the container whose ID is id or starts with it, with an exit
// its shim recorded picked up.
func (m *Manager) Get(id string) (store.Container, error) {
	c, err := m.containers.Get(id)
	if err != nil {
		return c, err
	}
	return m.refresh(c), nil
}

// List returns the containers keep selects, refreshed as Get does.
func (m *Manager) List(keep func(store.Container) bool) []store.Container {
	list := m.containers.List(keep)
	for i, c := range list {
		list[i] = m.refresh(c)
	}
	return list
}

// refresh records the exit of a running container whose shim wrote one.
func (m *Manager) refresh(c store.Container) store.Container {
	if c.State != store.ContainerRunning {
		return c
	}
	e, err := m.tasks.Exit(c.ID)
	if err != nil {
		return c
	}
	if next, err := m.recordExit(c.ID, e); err == nil {
		return next
	}
	return c
}

// ExecSync runs cmd in a running container. A command that outlives
// timeout is killed and the call fails with errdefs.ErrDeadlineExceeded,
// as kubelet expects of a probe that timed out.
func (m *Manager) ExecSync(ctx context.Context, id string, cmd []string, timeout time.Duration) (*task.ExecResult, error) {
	c, err := m.running(id)
	if err != nil {
		return nil, err
	}
	if err := oci.CheckExec(cmd); err != nil {
		return nil, err
	}
	res, err := m.tasks.ExecSync(ctx, c.ID, task.ExecRequest{Cmd: cmd, Timeout: timeout})
	if err == nil && res.TimedOut {
		return nil, fmt.Errorf("%w: exec %q in container %s: killed after the %s timeout", errdefs.ErrDeadlineExceeded, cmd, c.ID, timeout)
	}
	return res, err
}

// ReopenLog makes a running container's shim reopen its log file.
func (m *Manager) ReopenLog(ctx context.Context, id string) error {
	c, err := m.running(id)
	if err != nil {
		return err
	}
	return m.tasks.ReopenLog(ctx, c.ID)
}

func (m *Manager) running(id string) (store.Container, error) {
	c, err := m.Get(id)
	if err != nil {
		return c, err
	}
	if c.State != store.ContainerRunning {
		return c, fmt.Errorf("%w: container %s is %s, not running", errdefs.ErrFailedPrecondition, c.ID, c.State)
	}
	return c, nil
}

// Recover reconnects to the shims of running containers after a restart:
// a live one is watched again; a gone one gives its exit from the exit
// file or, without one, is marked exited with reason Unknown.
func (m *Manager) Recover(ctx context.Context) {
	for _, c := range m.containers.List(nil) {
		if c.State != store.ContainerRunning && c.State != store.ContainerCreated || c.Restore {
			continue // no task: exited, or made from a checkpoint and not started
		}
		cctx := log.WithAttrs(ctx, log.KeyContainerID, c.ID)
		if _, err := m.tasks.State(cctx, c.ID); err == nil {
			if c.State == store.ContainerRunning {
				go m.watch(context.WithoutCancel(cctx), c.ID)
			}
			continue
		}
		e, err := m.tasks.Exit(c.ID)
		if errors.Is(err, errdefs.ErrNotFound) {
			e = unknownExit()
			log.G(cctx).Warn("container's shim is gone without an exit record; marking it exited, reason Unknown")
		} else if err != nil {
			log.G(cctx).Warn("read exit file", log.KeyError, err)
			continue
		}
		if _, err := m.recordExit(c.ID, e); err != nil {
			log.G(cctx).Warn("record exit", log.KeyError, err)
		}
	}
}

// ImageUser returns a container that uses image imageID, in any state:
// its rootfs is an overlay of the image's layers until it is removed.
func (m *Manager) ImageUser(imageID digest.Digest) (string, bool) {
	users := m.containers.List(func(c store.Container) bool { return c.ImageRef == imageID.String() })
	if len(users) == 0 {
		return "", false
	}
	return users[0].ID, true
}
