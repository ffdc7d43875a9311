package server

import (
	"context"
	"fmt"
	"slices"

	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/skiffrt/skiff/internal/errdefs"
	"github.com/skiffrt/skiff/internal/image"
	"github.com/skiffrt/skiff/internal/image/remote"
)

// ImageStore is what the ImageService needs from the image store.
type ImageStore interface {
	Pull(ctx context.Context, ref reference.Named, auth *remote.Auth) (*image.Image, error)
	Get(name string) (*image.Image, error)
	List(filter string) ([]*image.Image, error)
	Config(id digest.Digest) ([]byte, error)
	Remove(ctx context.Context, name string, inUse image.InUse) error
	Usage() (image.Usage, error)
}

// imageName returns the name an ImageSpec gives, which must not be empty.
func imageName(spec *runtime.ImageSpec) (string, error) {
	if spec.GetImage() == "" {
		return "", fmt.Errorf("%w: image spec is empty", errdefs.ErrInvalidArgument)
	}
	return spec.GetImage(), nil
}

// toCRIImage describes img as the CRI does. The configured pause image
// is pinned: kubelet's image garbage collection leaves it.
func (s *Server) toCRIImage(img *image.Image) *runtime.Image {
	out := &runtime.Image{
		Id:          img.ID.String(),
		RepoTags:    img.RepoTags,
		RepoDigests: img.RepoDigests,
		Size:        uint64(img.Size),
		Username:    img.Username(),
		Spec:        &runtime.ImageSpec{Image: img.ID.String()},
		Pinned:      s.pinned != "" && (slices.Contains(img.RepoTags, s.pinned) || slices.Contains(img.RepoDigests, s.pinned)),
	}
	if uid, ok := img.UID(); ok {
		out.Uid = &runtime.Int64Value{Value: uid}
	}
	return out
}
