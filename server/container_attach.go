package server

import (
	"context"

	"google.golang.org/protobuf/proto"
	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// Attach checks that the container runs, with stdin and a tty if the
// request asks for them, and returns the streaming server's URL that
// attaches to it, good once for a minute.
func (s *Server) Attach(ctx context.Context, req *runtime.AttachRequest) (*runtime.AttachResponse, error) {
	id, err := s.containers.CheckAttach(req.GetContainerId(), req.GetStdin(), req.GetTty())
	if err != nil {
		return nil, err
	}
	req = proto.CloneOf(req)
	req.ContainerId = id
	url, err := s.streams.GetAttach(req)
	if err != nil {
		return nil, err
	}
	return &runtime.AttachResponse{Url: url}, nil
}
