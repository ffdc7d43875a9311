package server

import (
	"context"

	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// ListPodSandbox lists the pod sandboxes the filter selects.
func (s *Server) ListPodSandbox(ctx context.Context, req *runtime.ListPodSandboxRequest) (*runtime.ListPodSandboxResponse, error) {
	return &runtime.ListPodSandboxResponse{Items: s.listSandboxes(ctx, req.GetFilter())}, nil
}

// StreamPodSandboxes lists as ListPodSandbox does, in batches.
func (s *Server) StreamPodSandboxes(req *runtime.StreamPodSandboxesRequest, stream runtime.RuntimeService_StreamPodSandboxesServer) error {
	items := s.listSandboxes(stream.Context(), req.GetFilter())
	return sendBatches(items, func(b []*runtime.PodSandbox) error {
		return stream.Send(&runtime.StreamPodSandboxesResponse{PodSandboxes: b})
	})
}

func (s *Server) listSandboxes(ctx context.Context, f *runtime.PodSandboxFilter) []*runtime.PodSandbox {
	list := s.sandboxes.List(ctx, sandboxFilter(f))
	out := make([]*runtime.PodSandbox, len(list))
	for i, sb := range list {
		out[i] = toCRISandbox(sb)
	}
	return out
}
