package server

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"time"

	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/skiffrt/skiff/internal/checkpoint"
	"github.com/skiffrt/skiff/internal/errdefs"
	"github.com/skiffrt/skiff/internal/log"
)

// restoreRollbackTimeout bounds removing what a failed RestorePod made.
const restoreRollbackTimeout = time.Minute

// RestorePod runs a new pod sandbox with the request's config and
// creates its containers from a pod checkpoint (CheckpointPod's), one
// per container config, matched by name: they are created, and each
// StartContainer restores its processes. On failure the pod and its
// containers are removed.
func (s *Server) RestorePod(ctx context.Context, req *runtime.RestorePodRequest) (*runtime.RestorePodResponse, error) {
	dir := req.GetCheckpointPath()
	if dir == "" || req.GetConfig() == nil {
		return nil, fmt.Errorf("%w: restore pod: checkpoint_path and config are required", errdefs.ErrInvalidArgument)
	}
	if !filepath.IsAbs(dir) {
		return nil, fmt.Errorf("%w: restore pod: checkpoint_path %q is not absolute", errdefs.ErrInvalidArgument, dir)
	}
	if err := noOptions(req.GetOptions()); err != nil {
		return nil, fmt.Errorf("restore pod: %w", err)
	}
	pod, err := checkpoint.ReadPod(dir)
	if err != nil {
		return nil, fmt.Errorf("restore pod: %w", err)
	}
	if err := sameContainers(pod.Containers, req.GetContainerConfigs()); err != nil {
		return nil, fmt.Errorf("restore pod: %w", err)
	}
	if err := s.criu(ctx); err != nil {
		return nil, fmt.Errorf("restore of pod from %s: %w", dir, err)
	}
	sbID, err := s.sandboxes.Run(ctx, req.GetConfig(), req.GetRuntimeHandler())
	if err != nil {
		return nil, err
	}
	resp := &runtime.RestorePodResponse{PodSandboxId: sbID}
	for _, cfg := range req.GetContainerConfigs() {
		name := cfg.GetMetadata().GetName()
		id, err := s.containers.Restore(ctx, sbID, cfg, checkpoint.ArchiveOf(dir, name))
		if err != nil {
			s.rollbackRestore(ctx, sbID)
			return nil, fmt.Errorf("restore pod: container %s: %w", name, err)
		}
		resp.RestoredContainers = append(resp.RestoredContainers, &runtime.RestoredContainer{Name: name, ContainerId: id})
	}
	return resp, nil
}

// sameContainers checks that configs name, once each, exactly the
// checkpoint's containers.
func sameContainers(checkpointed []string, configs []*runtime.ContainerConfig) error {
	if len(configs) == 0 {
		return fmt.Errorf("%w: no container configs", errdefs.ErrInvalidArgument)
	}
	var names []string
	for _, c := range configs {
		name := c.GetMetadata().GetName()
		if name == "" || slices.Contains(names, name) {
			return fmt.Errorf("%w: container names must be non-empty and unique, got %q", errdefs.ErrInvalidArgument, name)
		}
		names = append(names, name)
	}
	want := slices.Sorted(slices.Values(checkpointed))
	if slices.Sort(names); !slices.Equal(names, want) {
		return fmt.Errorf("%w: the container configs name %q, the checkpoint has %q", errdefs.ErrInvalidArgument, names, want)
	}
	return nil
}

// rollbackRestore removes the pod (and the containers made in it) of a
// failed RestorePod, also when ctx has ended.
func (s *Server) rollbackRestore(ctx context.Context, sbID string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), restoreRollbackTimeout)
	defer cancel()
	if err := s.sandboxes.Remove(ctx, sbID); err != nil {
		log.G(ctx).Error("remove the pod of a failed restore", log.KeySandboxID, sbID, log.KeyError, err)
	}
}
