package testimage

import (
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
)

// IndexPlatforms are the platforms of every multi-platform index: the host
// architecture's entry is the real image, the others are placeholders.
var IndexPlatforms = []v1.Platform{
	{OS: "linux", Architecture: "amd64"},
	{OS: "linux", Architecture: "arm64", Variant: "v8"},
	{OS: "linux", Architecture: "s390x"},
}

// placeholderReadme is the only file of a placeholder image.
const placeholderReadme = `This is a placeholder for a platform that skiff's test images are not
built for. It holds no runnable program; pulling it by platform, listing
it and removing it are all it is good for.
`

// index wraps img, built for the host architecture, in an index of the
// given format that also lists placeholder images for IndexPlatforms.
func (b *builder) index(f format, img v1.Image) (v1.ImageIndex, error) {
	idx := mutate.IndexMediaType(empty.Index, f.index())
	hostListed := false
	var adds []mutate.IndexAddendum
	for _, p := range IndexPlatforms {
		entry := img
		if p.Architecture == b.arch {
			hostListed = true
		} else {
			var err error
			if entry, err = b.placeholder(f, p); err != nil {
				return nil, err
			}
		}
		plat := p
		adds = append(adds, mutate.IndexAddendum{
			Add:        described{entry},
			Descriptor: v1.Descriptor{Platform: &plat},
		})
	}
	if !hostListed {
		return nil, fmt.Errorf("host architecture %s is not among the index platforms", b.arch)
	}
	return mutate.AppendManifests(idx, adds...), nil
}

// placeholder returns the placeholder image for platform p, built once per
// format and platform so that every index shares it.
func (b *builder) placeholder(f format, p v1.Platform) (v1.Image, error) {
	key := fmt.Sprintf("%d/%s/%s/%s", f, p.OS, p.Architecture, p.Variant)
	b.mu.Lock()
	defer b.mu.Unlock()
	if img, ok := b.placeholders[key]; ok {
		return img, nil
	}
	raw, err := tarBytes([]entry{file("README", 0o644, placeholderReadme)})
	if err != nil {
		return nil, err
	}
	l, err := newLayer(raw, f.layer())
	if err != nil {
		return nil, err
	}
	img, err := assemble(f, p, v1.Config{Cmd: []string{"/README"}}, []mutate.Addendum{{
		Layer:   l,
		History: history("ADD README / # skiff testimage placeholder"),
	}})
	if err != nil {
		return nil, err
	}
	b.placeholders[key] = img
	return img, nil
}

// described gives an image the plain descriptor (media type, size,
// digest) that real indexes list. Without it ggcr adds an artifactType,
// which OCI reserves for artifacts and Docker manifest lists never have.
type described struct{ v1.Image }

func (d described) Descriptor() (*v1.Descriptor, error) {
	mt, err := d.MediaType()
	if err != nil {
		return nil, err
	}
	size, err := d.Size()
	if err != nil {
		return nil, err
	}
	digest, err := d.Digest()
	if err != nil {
		return nil, err
	}
	return &v1.Descriptor{MediaType: mt, Size: size, Digest: digest}, nil
}
