package server

import (
	"context"
	"fmt"
	"time"

	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/skiffrt/skiff/internal/errdefs"
	"github.com/skiffrt/skiff/internal/store"
)

// CheckpointContainer writes the checkpoint archive of a running
// container at the request's location (kubelet's checkpoint API), the
// container left running. Where CRIU cannot run, the answer is
// FailedPrecondition with CRIU's reason. A timeout bounds the call; 0
// leaves the caller's deadline.
func (s *Server) CheckpointContainer(ctx context.Context, req *runtime.CheckpointContainerRequest) (*runtime.CheckpointContainerResponse, error) {
	if req.GetLocation() == "" {
		return nil, fmt.Errorf("%w: checkpoint: location is empty", errdefs.ErrInvalidArgument)
	}
	if req.GetTimeout() < 0 {
		return nil, fmt.Errorf("%w: checkpoint: negative timeout %d", errdefs.ErrInvalidArgument, req.GetTimeout())
	}
	c, err := s.containers.Get(req.GetContainerId())
	if err != nil {
		return nil, err
	}
	if c.State != store.ContainerRunning {
		return nil, fmt.Errorf("%w: checkpoint: container %s is %s, not running", errdefs.ErrFailedPrecondition, c.ID, c.State)
	}
	if err := s.criu(ctx); err != nil {
		return nil, fmt.Errorf("checkpoint of container %s: %w", c.ID, err)
	}
	if t := req.GetTimeout(); t > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, time.Duration(t)*time.Second)
		defer cancel()
	}
	if err := s.containers.Checkpoint(ctx, c.ID, req.GetLocation(), toCRIContainerStatus(c)); err != nil {
		return nil, err
	}
	return &runtime.CheckpointContainerResponse{}, nil
}
