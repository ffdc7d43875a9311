package image

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
	bolt "go.etcd.io/bbolt"
	"golang.org/x/sync/singleflight"

	"github.com/skiffrt/skiff/internal/image/remote"
	"github.com/skiffrt/skiff/internal/log"
)

// Registry is what the store needs from the registry client.
type Registry interface {
	Resolve(ctx context.Context, ref reference.Named, auth *remote.Auth) (*remote.Image, error)
	OpenLayer(ctx context.Context, img *remote.Image, l remote.Layer) (io.ReadCloser, error)
}

// Store holds images on disk. See the package documentation.
type Store struct {
	dir      string
	db       *bolt.DB
	registry Registry

	pulls  singleflight.Group // by normalised reference
	layers singleflight.Group // by diff ID
}

// Open opens the store in dir, creating it if needed, and removes what an
// earlier crash left half done.
func Open(ctx context.Context, dir string, registry Registry) (*Store, error) {
	for _, d := range []string{dir, filepath.Join(dir, "layers"), filepath.Join(dir, "tmp")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("create image store: %w", err)
		}
	}
	db, err := bolt.Open(filepath.Join(dir, "meta.db"), 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		return nil, fmt.Errorf("open image metadata %s: %w", filepath.Join(dir, "meta.db"), err)
	}
	s := &Store{dir: dir, db: db, registry: registry}
	if err := s.recover(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// Close closes the metadata database.
func (s *Store) Close() error { return s.db.Close() }

func (s *Store) layerDir(diffID digest.Digest) string {
	return filepath.Join(s.dir, "layers", diffID.Encoded())
}

// recover empties tmp/, brings the records back to what a completed
// operation leaves (see recoverRecords) and removes layer directories that
// have no record.
func (s *Store) recover(ctx context.Context) error {
	if err := emptyDir(filepath.Join(s.dir, "tmp")); err != nil {
		return fmt.Errorf("clean image store tmp: %w", err)
	}
	var recorded map[string]bool
	err := s.db.Update(func(tx *bolt.Tx) (err error) {
		recorded, err = s.recoverRecords(ctx, tx)
		return err
	})
	if err != nil {
		return fmt.Errorf("recover image metadata: %w", err)
	}
	entries, err := os.ReadDir(filepath.Join(s.dir, "layers"))
	if err != nil {
		return fmt.Errorf("recover image layers: %w", err)
	}
	for _, e := range entries {
		if !recorded[e.Name()] {
			log.G(ctx).Info("removing unrecorded image layer", "dir", e.Name())
			if err := os.RemoveAll(filepath.Join(s.dir, "layers", e.Name())); err != nil {
				return fmt.Errorf("remove unrecorded layer: %w", err)
			}
		}
	}
	return nil
}

// recoverRecords drops the records of layers whose directory is gone and
// of the images that need them, then the records of layers no image uses:
// a pull that a crash interrupted leaves those behind. It returns the
// directory names of the layers still recorded.
func (s *Store) recoverRecords(ctx context.Context, tx *bolt.Tx) (map[string]bool, error) {
	for _, b := range allBuckets {
		if _, err := tx.CreateBucketIfNotExists(b); err != nil {
			return nil, err
		}
	}
	present := map[digest.Digest]bool{}
	err := forEachLayer(tx, func(l *layer) error {
		_, err := os.Stat(s.layerDir(l.DiffID))
		present[l.DiffID] = err == nil
		return nil
	})
	if err != nil {
		return nil, err
	}
	var broken []*Image
	used := map[digest.Digest]bool{}
	err = forEachImage(tx, func(img *Image) error {
		if slices.ContainsFunc(img.Layers, func(d digest.Digest) bool { return !present[d] }) {
			broken = append(broken, img)
			return nil
		}
		for _, d := range img.Layers {
			used[d] = true
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, img := range broken {
		log.G(ctx).Warn("image lost a layer; removing it", log.KeyImage, img.ID)
		if err := deleteImage(tx, img); err != nil {
			return nil, err
		}
	}
	recorded := map[string]bool{}
	for d, ok := range present {
		switch {
		case !ok:
			log.G(ctx).Warn("image layer directory missing; dropping its record", "diff_id", d)
		case !used[d]:
			log.G(ctx).Info("dropping image layer no image uses", "diff_id", d)
		default:
			recorded[d.Encoded()] = true
			continue
		}
		if err := tx.Bucket(bucketLayers).Delete([]byte(d)); err != nil {
			return nil, err
		}
	}
	return recorded, nil
}

// emptyDir removes everything inside dir.
func emptyDir(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	var errs []error
	for _, e := range entries {
		errs = append(errs, os.RemoveAll(filepath.Join(dir, e.Name())))
	}
	return errors.Join(errs...)
}
