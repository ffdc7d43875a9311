package server

import (
	"context"

	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// ListContainers lists the containers the filter selects.
func (s *Server) ListContainers(ctx context.Context, req *runtime.ListContainersRequest) (*runtime.ListContainersResponse, error) {
	return &runtime.ListContainersResponse{Containers: s.listContainers(req.GetFilter())}, nil
}

// StreamContainers lists as ListContainers does, in batches.
func (s *Server) StreamContainers(req *runtime.StreamContainersRequest, stream runtime.RuntimeService_StreamContainersServer) error {
	return sendBatches(s.listContainers(req.GetFilter()), func(b []*runtime.Container) error {
		return stream.Send(&runtime.StreamContainersResponse{Containers: b})
	})
}

func (s *Server) listContainers(f *runtime.ContainerFilter) []*runtime.Container {
	list := s.containers.List(containerFilter(f))
	out := make([]*runtime.Container, len(list))
	for i, c := range list {
		out[i] = toCRIContainer(c)
	}
	return out
}
