package server

import (
	"context"

	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// RemoveImage removes an image with all its tags; an absent image is not
// an error, one a container uses is refused.
func (s *Server) RemoveImage(ctx context.Context, req *runtime.RemoveImageRequest) (*runtime.RemoveImageResponse, error) {
	name, err := imageName(req.GetImage())
	if err != nil {
		return nil, err
	}
	if err = s.images.Remove(ctx, name, s.containers.ImageUser); err != nil {
		return nil, err
	}
	return &runtime.RemoveImageResponse{}, nil
}
