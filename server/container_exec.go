package server

import (
	"context"

	"google.golang.org/protobuf/proto"
	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// Exec checks that the command can run in the container (it runs, the
// command is not empty) and returns the streaming server's URL that runs
// it, good once for a minute.
func (s *Server) Exec(ctx context.Context, req *runtime.ExecRequest) (*runtime.ExecResponse, error) {
	id, err := s.containers.CheckExec(req.GetContainerId(), req.GetCmd())
	if err != nil {
		return nil, err
	}
	req = proto.CloneOf(req)
	req.ContainerId = id
	url, err := s.streams.GetExec(req)
	if err != nil {
		return nil, err
	}
	return &runtime.ExecResponse{Url: url}, nil
}
