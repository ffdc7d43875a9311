package server

import (
	"context"
	"fmt"

	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/skiffrt/skiff/internal/errdefs"
)

// CheckpointPod writes a checkpoint of the listed running containers of
// a pod into the request's output directory (the layout is
// internal/checkpoint's WritePod): all are paused before the first is
// captured and resumed before the answer, whatever it is. skiff takes no
// options: any is refused.
func (s *Server) CheckpointPod(ctx context.Context, req *runtime.CheckpointPodRequest) (*runtime.CheckpointPodResponse, error) {
	if req.GetOutputPath() == "" || len(req.GetContainerIds()) == 0 {
		return nil, fmt.Errorf("%w: checkpoint pod: output_path and container_ids are required", errdefs.ErrInvalidArgument)
	}
	if err := noOptions(req.GetOptions()); err != nil {
		return nil, fmt.Errorf("checkpoint pod: %w", err)
	}
	sb, err := s.sandboxes.Get(ctx, req.GetPodSandboxId())
	if err != nil {
		return nil, err
	}
	if err := s.criu(ctx); err != nil {
		return nil, fmt.Errorf("checkpoint of pod %s: %w", sb.ID, err)
	}
	if err := s.containers.CheckpointPod(ctx, sb.ID, req.GetOutputPath(), req.GetContainerIds(), toCRIContainerStatus); err != nil {
		return nil, err
	}
	return &runtime.CheckpointPodResponse{}, nil
}

// noOptions refuses checkpoint and restore options: skiff documents
// none, and the CRI wants unknown keys refused, not ignored.
func noOptions(opts map[string]string) error {
	for k := range opts {
		return fmt.Errorf("%w: option %q is not supported (skiff takes no checkpoint or restore options)", errdefs.ErrInvalidArgument, k)
	}
	return nil
}
