package main

import (
	"context"
	"io"

	"github.com/distribution/reference"

	"github.com/skiffrt/skiff/internal/image"
	"github.com/skiffrt/skiff/internal/image/remote"
	"github.com/skiffrt/skiff/internal/metrics"
)

// meteredRegistry counts the layer bytes fetched through a registry
// client.
type meteredRegistry struct {
	*remote.Resolver
	m *metrics.Runtime
}

func (r meteredRegistry) OpenLayer(ctx context.Context, img *remote.Image, l remote.Layer) (io.ReadCloser, error) {
	rc, err := r.Resolver.OpenLayer(ctx, img, l)
	if err != nil {
		return nil, err
	}
	return r.m.CountPulled(rc), nil
}

// meteredImages counts the PullImage calls in flight.
type meteredImages struct {
	*image.Store
	m *metrics.Runtime
}

func (s meteredImages) Pull(ctx context.Context, ref reference.Named, auth *remote.Auth) (*image.Image, error) {
	defer s.m.PullStarted()()
	return s.Store.Pull(ctx, ref, auth)
}
