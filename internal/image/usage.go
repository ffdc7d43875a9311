package image

import (
	"os"
	"path/filepath"

	bolt "go.etcd.io/bbolt"
)

// Usage is what the store takes on its filesystem.
type Usage struct {
	// Dir is the store's directory.
	Dir string
	// Bytes and Inodes count the unpacked layers and the metadata.
	Bytes, Inodes int64
}

// Usage sums the recorded sizes of the layers and the metadata file. It
// reads no layer directory, so it is cheap enough for kubelet's polling.
func (s *Store) Usage() (Usage, error) {
	u := Usage{Dir: s.dir}
	err := s.db.View(func(tx *bolt.Tx) error {
		return forEachLayer(tx, func(l *layer) error {
			u.Bytes += l.Bytes
			u.Inodes += l.Inodes
			return nil
		})
	})
	if fi, err := os.Stat(filepath.Join(s.dir, "meta.db")); err == nil {
		u.Bytes += fi.Size()
		u.Inodes++
	}
	return u, err
}
