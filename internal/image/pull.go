package image

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/distribution/reference"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	bolt "go.etcd.io/bbolt"
	"golang.org/x/sync/errgroup"

	"github.com/skiffrt/skiff/internal/errdefs"
	"github.com/skiffrt/skiff/internal/image/remote"
	"github.com/skiffrt/skiff/internal/log"
)

// maxParallelLayers bounds the layers of one pull fetched at once.
const maxParallelLayers = 3

// errLayerGone means a layer a pull relied on was removed before the pull
// recorded its image; the pull fetches it again.
var errLayerGone = errors.New("layer removed during pull")

// Pull fetches ref with the credentials auth (nil for anonymous) and
// records it. Concurrent pulls of one reference with the same credentials
// share one pull. The pull goes on when ctx ends, so that a retry finds it
// done; the registry client's progress timeout bounds it.
func (s *Store) Pull(ctx context.Context, ref reference.Named, auth *remote.Auth) (*Image, error) {
	ctx = log.WithAttrs(ctx, log.KeyImage, ref.String())
	ch := s.pulls.DoChan(pullKey(ref, auth), func() (any, error) {
		return s.pull(context.WithoutCancel(ctx), ref, auth)
	})
	select {
	case <-ctx.Done():
		return nil, fmt.Errorf("pull %s: %w", ref, ctx.Err())
	case r := <-ch:
		if r.Err != nil {
			return nil, r.Err
		}
		img := *r.Val.(*Image)
		return &img, nil
	}
}

// pullKey identifies a pull: the reference and a hash of the credentials.
func pullKey(ref reference.Named, auth *remote.Auth) string {
	key := ref.String()
	if auth != nil {
		raw, _ := json.Marshal(auth)
		sum := sha256.Sum256(raw)
		key += "\x00" + hex.EncodeToString(sum[:])
	}
	return key
}

func (s *Store) pull(ctx context.Context, ref reference.Named, auth *remote.Auth) (*Image, error) {
	start := time.Now()
	rimg, err := s.registry.Resolve(ctx, ref, auth)
	if err != nil {
		return nil, err
	}
	var cfg ocispec.Image
	if err := json.Unmarshal(rimg.Config, &cfg); err != nil {
		return nil, fmt.Errorf("%w: pull %s: config %s: %v", errdefs.ErrInvalidArgument, ref, rimg.ConfigDigest, err)
	}
	for attempt := 0; ; attempt++ {
		if err := s.ensureLayers(ctx, rimg); err != nil {
			return nil, fmt.Errorf("pull %s: %w", ref, err)
		}
		img, err := s.commit(ref, rimg, cfg.Config.User)
		if errors.Is(err, errLayerGone) && attempt < 3 {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("pull %s: record image: %w", ref, err)
		}
		log.G(ctx).Info("pulled image", "id", img.ID, "from", rimg.Endpoint, "layers", len(img.Layers), "size", img.Size, "duration", time.Since(start))
		return img, nil
	}
}

// ensureLayers makes sure every layer of rimg is unpacked and recorded.
func (s *Store) ensureLayers(ctx context.Context, rimg *remote.Image) error {
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(maxParallelLayers)
	for _, l := range rimg.Layers {
		g.Go(func() error { return s.ensureLayer(ctx, rimg, l) })
	}
	return g.Wait()
}

// commit records rimg under ref's names in one transaction, moving names
// that pointed to other images. It fails with errLayerGone if a layer's
// record has gone.
func (s *Store) commit(ref reference.Named, rimg *remote.Image, user string) (*Image, error) {
	var img *Image
	err := s.db.Update(func(tx *bolt.Tx) error {
		var size int64
		for _, l := range rimg.Layers {
			rec, err := getLayer(tx, l.DiffID)
			if err != nil {
				return err
			}
			if rec == nil {
				return errLayerGone
			}
			size += rec.Bytes
		}
		var err error
		if img, err = getImage(tx, rimg.ConfigDigest); err != nil {
			return err
		}
		if img == nil {
			img = &Image{ID: rimg.ConfigDigest}
		}
		img.Layers = img.Layers[:0]
		for _, l := range rimg.Layers {
			img.Layers = append(img.Layers, l.DiffID)
		}
		img.Size, img.User, img.Pulled = size, user, time.Now().UTC()
		img.ManifestDigest, img.ManifestMediaType = rimg.ManifestDigest, rimg.MediaType
		if tag := repoTag(ref); tag != "" {
			if err := addName(tx, img, tag); err != nil {
				return err
			}
		}
		if err := addName(tx, img, repoDigest(ref, rimg.Digest)); err != nil {
			return err
		}
		if err := tx.Bucket(bucketConfigs).Put([]byte(img.ID), rimg.Config); err != nil {
			return err
		}
		return putJSON(tx.Bucket(bucketImages), img.ID.String(), img)
	})
	return img, err
}
