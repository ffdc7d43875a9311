package server

import (
	"context"
	"fmt"

	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/skiffrt/skiff/internal/checkpoint"
	"github.com/skiffrt/skiff/internal/errdefs"
)

// CreateContainer creates a container in a pod sandbox. An image that is
// a checkpoint archive's path makes a container that StartContainer
// restores, where CRIU can run.
func (s *Server) CreateContainer(ctx context.Context, req *runtime.CreateContainerRequest) (*runtime.CreateContainerResponse, error) {
	if req.GetConfig() == nil {
		return nil, fmt.Errorf("%w: container config is missing", errdefs.ErrInvalidArgument)
	}
	if image := req.GetConfig().GetImage().GetImage(); checkpoint.IsArchive(image) {
		if err := s.criu(ctx); err != nil {
			return nil, fmt.Errorf("restore from %s: %w", image, err)
		}
	}
	id, err := s.containers.Create(ctx, req.GetPodSandboxId(), req.GetConfig())
	if err != nil {
		return nil, err
	}
	return &runtime.CreateContainerResponse{ContainerId: id}, nil
}
