package server

import (
	"context"
	"fmt"

	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/skiffrt/skiff/internal/errdefs"
	"github.com/skiffrt/skiff/internal/image"
	"github.com/skiffrt/skiff/internal/image/remote"
)

// PullImage pulls an image and answers its ID.
func (s *Server) PullImage(ctx context.Context, req *runtime.PullImageRequest) (*runtime.PullImageResponse, error) {
	ref, err := image.ParseRef(req.GetImage().GetImage())
	if err != nil {
		return nil, err
	}
	auth, err := toAuth(req.GetAuth())
	if err != nil {
		return nil, err
	}
	img, err := s.images.Pull(ctx, ref, auth)
	if err != nil {
		return nil, err
	}
	return &runtime.PullImageResponse{ImageRef: img.ID.String()}, nil
}

// toAuth converts the CRI's credentials; nil means anonymous.
func toAuth(a *runtime.AuthConfig) (*remote.Auth, error) {
	if a == nil {
		return nil, nil
	}
	if a.Username == "" && a.Password != "" {
		return nil, fmt.Errorf("%w: auth has a password but no username", errdefs.ErrInvalidArgument)
	}
	out := &remote.Auth{
		Username:      a.Username,
		Password:      a.Password,
		Auth:          a.Auth,
		ServerAddress: a.ServerAddress,
		IdentityToken: a.IdentityToken,
		RegistryToken: a.RegistryToken,
	}
	if *out == (remote.Auth{}) {
		return nil, nil
	}
	return out, nil
}
