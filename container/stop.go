package container

import (
	"context"
	"fmt"
	"syscall"
	"time"

	"github.com/moby/sys/signal"

	"github.com/skiffrt/skiff/internal/errdefs"
	"github.com/skiffrt/skiff/internal/log"
	"github.com/skiffrt/skiff/internal/store"
	"github.com/skiffrt/skiff/internal/task"
)

// Stop stops a container: its image's stop signal (SIGTERM by default),
// then SIGKILL after timeout. Stopping an exited or unknown container is
// fine, and so is an unknown ID, as kubelet expects.
func (m *Manager) Stop(ctx context.Context, id string, timeout time.Duration) error {
	c, ok, err := errdefs.Found(m.hold(ctx, id))
	if !ok {
		return err
	}
	defer c.release()
	return m.stop(ctx, c.Container, timeout)
}

// stop stops c, whose lock the caller holds.
func (m *Manager) stop(ctx context.Context, c store.Container, timeout time.Duration) error {
	if c.State == store.ContainerExited {
		return nil
	}
	ctx = log.WithAttrs(ctx, log.KeyContainerID, c.ID)
	sig := syscall.SIGTERM
	if c.StopSignal != "" {
		if s, err := signal.ParseSignal(c.StopSignal); err == nil {
			sig = s
		} else {
			log.G(ctx).Warn("image stop signal unknown; using SIGTERM", "stop_signal", c.StopSignal)
		}
	}
	if c.State == store.ContainerCreated {
		timeout = 0 // Nothing runs yet that could shut down gracefully.
	}
	if c.Restore {
		// Made from a checkpoint and never started: it has no task.
		_, err := m.recordExit(c.ID, &task.Exit{ExitCode: 128 + int(syscall.SIGKILL), Signal: int(syscall.SIGKILL), FinishedAt: time.Now().UTC(), Reason: "Error"})
		return err
	}
	e, err := m.tasks.Stop(ctx, c.ID, sig, timeout)
	if errdefs.IsNotFound(err) {
		// The shim died without recording the exit: what is left of the
		// container goes with the task's Delete.
		log.G(ctx).Warn("container's shim is gone without an exit record; marking it exited, reason Unknown")
		e, err = unknownExit(), nil
	}
	if err != nil {
		return fmt.Errorf("stop container %s: %w", c.ID, err)
	}
	_, err = m.recordExit(c.ID, e)
	return err
}

// StopAll stops every container of pod sandboxID.
func (m *Manager) StopAll(ctx context.Context, sandboxID string) error {
	for _, c := range m.containers.List(func(c store.Container) bool { return c.SandboxID == sandboxID }) {
		if err := m.Stop(ctx, c.ID, 0); err != nil {
			return err
		}
	}
	return nil
}
