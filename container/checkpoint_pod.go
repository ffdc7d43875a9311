package container

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/skiffrt/skiff/internal/checkpoint"
	"github.com/skiffrt/skiff/internal/errdefs"
	"github.com/skiffrt/skiff/internal/log"
	"github.com/skiffrt/skiff/internal/store"
)

// resumeTimeout bounds resuming the paused containers once a pod
// checkpoint is done, whatever became of its ctx.
const resumeTimeout = 10 * time.Second

// CheckpointPod writes a checkpoint of the running containers ids of
// ready pod sandboxID into dir, an existing empty directory, laid out as
// internal/checkpoint's WritePod says. Every
// container is paused before the first is captured and all are resumed
// once the last is, or on failure, or when ctx ends: one consistent cut
// of the pod, never left frozen. status gives each container's CRI
// status for its archive. On failure nothing is left in dir.
func (m *Manager) CheckpointPod(ctx context.Context, sandboxID, dir string, ids []string, status func(store.Container) *runtime.ContainerStatus) (err error) {
	if err := checkEmptyDir(dir); err != nil {
		return err
	}
	sb, err := m.pods.Get(sandboxID)
	if err != nil {
		return err
	}
	if sb.State != store.SandboxReady {
		return fmt.Errorf("%w: checkpoint: pod sandbox %s is not ready", errdefs.ErrFailedPrecondition, sb.ID)
	}
	ctrs, release, err := m.holdAll(ctx, sb.ID, ids)
	if err != nil {
		return err
	}
	defer release()
	defer func() {
		if err != nil {
			removeContents(dir)
		}
	}()
	if err := m.pauseAll(ctx, ctrs); err != nil {
		return err
	}
	defer m.resumeAll(ctx, ctrs)
	var names []string
	for _, c := range ctrs {
		name := c.Config.Msg.GetMetadata().GetName()
		if err := m.checkpoint(ctx, c, checkpoint.ArchiveOf(dir, name), status(c)); err != nil {
			return err
		}
		names = append(names, name)
	}
	return checkpoint.WritePod(dir, sb.Config.Msg, names)
}

// holdAll resolves ids, which must be distinct running containers of pod
// sandboxID with names that make file names, and takes their locks, in
// the order of their IDs.
func (m *Manager) holdAll(ctx context.Context, sandboxID string, ids []string) ([]store.Container, func(), error) {
	if len(ids) == 0 {
		return nil, nil, fmt.Errorf("%w: checkpoint: no containers", errdefs.ErrInvalidArgument)
	}
	var resolved []string
	for _, id := range ids {
		c, err := m.containers.Get(id)
		if err != nil {
			return nil, nil, err
		}
		if c.SandboxID != sandboxID {
			return nil, nil, fmt.Errorf("%w: checkpoint: container %s is not in pod sandbox %s", errdefs.ErrInvalidArgument, c.ID, sandboxID)
		}
		if name := c.Config.Msg.GetMetadata().GetName(); name != filepath.Base(name) || name == "." || name == ".." {
			return nil, nil, fmt.Errorf("%w: checkpoint: container name %q cannot name a file", errdefs.ErrInvalidArgument, name)
		}
		if slices.Contains(resolved, c.ID) {
			return nil, nil, fmt.Errorf("%w: checkpoint: container %s is listed twice", errdefs.ErrInvalidArgument, c.ID)
		}
		resolved = append(resolved, c.ID)
	}
	slices.Sort(resolved) // one lock order for every caller
	var (
		ctrs     []store.Container
		releases []func()
	)
	release := func() {
		for _, r := range releases {
			r()
		}
	}
	for _, id := range resolved {
		c, err := m.hold(ctx, id)
		if err == nil {
			releases = append(releases, c.release)
			err = checkRunning(c.Container)
		}
		if err != nil {
			release()
			return nil, nil, err
		}
		ctrs = append(ctrs, c.Container)
	}
	return ctrs, release, nil
}

// pauseAll pauses ctrs; on failure it resumes those it paused.
func (m *Manager) pauseAll(ctx context.Context, ctrs []store.Container) error {
	for i, c := range ctrs {
		if err := m.tasks.Pause(ctx, c.ID); err != nil {
			m.resumeAll(ctx, ctrs[:i])
			return fmt.Errorf("checkpoint: pause container %s: %w", c.ID, err)
		}
	}
	return nil
}

// resumeAll resumes ctrs, even when ctx has ended.
func (m *Manager) resumeAll(ctx context.Context, ctrs []store.Container) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), resumeTimeout)
	defer cancel()
	for _, c := range ctrs {
		if err := m.tasks.Resume(ctx, c.ID); err != nil {
			log.G(ctx).Error("resume a container after a pod checkpoint", log.KeyContainerID, c.ID, log.KeyError, err)
		}
	}
}

func checkEmptyDir(dir string) error {
	if !filepath.IsAbs(dir) {
		return fmt.Errorf("%w: checkpoint: output path %q is not absolute", errdefs.ErrInvalidArgument, dir)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("%w: checkpoint: output path: %v", errdefs.ErrInvalidArgument, err)
	}
	if len(entries) > 0 {
		return fmt.Errorf("%w: checkpoint: output path %s is not empty", errdefs.ErrInvalidArgument, dir)
	}
	return nil
}

// removeContents empties dir, which the caller owns and keeps.
func removeContents(dir string) {
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		os.RemoveAll(filepath.Join(dir, e.Name()))
	}
}
