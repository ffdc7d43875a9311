package server

import (
	"context"

	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// streamBatch is how many items a Stream call sends per message.
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
	return sendBatches(images, func(b []*runtime.Image) error {
		return stream.Send(&runtime.StreamImagesResponse{Images: b})
	})
}

// sendBatches sends items in batches of streamBatch; none when empty.
func sendBatches[T any](items []T, send func([]T) error) error {
	for len(items) > 0 {
		n := min(streamBatch, len(items))
		if err := send(items[:n]); err != nil {
			return err
		}
		items = items[n:]
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
		out[i] = s.toCRIImage(img)
	}
	return out, nil
}
