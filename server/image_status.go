package server

import (
	"context"
	"encoding/json"
	"fmt"

	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/skiffrt/skiff/internal/errdefs"
)

// ImageStatus describes one image; an absent image is a nil Image, not an
// error. Verbose adds the image config under "info".
func (s *Server) ImageStatus(ctx context.Context, req *runtime.ImageStatusRequest) (*runtime.ImageStatusResponse, error) {
	name, err := imageName(req.GetImage())
	if err != nil {
		return nil, err
	}
	img, ok, err := errdefs.Found(s.images.Get(name))
	if !ok {
		return &runtime.ImageStatusResponse{}, err
	}
	resp := &runtime.ImageStatusResponse{Image: s.toCRIImage(img)}
	if req.GetVerbose() {
		cfg, err := s.images.Config(img.ID)
		if err != nil {
			return nil, err
		}
		info, err := json.Marshal(map[string]any{
			"imageSpec":         json.RawMessage(cfg),
			"manifestDigest":    img.ManifestDigest,
			"manifestMediaType": img.ManifestMediaType,
			"layers":            img.Layers,
			"pulled":            img.Pulled,
		})
		if err != nil {
			return nil, fmt.Errorf("encode image info: %w", err)
		}
		resp.Info = map[string]string{"info": string(info)}
	}
	return resp, nil
}
