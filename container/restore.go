package container

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"google.golang.org/protobuf/proto"
	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/skiffrt/skiff/internal/checkpoint"
	"github.com/skiffrt/skiff/internal/errdefs"
	"github.com/skiffrt/skiff/internal/image"
	"github.com/skiffrt/skiff/internal/log"
	"github.com/skiffrt/skiff/internal/rootfs"
	"github.com/skiffrt/skiff/internal/store"
)

// A container made from a checkpoint archive keeps, in its directory
// until Start has restored it, the unpacked archive (restoreDir) and the
// spec it will run with (restoreSpec, in restoreDir).
const (
	restoreDir  = "restore"
	restoreSpec = "spec.json"
)

func (m *Manager) restoreDir(id string) string { return filepath.Join(m.dir(id), restoreDir) }

// unpackCheckpoint unpacks the archive at path into the new container
// id's directory and returns it, with cfg as the container will be
// created: its image the checkpointed container's, which must be here.
// When cfg names an image of its own (RestorePod), it and cfg's process
// must be the checkpointed container's. The container's directory is the
// caller's to remove on failure.
func (m *Manager) unpackCheckpoint(ctx context.Context, id string, cfg *runtime.ContainerConfig, path string) (*checkpoint.Archive, *runtime.ContainerConfig, error) {
	path = filepath.Clean(path)
	if err := os.MkdirAll(m.dir(id), 0o711); err != nil {
		return nil, nil, fmt.Errorf("container %s: %w", id, err)
	}
	a, err := checkpoint.Unpack(ctx, path, m.restoreDir(id))
	if err != nil {
		return nil, nil, err
	}
	img, err := m.checkpointImage(a.Config)
	if err != nil {
		return nil, nil, fmt.Errorf("checkpoint archive %s: %w", path, err)
	}
	if image := cfg.GetImage().GetImage(); filepath.Clean(image) != path {
		if err := m.checkExpected(cfg, a, img); err != nil {
			return nil, nil, fmt.Errorf("checkpoint archive %s: %w", path, err)
		}
	} else {
		cfg = proto.Clone(cfg).(*runtime.ContainerConfig)
		cfg.Image = &runtime.ImageSpec{Image: img.ID.String(), UserSpecifiedImage: a.Config.RootfsImageName}
	}
	log.G(ctx).Info("creating container from checkpoint", "archive", path, "checkpointed_id", a.Config.ID, log.KeyImage, img.ID)
	return a, cfg, nil
}

// checkpointImage returns the image a checkpointed container ran: by its
// ID, else by its name, which must then still name that image (the
// writable layer is a diff against it). An archive of another runtime
// may name it only.
func (m *Manager) checkpointImage(c checkpoint.Config) (*image.Image, error) {
	name := c.RootfsImageName
	if name == "" {
		name = c.RootfsImage
	}
	if c.RootfsImageRef != "" {
		img, err := m.images.Get(c.RootfsImageRef)
		if err == nil || !errdefs.IsNotFound(err) || name == "" {
			return img, err
		}
	}
	if name == "" {
		return nil, fmt.Errorf("%w: config.dump names no image", errdefs.ErrInvalidArgument)
	}
	img, err := m.images.Get(name)
	if errdefs.IsNotFound(err) {
		return nil, fmt.Errorf("%w: the checkpointed container's image %s is not here; pull it first", errdefs.ErrNotFound, name)
	}
	if err != nil {
		return nil, err
	}
	if ref := c.RootfsImageRef; ref != "" && !strings.HasSuffix(img.ID.String(), strings.TrimPrefix(ref, "sha256:")) {
		return nil, fmt.Errorf("%w: image %s is now %s, not the checkpointed container's %s", errdefs.ErrFailedPrecondition, name, img.ID, ref)
	}
	return img, nil
}

// checkExpected checks what a restore-time cfg says of the checkpointed
// process against the archive: its image, and where cfg gives them, its
// command and arguments, working directory and user. Its environment is
// not compared: kubelet adds service variables that may differ.
func (m *Manager) checkExpected(cfg *runtime.ContainerConfig, a *checkpoint.Archive, img *image.Image) error {
	name := cfg.GetMetadata().GetName()
	want, err := m.images.Get(cfg.GetImage().GetImage())
	if err != nil {
		return fmt.Errorf("container %s: image: %w", name, err)
	}
	if want.ID != img.ID {
		return fmt.Errorf("%w: container %s: image %s is %s, the checkpoint's is %s", errdefs.ErrInvalidArgument, name, cfg.GetImage().GetImage(), want.ID, img.ID)
	}
	p := a.Spec.Process
	if p == nil {
		return fmt.Errorf("%w: spec.dump has no process", errdefs.ErrInvalidArgument)
	}
	if cmd := append(slices.Clone(cfg.GetCommand()), cfg.GetArgs()...); len(cfg.GetCommand()) > 0 && !slices.Equal(cmd, p.Args) {
		return fmt.Errorf("%w: container %s: command %q, the checkpointed process ran %q", errdefs.ErrInvalidArgument, name, cmd, p.Args)
	}
	if wd := cfg.GetWorkingDir(); wd != "" && wd != p.Cwd {
		return fmt.Errorf("%w: container %s: working directory %s, the checkpointed process's is %s", errdefs.ErrInvalidArgument, name, wd, p.Cwd)
	}
	if u := cfg.GetLinux().GetSecurityContext().GetRunAsUser(); u != nil && u.GetValue() != int64(p.User.UID) {
		return fmt.Errorf("%w: container %s: user %d, the checkpointed process's is %d", errdefs.ErrInvalidArgument, name, u.GetValue(), p.User.UID)
	}
	return nil
}

// restoreRootfs writes the archive's rootfs diff as container id's
// writable layer, before its overlay is mounted.
func (m *Manager) restoreRootfs(ctx context.Context, id string, a *checkpoint.Archive) error {
	upper := filepath.Join(m.dir(id), rootfs.UpperDir)
	if err := os.Mkdir(upper, 0o755); err != nil {
		return fmt.Errorf("container %s: %w", id, err)
	}
	if err := a.ApplyRootfs(ctx, upper); err != nil {
		return fmt.Errorf("container %s: %w", id, err)
	}
	return os.Remove(filepath.Join(a.Dir, checkpoint.RootfsDiff)) // applied: no need to keep it
}

// saveRestoreSpec keeps the spec that Start restores container id with.
func (m *Manager) saveRestoreSpec(id string, spec *specs.Spec) error {
	raw, err := json.Marshal(spec)
	if err != nil {
		return fmt.Errorf("container %s: %w", id, err)
	}
	return os.WriteFile(filepath.Join(m.restoreDir(id), restoreSpec), raw, 0o600)
}

// restore starts created container c by restoring its processes from its
// checkpoint; they run when it returns. The unpacked archive is removed
// once restored.
func (m *Manager) restore(ctx context.Context, c store.Container) (pid int, startedAt time.Time, err error) {
	raw, err := os.ReadFile(filepath.Join(m.restoreDir(c.ID), restoreSpec))
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("restore container %s: %w", c.ID, err)
	}
	var spec specs.Spec
	if err := json.Unmarshal(raw, &spec); err != nil {
		return 0, time.Time{}, fmt.Errorf("restore container %s: %w", c.ID, err)
	}
	o := taskOptions(c)
	o.RestoreFrom = filepath.Join(m.restoreDir(c.ID), checkpoint.ImagesDir)
	if pid, err = m.tasks.Create(ctx, c.ID, &spec, o); err != nil {
		return 0, time.Time{}, fmt.Errorf("restore container %s: %w", c.ID, err)
	}
	return pid, time.Now().UTC(), nil
}

// forgetCheckpoint removes a restored container's unpacked archive.
func (m *Manager) forgetCheckpoint(ctx context.Context, id string) {
	if err := os.RemoveAll(m.restoreDir(id)); err != nil && !errors.Is(err, os.ErrNotExist) {
		log.G(ctx).Warn("remove the restored checkpoint", log.KeyError, err)
	}
}
