package image

import (
	"encoding/json"
	"fmt"

	"github.com/opencontainers/go-digest"
	bolt "go.etcd.io/bbolt"
)

// The buckets of meta.db.
var (
	// bucketImages maps image ID → Image (JSON).
	bucketImages = []byte("images")
	// bucketNames maps a repo tag or repo digest → image ID.
	bucketNames = []byte("names")
	// bucketLayers maps diff ID → layer (JSON).
	bucketLayers = []byte("layers")
	// bucketConfigs maps image ID → the raw config blob.
	bucketConfigs = []byte("configs")
)

var allBuckets = [][]byte{bucketImages, bucketNames, bucketLayers, bucketConfigs}

func getJSON(b *bolt.Bucket, key string, v any) (bool, error) {
	raw := b.Get([]byte(key))
	if raw == nil {
		return false, nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return false, fmt.Errorf("decode record %s: %w", key, err)
	}
	return true, nil
}

func putJSON(b *bolt.Bucket, key string, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put([]byte(key), raw)
}

func getImage(tx *bolt.Tx, id digest.Digest) (*Image, error) {
	var img Image
	ok, err := getJSON(tx.Bucket(bucketImages), id.String(), &img)
	if !ok || err != nil {
		return nil, err
	}
	return &img, nil
}

func getLayer(tx *bolt.Tx, diffID digest.Digest) (*layer, error) {
	var l layer
	ok, err := getJSON(tx.Bucket(bucketLayers), diffID.String(), &l)
	if !ok || err != nil {
		return nil, err
	}
	return &l, nil
}

// forEachImage calls fn for every image record.
func forEachImage(tx *bolt.Tx, fn func(*Image) error) error {
	return forEach(tx, bucketImages, fn)
}

// forEachLayer calls fn for every layer record.
func forEachLayer(tx *bolt.Tx, fn func(*layer) error) error {
	return forEach(tx, bucketLayers, fn)
}

// forEach decodes every record of bucket into a new T and calls fn with it.
func forEach[T any](tx *bolt.Tx, bucket []byte, fn func(*T) error) error {
	return tx.Bucket(bucket).ForEach(func(k, v []byte) error {
		rec := new(T)
		if err := json.Unmarshal(v, rec); err != nil {
			return fmt.Errorf("decode %s record %s: %w", bucket, k, err)
		}
		return fn(rec)
	})
}
