package server

import (
	"context"
	"fmt"

	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/skiffrt/skiff/internal/errdefs"
)

// RemoveImage removes an image with all its tags; an absent image is not
// an error.
func (s *Server) RemoveImage(ctx context.Context, req *runtime.RemoveImageRequest) (*runtime.RemoveImageResponse, error) {
	name := req.GetImage().GetImage()
	if name == "" {
		return nil, fmt.Errorf("%w: image spec is empty", errdefs.ErrInvalidArgument)
	}
	if err := s.images.Remove(ctx, name); err != nil {
		return nil, err
	}
	return &runtime.RemoveImageResponse{}, nil
}
