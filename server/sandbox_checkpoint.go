package server

import (
	"context"
	"fmt"

	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/skiffrt/skiff/internal/errdefs"
)

// CheckpointPod answers as CheckpointContainer does, for a pod.
func (s *Server) CheckpointPod(ctx context.Context, req *runtime.CheckpointPodRequest) (*runtime.CheckpointPodResponse, error) {
	if req.GetOutputPath() == "" || len(req.GetContainerIds()) == 0 {
		return nil, fmt.Errorf("%w: checkpoint pod: output_path and container_ids are required", errdefs.ErrInvalidArgument)
	}
	sb, err := s.sandboxes.Get(ctx, req.GetPodSandboxId())
	if err != nil {
		return nil, err
	}
	return nil, s.noCheckpoint(ctx, "checkpoint of pod "+sb.ID)
}

// RestorePod answers as CheckpointContainer does, for a restore.
func (s *Server) RestorePod(ctx context.Context, req *runtime.RestorePodRequest) (*runtime.RestorePodResponse, error) {
	if req.GetCheckpointPath() == "" || req.GetConfig() == nil {
		return nil, fmt.Errorf("%w: restore pod: checkpoint_path and config are required", errdefs.ErrInvalidArgument)
	}
	return nil, s.noCheckpoint(ctx, "restore of pod from "+req.GetCheckpointPath())
}

// noCheckpoint says why what cannot be done: CRIU's reason where it
// cannot run, else that skiff does not drive it yet.
func (s *Server) noCheckpoint(ctx context.Context, what string) error {
	if err := s.criu(ctx); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return fmt.Errorf("%w: %s: CRIU works on this host, but skiff does not checkpoint or restore yet", errdefs.ErrNotImplemented, what)
}
