package remote

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/skiffrt/skiff/internal/errdefs"
)

// Size limits against hostile registries: real manifests are a few KiB,
// configs rarely more than 100 KiB.
const (
	maxManifestSize = 4 << 20
	maxConfigSize   = 8 << 20
)

// Media types skiff pulls, besides the OCI ones in ocispec.
const (
	dockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json"
	dockerManifest     = "application/vnd.docker.distribution.manifest.v2+json"
	dockerConfig       = "application/vnd.docker.container.image.v1+json"
)

var manifestAccept = strings.Join([]string{
	ocispec.MediaTypeImageIndex, dockerManifestList,
	ocispec.MediaTypeImageManifest, dockerManifest,
}, ", ")

// resolveAt resolves t at one endpoint. It also returns the endpoint's
// name for messages: scheme://host once the scheme is known.
func (r *Resolver) resolveAt(ctx context.Context, ep endpoint, t target, auth authn.Authenticator) (*Image, string, error) {
	src, err := r.connect(ctx, ep, t.repo, auth)
	if err != nil {
		return nil, ep.display(), err
	}
	img, err := src.resolve(ctx, r.platform, t, &r.configs)
	return img, src.endpoint, err
}

// resolve fetches t's manifest, picks platform's manifest if it is an
// index, and fetches the config.
func (s *source) resolve(ctx context.Context, platform v1.Platform, t target, configs *configCache) (*Image, error) {
	top, err := s.fetchManifest(ctx, t.ident, "", t.digest, -1)
	if err != nil {
		return nil, err
	}
	img := &Image{Endpoint: s.endpoint, Digest: top.digest, src: s}
	m := top
	if isIndex(top.mediaType) {
		desc, err := pickManifest(top, platform)
		if err != nil {
			return nil, err
		}
		what := fmt.Sprintf("manifest %s for %s", desc.Digest, platformString(platform))
		if m, err = s.fetchManifest(ctx, desc.Digest.String(), what, desc.Digest, desc.Size); err != nil {
			return nil, err
		}
		if !isManifest(m.mediaType) {
			return nil, fmt.Errorf("manifest %s for %s is a %s, not an image manifest: %w",
				desc.Digest, platformString(platform), m.mediaType, errdefs.ErrInvalidArgument)
		}
	}
	img.Manifest, img.ManifestDigest, img.MediaType = m.data, m.digest, m.mediaType
	if err := s.fillImage(ctx, img, configs); err != nil {
		return nil, err
	}
	return img, nil
}

// content is a fetched, verified manifest.
type content struct {
	data      []byte
	digest    digest.Digest
	mediaType string
}

// fetchManifest GETs manifest ident and verifies it: its digest against
// want (when set, else it is computed with sha256), its size against size
// (when not -1), and the size limit. what names it in errors; "" keeps
// the registry's answer bare ("manifest unknown") for the reference's
// own manifest.
func (s *source) fetchManifest(ctx context.Context, ident, what string, want digest.Digest, size int64) (content, error) {
	label := what
	if label == "" {
		label = "manifest " + ident
	}
	if size > maxManifestSize {
		return content{}, tooLarge(label, size, maxManifestSize)
	}
	resp, err := s.get(ctx, "manifests", ident, manifestAccept, label)
	if err != nil {
		if what != "" {
			err = fmt.Errorf("%s: %w", what, err)
		}
		return content{}, err
	}
	defer resp.Body.Close()
	data, err := s.readAll(resp, label, want, size, maxManifestSize)
	if err != nil {
		return content{}, err
	}
	c := content{data: data, digest: want}
	if c.digest == "" {
		c.digest = digest.SHA256.FromBytes(data)
	}
	if c.mediaType, err = manifestType(resp.Header.Get("Content-Type"), data); err != nil {
		return content{}, fmt.Errorf("%s: %w", label, err)
	}
	return c, nil
}

// readAll reads a small body, enforcing limit, size and digest.
func (s *source) readAll(resp *http.Response, what string, want digest.Digest, size, limit int64) ([]byte, error) {
	if resp.ContentLength > limit {
		return nil, tooLarge(what, resp.ContentLength, limit)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", what, withClass(err, errdefs.ErrUnavailable))
	}
	n := int64(len(data))
	switch {
	case n > limit:
		return nil, tooLarge(what, n, limit)
	case size >= 0 && n != size:
		return nil, fmt.Errorf("%s: got %d bytes, want %d: %w", what, n, size, ErrDigestMismatch)
	case want != "":
		if got := want.Algorithm().FromBytes(data); got != want {
			return nil, fmt.Errorf("%s: got content with digest %s: %w", what, got, ErrDigestMismatch)
		}
	}
	return data, nil
}

func tooLarge(what string, n, limit int64) error {
	return fmt.Errorf("%s is %d bytes, more than the limit of %d: %w", what, n, limit, errdefs.ErrResourceExhausted)
}

// manifestType finds the media type of a manifest: its mediaType field,
// else a specific Content-Type, else its shape. Schema 1 is refused.
func manifestType(contentType string, data []byte) (string, error) {
	var probe struct {
		SchemaVersion int             `json:"schemaVersion"`
		MediaType     string          `json:"mediaType"`
		Manifests     json.RawMessage `json:"manifests"`
		Config        json.RawMessage `json:"config"`
		FSLayers      json.RawMessage `json:"fsLayers"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return "", fmt.Errorf("malformed manifest: %w: %w", err, errdefs.ErrInvalidArgument)
	}
	if probe.SchemaVersion == 1 || probe.FSLayers != nil {
		return "", fmt.Errorf("image manifest schema 1 is not supported; push the image again with a current client: %w", errdefs.ErrNotImplemented)
	}
	ct, _, _ := mime.ParseMediaType(contentType)
	mt := probe.MediaType
	switch {
	case mt != "":
	case isIndex(ct) || isManifest(ct):
		mt = ct
	case probe.Manifests != nil:
		mt = ocispec.MediaTypeImageIndex
	case probe.Config != nil:
		mt = ocispec.MediaTypeImageManifest
	}
	if !isIndex(mt) && !isManifest(mt) {
		return "", fmt.Errorf("unsupported manifest type %q: %w", mt, errdefs.ErrInvalidArgument)
	}
	return mt, nil
}

func isIndex(mt string) bool {
	return mt == ocispec.MediaTypeImageIndex || mt == dockerManifestList
}

func isManifest(mt string) bool {
	return mt == ocispec.MediaTypeImageManifest || mt == dockerManifest
}

// pickManifest chooses platform's manifest in an index.
func pickManifest(idx content, platform v1.Platform) (ocispec.Descriptor, error) {
	var index ocispec.Index
	if err := json.Unmarshal(idx.data, &index); err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("malformed index %s: %w: %w", idx.digest, err, errdefs.ErrInvalidArgument)
	}
	best, bestScore := -1, 0
	var have []string
	for i, d := range index.Manifests {
		if d.Platform != nil {
			have = append(have, platformString(toPlatform(d.Platform)))
		}
		if s := matchPlatform(platform, d.Platform); s > bestScore {
			best, bestScore = i, s
		}
	}
	if best < 0 {
		return ocispec.Descriptor{}, fmt.Errorf("no manifest for %s in index %s (it has %s): %w",
			platformString(platform), idx.digest, strings.Join(have, ", "), errdefs.ErrNotFound)
	}
	d := index.Manifests[best]
	if err := checkDescriptor(d, "manifest"); err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("index %s: %w", idx.digest, err)
	}
	return d, nil
}

func checkDescriptor(d ocispec.Descriptor, what string) error {
	if err := d.Digest.Validate(); err != nil {
		return fmt.Errorf("%s digest %q: %w: %w", what, d.Digest, err, errdefs.ErrInvalidArgument)
	}
	if d.Size < 0 {
		return fmt.Errorf("%s %s: negative size %d: %w", what, d.Digest, d.Size, errdefs.ErrInvalidArgument)
	}
	return nil
}

// fillImage parses img.Manifest, fetches and verifies the config and
// lists the layers with their diff IDs.
func (s *source) fillImage(ctx context.Context, img *Image, configs *configCache) error {
	var m ocispec.Manifest
	if err := json.Unmarshal(img.Manifest, &m); err != nil {
		return fmt.Errorf("malformed manifest %s: %w: %w", img.ManifestDigest, err, errdefs.ErrInvalidArgument)
	}
	if err := checkDescriptor(m.Config, "config"); err != nil {
		return fmt.Errorf("manifest %s: %w", img.ManifestDigest, err)
	}
	if mt := m.Config.MediaType; mt != ocispec.MediaTypeImageConfig && mt != dockerConfig {
		return fmt.Errorf("manifest %s has config type %q: not a container image: %w", img.ManifestDigest, mt, errdefs.ErrInvalidArgument)
	}
	cfg, err := configs.get(m.Config.Digest, func() ([]byte, error) { return s.fetchConfig(ctx, m.Config) })
	if err != nil {
		return err
	}
	var oci ocispec.Image
	if err := json.Unmarshal(cfg, &oci); err != nil {
		return fmt.Errorf("malformed config %s: %w: %w", m.Config.Digest, err, errdefs.ErrInvalidArgument)
	}
	diffIDs := oci.RootFS.DiffIDs
	if len(diffIDs) != len(m.Layers) {
		return fmt.Errorf("config %s lists %d diff IDs for the %d layers of manifest %s: %w",
			m.Config.Digest, len(diffIDs), len(m.Layers), img.ManifestDigest, errdefs.ErrInvalidArgument)
	}
	img.Config, img.ConfigDigest = cfg, m.Config.Digest
	img.Layers = make([]Layer, len(m.Layers))
	for i, l := range m.Layers {
		if err := checkDescriptor(l, "layer"); err != nil {
			return fmt.Errorf("manifest %s: %w", img.ManifestDigest, err)
		}
		if err := diffIDs[i].Validate(); err != nil {
			return fmt.Errorf("config %s: diff ID %q: %w: %w", m.Config.Digest, diffIDs[i], err, errdefs.ErrInvalidArgument)
		}
		img.Layers[i] = Layer{Digest: l.Digest, Size: l.Size, MediaType: l.MediaType, DiffID: diffIDs[i]}
	}
	return nil
}

func (s *source) fetchConfig(ctx context.Context, d ocispec.Descriptor) ([]byte, error) {
	what := "config " + d.Digest.String()
	if d.Size > maxConfigSize {
		return nil, tooLarge(what, d.Size, maxConfigSize)
	}
	resp, err := s.get(ctx, "blobs", d.Digest.String(), "", d.Digest.String())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	defer resp.Body.Close()
	return s.readAll(resp, what, d.Digest, d.Size, maxConfigSize)
}
