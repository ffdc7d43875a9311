package testimage

import (
	"fmt"
	"runtime"
	"sync"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// format chooses the media types of an image: Docker v2 schema 2, as
// Docker Hub, registry.k8s.io and gcr.io serve the originals, or OCI.
type format int

const (
	docker format = iota
	oci
)

func (f format) manifest() types.MediaType {
	if f == oci {
		return types.OCIManifestSchema1
	}
	return types.DockerManifestSchema2
}

func (f format) config() types.MediaType {
	if f == oci {
		return types.OCIConfigJSON
	}
	return types.DockerConfigJSON
}

func (f format) layer() types.MediaType {
	if f == oci {
		return types.OCILayer
	}
	return types.DockerLayer
}

func (f format) index() types.MediaType {
	if f == oci {
		return types.OCIImageIndex
	}
	return types.DockerManifestList
}

// layerSpec is one layer on top of the busybox base, with the history
// line (the Dockerfile step it stands for) recorded in the config. Nil
// entries make a history entry without a layer.
type layerSpec struct {
	createdBy string
	entries   []entry
}

// imageSpec describes one image: the busybox base layer, then layers.
type imageSpec struct {
	format format
	config v1.Config
	layers []layerSpec
}

// builder makes images for the host architecture on one busybox base
// layer. mu guards placeholders; the other fields are set once.
type builder struct {
	arch    string
	baseTar []byte
	base    map[format]v1.Layer

	mu           sync.Mutex
	placeholders map[string]v1.Image // by format and platform
}

func newBuilder(busybox string) (*builder, error) {
	entries, err := baseRootfs(busybox)
	if err != nil {
		return nil, err
	}
	raw, err := tarBytes(entries)
	if err != nil {
		return nil, err
	}
	b := &builder{
		arch:         runtime.GOARCH,
		baseTar:      raw,
		base:         map[format]v1.Layer{},
		placeholders: map[string]v1.Image{},
	}
	for _, f := range []format{docker, oci} {
		if b.base[f], err = newLayer(raw, f.layer()); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// image builds s for the host architecture.
func (b *builder) image(s imageSpec) (v1.Image, error) {
	adds := []mutate.Addendum{{
		Layer:   b.base[s.format],
		History: history("ADD busybox rootfs / # skiff testimage"),
	}}
	for _, ls := range s.layers {
		if ls.entries == nil { // a config-only step such as ENV
			h := history(ls.createdBy)
			h.EmptyLayer = true
			adds = append(adds, mutate.Addendum{History: h})
			continue
		}
		raw, err := tarBytes(ls.entries)
		if err != nil {
			return nil, err
		}
		l, err := newLayer(raw, s.format.layer())
		if err != nil {
			return nil, err
		}
		adds = append(adds, mutate.Addendum{Layer: l, History: history(ls.createdBy)})
	}
	return assemble(s.format, v1.Platform{OS: "linux", Architecture: b.arch}, s.config, adds)
}

// assemble stacks the layers under a config for the given platform.
func assemble(f format, p v1.Platform, cfg v1.Config, adds []mutate.Addendum) (v1.Image, error) {
	if cfg.Env == nil {
		cfg.Env = []string{"PATH=" + DefaultPath}
	}
	img := mutate.ConfigMediaType(mutate.MediaType(empty.Image, f.manifest()), f.config())
	img, err := mutate.ConfigFile(img, &v1.ConfigFile{
		Architecture: p.Architecture,
		Variant:      p.Variant,
		OS:           p.OS,
		Created:      v1.Time{Time: Epoch},
		Config:       cfg,
		RootFS:       v1.RootFS{Type: "layers"},
	})
	if err != nil {
		return nil, fmt.Errorf("set config: %w", err)
	}
	img, err = mutate.Append(img, adds...)
	if err != nil {
		return nil, fmt.Errorf("append layers: %w", err)
	}
	return img, nil
}

func history(createdBy string) v1.History {
	return v1.History{Created: v1.Time{Time: Epoch}, CreatedBy: createdBy}
}
