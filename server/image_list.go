package server

import (
	"context"

	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// streamBatch is how many images StreamImages sends per message.
const streamBatch = 100

// ListImages lists images, or the one the filter names.
func (s *Server) ListImages(ctx context.Context, req *runtime.ListImagesRequest) (*runtime.ListImagesResponse, error) {
	images, err := s.listImages(req.GetFilter())
	if err != nil {
		return nil, err
	}
	return &runtime.ListImagesResponse{Images: images}, nil
}

// StreamImages lists images as ListImages does, in batches.
func (s *Server) StreamImages(req *runtime.StreamImagesRequest, stream runtime.ImageService_StreamImagesServer) error {
	images, err := s.listImages(req.GetFilter())
	if err != nil {
		return err
	}
	for len(images) > 0 {
		n := min(streamBatch, len(images))
		if err := stream.Send(&runtime.StreamImagesResponse{Images: images[:n]}); err != nil {
			return err
		}
		images = images[n:]
	}
	return nil
}

func (s *Server) listImages(filter *runtime.ImageFilter) ([]*runtime.Image, error) {
	list, err := s.images.List(filter.GetImage().GetImage())
	if err != nil {
		return nil, err
	}
	out := make([]*runtime.Image, len(list))
	for i, img := range list {
		out[i] = toCRIImage(img)
	}
	return out, nil
}
