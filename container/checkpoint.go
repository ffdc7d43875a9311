package container

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/skiffrt/skiff/internal/checkpoint"
	"github.com/skiffrt/skiff/internal/errdefs"
	"github.com/skiffrt/skiff/internal/log"
	"github.com/skiffrt/skiff/internal/rootfs"
	"github.com/skiffrt/skiff/internal/store"
)

// runtimeName is the runtime config.dump names.
const runtimeName = "skiff"

// Checkpoint writes the checkpoint archive of running container id at
// location, an absolute path in an existing directory, and leaves the
// container running: CRIU's images of its processes, its writable layer,
// its spec, status (the CRI status the caller gives) and log
// (internal/checkpoint says how). Stop, Remove and Update of the
// container wait until it is done.
func (m *Manager) Checkpoint(ctx context.Context, id, location string, status *runtime.ContainerStatus) error {
	if err := checkLocation(location); err != nil {
		return err
	}
	c, err := m.hold(ctx, id)
	if err != nil {
		return err
	}
	defer c.release()
	if err := checkRunning(c.Container); err != nil {
		return err
	}
	return m.checkpoint(ctx, c.Container, location, status)
}

func checkRunning(c store.Container) error {
	if c.State != store.ContainerRunning {
		return fmt.Errorf("%w: checkpoint: container %s is %s, not running", errdefs.ErrFailedPrecondition, c.ID, c.State)
	}
	return nil
}

// checkpoint writes the archive of running container c, whose lock the
// caller holds, at location.
func (m *Manager) checkpoint(ctx context.Context, c store.Container, location string, status *runtime.ContainerStatus) error {
	ctx = log.WithAttrs(ctx, log.KeyContainerID, c.ID)
	start := time.Now()
	work, err := os.MkdirTemp(m.dir(c.ID), "checkpoint-")
	if err != nil {
		return fmt.Errorf("checkpoint container %s: %w", c.ID, err)
	}
	defer os.RemoveAll(work)
	images, criuWork := filepath.Join(work, checkpoint.ImagesDir), filepath.Join(work, "criu")
	if err := m.tasks.Checkpoint(ctx, c.ID, images, criuWork); err != nil {
		return fmt.Errorf("checkpoint container %s: %w", c.ID, err)
	}
	spec, err := m.tasks.Spec(c.ID)
	if err != nil {
		return fmt.Errorf("checkpoint container %s: %w", c.ID, err)
	}
	err = checkpoint.Write(ctx, location, &checkpoint.Container{
		Config: checkpoint.Config{
			ID: c.ID, Name: c.Name, RootfsImage: c.ImageName, RootfsImageName: c.ImageName, RootfsImageRef: c.ImageRef,
			OCIRuntime: runtimeName, CreatedTime: c.CreatedAt, CheckpointedAt: start.UTC(),
		},
		Spec: spec, Status: status, ImagesDir: images, WorkDir: criuWork,
		UpperDir: filepath.Join(m.dir(c.ID), rootfs.UpperDir), LogPath: c.LogPath,
	})
	if err != nil {
		return fmt.Errorf("checkpoint container %s: %w", c.ID, err)
	}
	log.G(ctx).Info("checkpointed container", "location", location, "took", time.Since(start))
	return nil
}

// checkLocation checks that location can take an archive.
func checkLocation(location string) error {
	if !filepath.IsAbs(location) {
		return fmt.Errorf("%w: checkpoint location %q is not an absolute path", errdefs.ErrInvalidArgument, location)
	}
	if fi, err := os.Stat(filepath.Dir(location)); err != nil || !fi.IsDir() {
		return fmt.Errorf("%w: checkpoint location %s: its directory does not exist", errdefs.ErrInvalidArgument, location)
	}
	if fi, err := os.Stat(location); err == nil && fi.IsDir() {
		return fmt.Errorf("%w: checkpoint location %s is a directory", errdefs.ErrInvalidArgument, location)
	}
	return nil
}
