package container

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/skiffrt/skiff/internal/checkpoint"
	"github.com/skiffrt/skiff/internal/cleanup"
	"github.com/skiffrt/skiff/internal/errdefs"
	"github.com/skiffrt/skiff/internal/log"
	"github.com/skiffrt/skiff/internal/store"
	"github.com/skiffrt/skiff/internal/task"
	"github.com/skiffrt/skiff/oci"
	"github.com/skiffrt/skiff/sandbox"
)

// Create creates a container in pod sandboxID, its process paused before
// exec until Start, and returns its ID. An image that is an absolute path
// names a checkpoint archive: the container is made from it (restore.go)
// and Start restores its processes.
func (m *Manager) Create(ctx context.Context, sandboxID string, cfg *runtime.ContainerConfig) (string, error) {
	archive := ""
	if image := cfg.GetImage().GetImage(); checkpoint.IsArchive(image) {
		archive = image
	}
	return m.create(ctx, sandboxID, cfg, archive)
}

// Restore creates a container in pod sandboxID from the checkpoint
// archive at archive, as Create does with an archive for image, with cfg
// as its restore-time config: the image, command, arguments, working
// directory and user it gives must be the checkpointed container's.
// Start restores its processes.
func (m *Manager) Restore(ctx context.Context, sandboxID string, cfg *runtime.ContainerConfig, archive string) (string, error) {
	if !filepath.IsAbs(archive) {
		return "", fmt.Errorf("%w: checkpoint archive %q is not an absolute path", errdefs.ErrInvalidArgument, archive)
	}
	return m.create(ctx, sandboxID, cfg, archive)
}

// create creates a container, from the checkpoint archive at archive
// unless it is "".
func (m *Manager) create(ctx context.Context, sandboxID string, cfg *runtime.ContainerConfig, archive string) (string, error) {
	if err := oci.CheckContainerConfig(cfg, m.cfg.Features); err != nil {
		return "", err
	}
	sb, release, err := m.usePod(ctx, sandboxID)
	if err != nil {
		return "", err
	}
	defer release()
	podCfg := sb.Config.Msg
	name, err := Name(cfg.GetMetadata(), podCfg.GetMetadata())
	if err != nil {
		return "", err
	}
	if cfg.GetImage().GetImage() == "" {
		return "", fmt.Errorf("%w: container config: image is empty", errdefs.ErrInvalidArgument)
	}
	id := store.NewID()
	ctx = log.WithAttrs(ctx, log.KeyContainerID, id, log.KeySandboxID, sb.ID)
	cu := cleanup.Make(ctx)
	defer cu.Clean()
	var from *checkpoint.Archive
	if archive != "" {
		cu.Add("remove container directory", func(context.Context) error { return m.removeDir(id) })
		if from, cfg, err = m.unpackCheckpoint(ctx, id, cfg, archive); err != nil {
			return "", err
		}
	}
	img, err := m.images.Get(cfg.GetImage().GetImage())
	if err != nil {
		return "", fmt.Errorf("container image: %w", err)
	}
	imgCfg, err := m.imageConfig(img.ID)
	if err != nil {
		return "", err
	}
	targetPID, err := m.targetPID(sb.ID, cfg)
	if err != nil {
		return "", err
	}
	imageName, imageDigest := imageNames(img, cfg.GetImage())
	rec := store.Container{
		ID: id, Name: name, SandboxID: sb.ID, Config: store.Proto[*runtime.ContainerConfig]{Msg: cfg},
		State: store.ContainerCreated, ImageRef: img.ID.String(), ImageName: imageName, ImageRepoDigest: imageDigest,
		StopSignal: imgCfg.StopSignal, CreatedAt: time.Now().UTC(),
	}
	if rec.LogPath, err = logPath(podCfg.GetLogDirectory(), cfg.GetLogPath()); err != nil {
		return "", err
	}
	if err := m.containers.Add(rec); err != nil {
		return "", err
	}
	cu.Add("forget container", func(context.Context) error { return m.containers.Delete(id) })

	lowers, err := m.images.LayerDirs(img.ID)
	if err != nil {
		return "", err
	}
	if from != nil {
		if err := m.restoreRootfs(ctx, id, from); err != nil {
			return "", err
		}
	}
	root, err := m.rootfs.Mount(ctx, lowers, m.dir(id))
	if err != nil {
		return "", fmt.Errorf("container rootfs: %w", err)
	}
	cu.Add("unmount rootfs", func(context.Context) error { return m.removeDir(id) })

	spec, err := oci.ContainerSpec(oci.ContainerInput{
		ID: id, Config: cfg, Image: imgCfg, ImageName: rec.ImageName, RootfsPath: root,
		Sandbox:            m.sandboxOf(sb),
		CgroupManager:      m.cfg.CgroupManager,
		MinOOMScoreAdj:     m.cfg.MinOOMScoreAdj,
		SeccompProfileRoot: m.cfg.SeccompProfileRoot,
		TargetPID:          targetPID,
		Features:           m.cfg.Features,
	})
	if err != nil {
		return "", err
	}
	if rec.LogPath != "" {
		if err := os.MkdirAll(filepath.Dir(rec.LogPath), 0o755); err != nil {
			return "", fmt.Errorf("container log directory: %w", err)
		}
	}
	pid := 0
	if from != nil {
		err = m.saveRestoreSpec(id, spec)
	} else {
		pid, err = m.tasks.Create(ctx, id, spec, taskOptions(rec))
	}
	if err != nil {
		return "", err
	}
	cu.Add("delete task", func(ctx context.Context) error { return m.tasks.Delete(ctx, id, spec.Linux.CgroupsPath) })
	if _, err := m.containers.Update(id, func(c store.Container) (store.Container, error) {
		c.Pid, c.TaskCgroup, c.Restore = pid, spec.Linux.CgroupsPath, from != nil
		u := spec.Process.User
		c.User = store.User{UID: u.UID, GID: u.GID, Groups: u.AdditionalGids}
		return c, nil
	}); err != nil {
		return "", err
	}
	cu.Release()
	log.G(ctx).Info("created container", "name", name, log.KeyImage, img.ID)
	return id, nil
}

// taskOptions are the shim's options for container c.
func taskOptions(c store.Container) task.CreateOptions {
	cfg := c.Config.Msg
	return task.CreateOptions{LogPath: c.LogPath, Stdin: cfg.GetStdin(), StdinOnce: cfg.GetStdin() && cfg.GetStdinOnce()}
}

// usePod returns pod id, ready, and holds its lock shared until release:
// the pod is neither stopped nor removed while a container joins it.
func (m *Manager) usePod(ctx context.Context, id string) (store.Sandbox, func(), error) {
	sb, err := m.pods.Get(id)
	if err != nil {
		return sb, nil, err
	}
	release, err := m.locks.RLock(ctx, sb.ID)
	if err != nil {
		return sb, nil, err
	}
	sb, err = m.pods.Get(sb.ID)
	if err == nil && sb.State != store.SandboxReady {
		err = fmt.Errorf("%w: pod sandbox %s is not ready", errdefs.ErrFailedPrecondition, sb.ID)
	}
	if err != nil {
		release()
		return sb, nil, err
	}
	return sb, release, nil
}

// targetPID is, for a container in pid namespace mode TARGET (an
// ephemeral container of kubectl debug --target), the pid of the target
// container's process, whose namespace it joins: the target must run, in
// the same pod. It is 0 in the other modes.
func (m *Manager) targetPID(podID string, cfg *runtime.ContainerConfig) (int, error) {
	ns := cfg.GetLinux().GetSecurityContext().GetNamespaceOptions()
	if ns.GetPid() != runtime.NamespaceMode_TARGET || ns.GetTargetId() == "" {
		return 0, nil // the spec refuses a TARGET without an ID
	}
	const field = "container config: linux.security_context.namespace_options.target_id"
	t, err := m.Get(ns.GetTargetId())
	switch {
	case err != nil:
		return 0, fmt.Errorf("%s: target container: %w", field, err)
	case t.SandboxID != podID:
		return 0, fmt.Errorf("%w: %s: target container %s is in another pod", errdefs.ErrInvalidArgument, field, t.ID)
	case t.State != store.ContainerRunning || t.Pid <= 0:
		return 0, fmt.Errorf("%w: %s: target container %s is %s, not running", errdefs.ErrFailedPrecondition, field, t.ID, t.State)
	}
	return t.Pid, nil
}

// sandboxOf is what a container's spec takes from its pod.
func (m *Manager) sandboxOf(sb store.Sandbox) oci.Sandbox {
	privateIPC := sb.Config.Msg.GetLinux().GetSecurityContext().GetNamespaceOptions().GetIpc() != runtime.NamespaceMode_NODE
	f := sandbox.FilesIn(sandbox.PodDir(m.cfg.PodsDir, sb.ID), privateIPC)
	return oci.Sandbox{
		ID: sb.ID, Config: sb.Config.Msg, NetNSPath: sb.NetNS, PausePID: sb.PausePID, CgroupParent: sb.CgroupParent,
		HostnamePath: f.HostnamePath, HostsPath: f.HostsPath, ResolvConfPath: f.ResolvConfPath, ShmPath: f.ShmPath,
	}
}
