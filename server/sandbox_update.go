package server

import (
	"context"

	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// UpdatePodSandboxResources records a ready pod's new pod-level
// resources and overhead in its config. As the CRI says, kubelet has
// resized the pod's cgroup before calling; skiff writes no cgroup here.
func (s *Server) UpdatePodSandboxResources(ctx context.Context, req *runtime.UpdatePodSandboxResourcesRequest) (*runtime.UpdatePodSandboxResourcesResponse, error) {
	if err := s.sandboxes.UpdateResources(ctx, req.GetPodSandboxId(), req.GetOverhead(), req.GetResources()); err != nil {
		return nil, err
	}
	return &runtime.UpdatePodSandboxResourcesResponse{}, nil
}
