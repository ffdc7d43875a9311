package image

import (
	"bytes"
	"fmt"
	"sort"
	"strings"

	"github.com/opencontainers/go-digest"
	bolt "go.etcd.io/bbolt"

	"github.com/skiffrt/skiff/internal/errdefs"
)

// Get returns the image that name refers to: an image ID ("sha256:…"), a
// repo tag or digest in any form ParseRef accepts ("busybox"), or a unique
// prefix of an image ID. An unknown name is errdefs.ErrNotFound.
func (s *Store) Get(name string) (*Image, error) {
	var img *Image
	err := s.db.View(func(tx *bolt.Tx) (err error) {
		img, err = lookup(tx, name)
		return err
	})
	return img, err
}

// lookup resolves name to an image within tx. A name that is neither a
// reference nor an image ID (or a prefix of one) is
// errdefs.ErrInvalidArgument.
func lookup(tx *bolt.Tx, name string) (*Image, error) {
	d, derr := digest.Parse(name)
	if derr == nil {
		if img, err := getImage(tx, d); img != nil || err != nil {
			return img, err
		}
	}
	ref, rerr := ParseRef(name)
	if rerr == nil {
		if id := tx.Bucket(bucketNames).Get([]byte(IndexName(ref))); id != nil {
			return getImage(tx, digest.Digest(id))
		}
	}
	hex, isPrefix := idPrefix(name)
	switch {
	case isPrefix:
		return lookupPrefix(tx, hex, name)
	case derr != nil && rerr != nil:
		return nil, rerr // ParseRef's error: invalid argument, naming the reference
	}
	return nil, fmt.Errorf("image %q: %w", name, errdefs.ErrNotFound)
}

// lookupPrefix finds the one image whose ID's hex starts with hex.
func lookupPrefix(tx *bolt.Tx, hex, name string) (*Image, error) {
	prefix := []byte(digest.Canonical.String() + ":" + hex)
	c := tx.Bucket(bucketImages).Cursor()
	k, _ := c.Seek(prefix)
	if k == nil || !bytes.HasPrefix(k, prefix) {
		return nil, fmt.Errorf("image %q: %w", name, errdefs.ErrNotFound)
	}
	if k2, _ := c.Next(); k2 != nil && bytes.HasPrefix(k2, prefix) {
		return nil, fmt.Errorf("%w: image ID prefix %q is ambiguous", errdefs.ErrInvalidArgument, name)
	}
	return getImage(tx, digest.Digest(k))
}

// List returns every image, sorted by ID, or only the one that filter
// names when filter is not empty.
func (s *Store) List(filter string) ([]*Image, error) {
	if filter != "" {
		img, ok, err := errdefs.Found(s.Get(filter))
		if !ok {
			return nil, err
		}
		return []*Image{img}, nil
	}
	var all []*Image
	err := s.db.View(func(tx *bolt.Tx) error {
		return forEachImage(tx, func(img *Image) error {
			all = append(all, img)
			return nil
		})
	})
	sort.Slice(all, func(i, j int) bool { return all[i].ID < all[j].ID })
	return all, err
}

// Config returns the raw config blob of image id.
func (s *Store) Config(id digest.Digest) ([]byte, error) {
	var cfg []byte
	err := s.db.View(func(tx *bolt.Tx) error {
		raw := tx.Bucket(bucketConfigs).Get([]byte(id))
		if raw == nil {
			return fmt.Errorf("config of image %s: %w", id, errdefs.ErrNotFound)
		}
		cfg = bytes.Clone(raw)
		return nil
	})
	return cfg, err
}

// LayerDirs returns the unpacked layer directories of image id, topmost
// first, as overlayfs's lowerdir option lists them.
func (s *Store) LayerDirs(id digest.Digest) ([]string, error) {
	img, err := s.Get(id.String())
	if err != nil {
		return nil, err
	}
	dirs := make([]string, len(img.Layers))
	for i, l := range img.Layers {
		dirs[len(img.Layers)-1-i] = s.layerDir(l)
	}
	return dirs, nil
}

// names returns the names of img that index it.
func (img *Image) names() []string {
	return append(append([]string(nil), img.RepoTags...), img.RepoDigests...)
}

// isDigestName reports whether a name is a repo digest.
func isDigestName(name string) bool { return strings.Contains(name, "@") }
