package testregistry

import (
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/skiffrt/skiff/internal/errdefs"
	"github.com/skiffrt/skiff/internal/testutil/testimage"
)

// Served is one reference the registry serves.
type Served struct {
	// Ref is the original, fully qualified reference, e.g.
	// "registry.k8s.io/e2e-test-images/busybox:1.29-2".
	Ref string
	// Local is the same image in this registry, e.g.
	// "127.0.0.1:5000/e2e-test-images/busybox:1.29-2".
	Local string
	// Digest is the digest of the manifest or index, "sha256:...".
	Digest string
}

// Mirrored are the registry hosts whose names the test images use; a
// runtime mirrors each of them to the test registry.
var Mirrored = []string{"docker.io", "registry.k8s.io", "k8s.gcr.io", "gcr.io", "public.ecr.aws"}

// plan maps each image to its tag in the registry at addr and checks that
// no two different images land on the same tag.
func plan(addr string, images []testimage.Image) ([]Served, map[name.Reference]remote.Taggable, error) {
	served := make([]Served, 0, len(images))
	writes := map[name.Reference]remote.Taggable{}
	owner := map[string]Served{} // by local reference
	for _, img := range images {
		s, local, err := localRef(addr, img.Ref)
		if err != nil {
			return nil, nil, err
		}
		d, err := img.Digest()
		if err != nil {
			return nil, nil, err
		}
		s.Digest = d.String()
		if prev, ok := owner[s.Local]; ok {
			if prev.Digest != s.Digest {
				return nil, nil, fmt.Errorf("%s and %s both map to %s with different content: %w",
					prev.Ref, s.Ref, s.Local, errdefs.ErrAlreadyExists)
			}
		} else {
			owner[s.Local] = s
			writes[local] = taggable(img)
		}
		served = append(served, s)
	}
	return served, writes, nil
}

// localRef names ref's image in the registry at addr: same repository
// path and tag, registry host replaced.
func localRef(addr, ref string) (Served, name.Tag, error) {
	orig, err := name.NewTag(ref, name.StrictValidation)
	if err != nil {
		return Served{}, name.Tag{}, fmt.Errorf("test image reference %q must be HOST/REPO:TAG: %w: %w", ref, err, errdefs.ErrInvalidArgument)
	}
	local, err := name.NewTag(addr+"/"+orig.RepositoryStr()+":"+orig.TagStr(), name.Insecure, name.StrictValidation)
	if err != nil {
		return Served{}, name.Tag{}, fmt.Errorf("local name for %s: %w", ref, err)
	}
	return Served{Ref: ref, Local: local.String()}, local, nil
}

func taggable(img testimage.Image) remote.Taggable {
	if img.Index != nil {
		return img.Index
	}
	return img.Img
}
