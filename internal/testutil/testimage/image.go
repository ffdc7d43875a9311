package testimage

import (
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/skiffrt/skiff/internal/errdefs"
)

// Image is one reference the test registry serves. Exactly one of Img (a
// single-platform image) and Index (a multi-platform index) is set.
type Image struct {
	// Ref is fully qualified: registry host, repository and tag, e.g.
	// "registry.k8s.io/e2e-test-images/busybox:1.29-2".
	Ref   string
	Img   v1.Image
	Index v1.ImageIndex
}

// Digest returns the digest of the manifest or index that Ref names.
func (i Image) Digest() (v1.Hash, error) {
	switch {
	case i.Img != nil && i.Index == nil:
		return i.Img.Digest()
	case i.Index != nil && i.Img == nil:
		return i.Index.Digest()
	}
	return v1.Hash{}, fmt.Errorf("image %s: exactly one of Img and Index must be set", i.Ref)
}

// All builds every test image from the static busybox binary at path
// busybox (see BusyboxPath): the critest set (CritestRefs), plain busybox
// images, the layered image (LayeredRef) and the multi-platform index
// (MultiArchRef). The result is in a fixed order and its digests depend
// only on the busybox binary.
func All(busybox string) ([]Image, error) {
	b, err := newBuilder(busybox)
	if err != nil {
		return nil, err
	}
	var all []Image
	for _, group := range []func(*builder) ([]Image, error){
		e2eImages,
		criToolsImages,
		busyboxImages,
		layeredImages,
	} {
		imgs, err := group(b)
		if err != nil {
			return nil, err
		}
		all = append(all, imgs...)
	}
	seen := map[string]bool{}
	for _, img := range all {
		if seen[img.Ref] {
			return nil, fmt.Errorf("duplicate test image reference %s", img.Ref)
		}
		seen[img.Ref] = true
	}
	return all, nil
}

// Find returns the image with the given reference.
func Find(images []Image, ref string) (Image, error) {
	for _, img := range images {
		if img.Ref == ref {
			return img, nil
		}
	}
	return Image{}, fmt.Errorf("test image %s: %w", ref, errdefs.ErrNotFound)
}
