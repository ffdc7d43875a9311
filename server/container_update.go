package server

import (
	"context"
	"fmt"

	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/skiffrt/skiff/internal/errdefs"
)

// UpdateContainerResources changes a created or running container's
// cgroup limits; fields left zero keep their value.
func (s *Server) UpdateContainerResources(ctx context.Context, req *runtime.UpdateContainerResourcesRequest) (*runtime.UpdateContainerResourcesResponse, error) {
	if req.GetLinux() == nil {
		return nil, fmt.Errorf("%w: update container resources: linux resources are missing", errdefs.ErrInvalidArgument)
	}
	if err := s.containers.UpdateResources(ctx, req.GetContainerId(), req.GetLinux()); err != nil {
		return nil, err
	}
	return &runtime.UpdateContainerResourcesResponse{}, nil
}
