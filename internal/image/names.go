package image

import (
	"slices"

	"github.com/opencontainers/go-digest"
	bolt "go.etcd.io/bbolt"
)

// addName points name at img, taking it from the image that had it.
func addName(tx *bolt.Tx, img *Image, name string) error {
	names := tx.Bucket(bucketNames)
	if prev := digest.Digest(names.Get([]byte(name))); prev != "" && prev != img.ID {
		old, err := getImage(tx, prev)
		if err != nil {
			return err
		}
		if old != nil {
			old.RepoTags = slices.DeleteFunc(old.RepoTags, func(n string) bool { return n == name })
			old.RepoDigests = slices.DeleteFunc(old.RepoDigests, func(n string) bool { return n == name })
			if err := putJSON(tx.Bucket(bucketImages), old.ID.String(), old); err != nil {
				return err
			}
		}
	}
	list := &img.RepoTags
	if isDigestName(name) {
		list = &img.RepoDigests
	}
	if !slices.Contains(*list, name) {
		*list = append(*list, name)
		slices.Sort(*list)
	}
	return names.Put([]byte(name), []byte(img.ID))
}

// deleteImage removes img's record, its names and its config.
func deleteImage(tx *bolt.Tx, img *Image) error {
	names := tx.Bucket(bucketNames)
	for _, n := range img.names() {
		if digest.Digest(names.Get([]byte(n))) == img.ID {
			if err := names.Delete([]byte(n)); err != nil {
				return err
			}
		}
	}
	if err := tx.Bucket(bucketConfigs).Delete([]byte(img.ID)); err != nil {
		return err
	}
	return tx.Bucket(bucketImages).Delete([]byte(img.ID))
}
