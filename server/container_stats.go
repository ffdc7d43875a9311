package server

import (
	"context"

	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/skiffrt/skiff/internal/stats"
	"github.com/skiffrt/skiff/internal/store"
)

// ContainerStats reports one container's usage; an exited container
// has its attributes and writable layer only.
func (s *Server) ContainerStats(ctx context.Context, req *runtime.ContainerStatsRequest) (*runtime.ContainerStatsResponse, error) {
	c, err := s.containers.Get(req.GetContainerId())
	if err != nil {
		return nil, err
	}
	st := s.stats.Containers(ctx, []stats.ContainerRef{containerRef(c)})
	return &runtime.ContainerStatsResponse{Stats: toCRIContainerStats(c, st[0])}, nil
}

// ListContainerStats reports the usage of the created and running
// containers that the filter selects.
func (s *Server) ListContainerStats(ctx context.Context, req *runtime.ListContainerStatsRequest) (*runtime.ListContainerStatsResponse, error) {
	return &runtime.ListContainerStatsResponse{Stats: s.listContainerStats(ctx, req.GetFilter())}, nil
}

// StreamContainerStats reports as ListContainerStats does, in batches.
func (s *Server) StreamContainerStats(req *runtime.StreamContainerStatsRequest, stream runtime.RuntimeService_StreamContainerStatsServer) error {
	return sendBatches(s.listContainerStats(stream.Context(), req.GetFilter()), func(b []*runtime.ContainerStats) error {
		return stream.Send(&runtime.StreamContainerStatsResponse{ContainerStats: b})
	})
}

func (s *Server) listContainerStats(ctx context.Context, f *runtime.ContainerStatsFilter) []*runtime.ContainerStats {
	keep := containerFilter(&runtime.ContainerFilter{Id: f.GetId(), PodSandboxId: f.GetPodSandboxId(), LabelSelector: f.GetLabelSelector()})
	list := s.containers.List(func(c store.Container) bool { return hasCgroup(c) && keep(c) })
	refs := make([]stats.ContainerRef, len(list))
	for i, c := range list {
		refs[i] = containerRef(c)
	}
	st := s.stats.Containers(ctx, refs)
	out := make([]*runtime.ContainerStats, len(list))
	for i, c := range list {
		out[i] = toCRIContainerStats(c, st[i])
	}
	return out
}
