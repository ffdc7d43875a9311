package image

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/opencontainers/go-digest"
	bolt "go.etcd.io/bbolt"
	"golang.org/x/sys/unix"

	"github.com/skiffrt/skiff/internal/errdefs"
	"github.com/skiffrt/skiff/internal/image/remote"
	"github.com/skiffrt/skiff/internal/image/unpack"
	"github.com/skiffrt/skiff/internal/log"
)

// ensureLayer makes sure layer l of rimg is unpacked and recorded; images
// pulled at once that share the layer unpack it once.
func (s *Store) ensureLayer(ctx context.Context, rimg *remote.Image, l remote.Layer) error {
	var rec *layer
	err := s.db.View(func(tx *bolt.Tx) (err error) {
		rec, err = getLayer(tx, l.DiffID)
		return err
	})
	if err != nil || rec != nil {
		return err
	}
	_, err, _ = s.layers.Do(l.DiffID.String(), func() (any, error) {
		return nil, s.unpackLayer(ctx, rimg, l)
	})
	return err
}

// unpackLayer fetches, verifies and unpacks l into tmp/, then moves it into
// place and records it in one transaction.
func (s *Store) unpackLayer(ctx context.Context, rimg *remote.Image, l remote.Layer) error {
	tmp, err := os.MkdirTemp(filepath.Join(s.dir, "tmp"), "layer-")
	if err != nil {
		return fmt.Errorf("layer %s: %w", l.Digest, err)
	}
	defer os.RemoveAll(tmp) // Gone already once the layer is in place.
	if err := os.Chmod(tmp, 0o755); err != nil {
		return err
	}
	usage, err := s.fetchInto(ctx, tmp, rimg, l)
	if err != nil {
		return fmt.Errorf("layer %s: %w", l.Digest, err)
	}
	// The record must not outlive the files through a power cut.
	if err := syncFS(tmp); err != nil {
		return fmt.Errorf("layer %s: %w", l.Digest, err)
	}
	rec := &layer{DiffID: l.DiffID, Digest: l.Digest, Bytes: usage.Bytes, Inodes: usage.Inodes}
	err = s.db.Update(func(tx *bolt.Tx) error {
		if have, err := getLayer(tx, l.DiffID); have != nil || err != nil {
			return err // Recorded meanwhile by another pull.
		}
		dst := s.layerDir(l.DiffID)
		if err := os.RemoveAll(dst); err != nil {
			return err
		}
		if err := os.Rename(tmp, dst); err != nil {
			return err
		}
		return putJSON(tx.Bucket(bucketLayers), l.DiffID.String(), rec)
	})
	if err != nil {
		return fmt.Errorf("record layer %s: %w", l.DiffID, err)
	}
	log.G(ctx).Debug("unpacked layer", "diff_id", l.DiffID, "bytes", usage.Bytes, "inodes", usage.Inodes)
	return nil
}

// fetchInto streams l's blob into dir, checking the blob's digest (the
// registry client's reader does) and the uncompressed diff ID.
func (s *Store) fetchInto(ctx context.Context, dir string, rimg *remote.Image, l remote.Layer) (unpack.Usage, error) {
	blob, err := s.registry.OpenLayer(ctx, rimg, l)
	if err != nil {
		return unpack.Usage{}, err
	}
	defer blob.Close()
	tarStream, err := unpack.Decompress(blob, l.MediaType)
	if err != nil {
		return unpack.Usage{}, err
	}
	defer tarStream.Close()
	diffID := digest.Canonical.Digester()
	tee := io.TeeReader(tarStream, diffID.Hash())
	usage, err := unpack.Apply(ctx, dir, tee)
	if err != nil {
		// Corrupt content usually breaks the archive before the blob's
		// end, where its digest is checked: if the digest is wrong, say so.
		if _, drainErr := io.Copy(io.Discard, blob); errors.Is(drainErr, remote.ErrDigestMismatch) {
			return unpack.Usage{}, drainErr
		}
		return unpack.Usage{}, err
	}
	// Read what the tar reader left: end-of-archive padding, then the
	// compressed stream's trailer, so that both digests cover everything.
	if _, err := io.Copy(io.Discard, tee); err != nil {
		return unpack.Usage{}, err
	}
	if _, err := io.Copy(io.Discard, blob); err != nil {
		return unpack.Usage{}, err
	}
	if got := diffID.Digest(); got != l.DiffID {
		return unpack.Usage{}, fmt.Errorf("%w: uncompressed content has digest %s, the image config says %s", errdefs.ErrInvalidArgument, got, l.DiffID)
	}
	return usage, nil
}

// syncFS flushes the filesystem that holds dir.
func syncFS(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := unix.Syncfs(int(f.Fd())); err != nil {
		return fmt.Errorf("syncfs %s: %w", dir, err)
	}
	return nil
}

// removeLayers moves the directories of layers no image uses any more out
// of layers/ within tx, and returns where they went, for removal after the
// transaction. A crash before that leaves them in tmp/, which Open empties.
func (s *Store) removeLayers(tx *bolt.Tx, diffIDs []digest.Digest) ([]string, error) {
	var trash []string
	for _, d := range diffIDs {
		if err := tx.Bucket(bucketLayers).Delete([]byte(d)); err != nil {
			return trash, err
		}
		dst, err := os.MkdirTemp(filepath.Join(s.dir, "tmp"), "removed-")
		if err != nil {
			return trash, err
		}
		trash = append(trash, dst)
		if err := os.Rename(s.layerDir(d), filepath.Join(dst, "layer")); err != nil && !errors.Is(err, os.ErrNotExist) {
			return trash, err
		}
	}
	return trash, nil
}
