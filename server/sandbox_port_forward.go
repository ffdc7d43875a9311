package server

import (
	"context"

	"google.golang.org/protobuf/proto"
	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// PortForward checks that the pod is ready and the ports valid, and
// returns the streaming server's URL that forwards TCP connections to
// the pod's ports, good once for a minute.
func (s *Server) PortForward(ctx context.Context, req *runtime.PortForwardRequest) (*runtime.PortForwardResponse, error) {
	id, err := s.sandboxes.CheckPortForward(ctx, req.GetPodSandboxId(), req.GetPort())
	if err != nil {
		return nil, err
	}
	req = proto.CloneOf(req)
	req.PodSandboxId = id
	url, err := s.streams.GetPortForward(req)
	if err != nil {
		return nil, err
	}
	return &runtime.PortForwardResponse{Url: url}, nil
}
