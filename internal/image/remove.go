package image

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/opencontainers/go-digest"
	bolt "go.etcd.io/bbolt"

	"github.com/skiffrt/skiff/internal/errdefs"
	"github.com/skiffrt/skiff/internal/log"
)

// InUse tells whether a container uses image id, and names it.
type InUse func(id digest.Digest) (container string, used bool)

// Remove removes the image that name refers to, with all its names, as
// the CRI asks: removing an image by one of its tags removes the image.
// Layers no other image uses are deleted. Removing an absent image is not
// an error; removing one that inUse says a container uses is
// errdefs.ErrFailedPrecondition, since its layers are that container's
// root filesystem.
func (s *Store) Remove(ctx context.Context, name string, inUse InUse) error {
	var trash []string
	var removed *Image
	err := s.db.Update(func(tx *bolt.Tx) error {
		img, ok, err := errdefs.Found(lookup(tx, name))
		if !ok {
			return err
		}
		if c, used := inUse(img.ID); used {
			return fmt.Errorf("%w: image %s is used by container %s", errdefs.ErrFailedPrecondition, img.ID, c)
		}
		if err := deleteImage(tx, img); err != nil {
			return err
		}
		unused, err := unusedLayers(tx, img.Layers)
		if err != nil {
			return err
		}
		trash, err = s.removeLayers(tx, unused)
		removed = img
		return err
	})
	var errs []error
	for _, t := range trash {
		errs = append(errs, os.RemoveAll(t))
	}
	if err != nil {
		return fmt.Errorf("remove image %q: %w", name, err)
	}
	if removed != nil {
		log.G(ctx).Info("removed image", "id", removed.ID, "tags", removed.RepoTags, "freed_layers", len(trash))
	}
	if err := errors.Join(errs...); err != nil {
		log.G(ctx).Warn("removed image, but not all its layer files", log.KeyError, err)
	}
	return nil
}

// unusedLayers returns those of layers that no remaining image uses.
func unusedLayers(tx *bolt.Tx, layers []digest.Digest) ([]digest.Digest, error) {
	candidates := map[digest.Digest]bool{}
	for _, l := range layers {
		candidates[l] = true
	}
	err := forEachImage(tx, func(img *Image) error {
		for _, l := range img.Layers {
			delete(candidates, l)
		}
		return nil
	})
	var unused []digest.Digest
	for _, l := range layers {
		if candidates[l] {
			unused = append(unused, l)
			delete(candidates, l) // An image may list a layer twice.
		}
	}
	return unused, err
}
