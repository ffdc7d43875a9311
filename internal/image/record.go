package image

import (
	"strconv"
	"strings"
	"time"

	"github.com/opencontainers/go-digest"
)

// Image is the record of one image, keyed by ID. Records are values: the
// store hands out copies.
type Image struct {
	// ID is the digest of the image's config blob.
	ID digest.Digest `json:"id"`
	// RepoTags are name:tag references to the image, sorted.
	RepoTags []string `json:"repoTags,omitempty"`
	// RepoDigests are name@digest references to the image, sorted.
	RepoDigests []string `json:"repoDigests,omitempty"`
	// Layers are the diff IDs of the image's layers, lowest first.
	Layers []digest.Digest `json:"layers"`
	// Size is the bytes the image's layers take on disk.
	Size int64 `json:"size"`
	// User is the config's default user, "uid[:gid]" or "name[:group]".
	User string `json:"user,omitempty"`
	// ManifestDigest and ManifestMediaType describe the platform manifest.
	ManifestDigest    digest.Digest `json:"manifestDigest"`
	ManifestMediaType string        `json:"manifestMediaType"`
	// Pulled is when the image was last pulled.
	Pulled time.Time `json:"pulled"`
}

// UID returns the numeric user of the image's config, if it names one.
func (img *Image) UID() (int64, bool) {
	user, _, _ := strings.Cut(img.User, ":")
	uid, err := strconv.ParseInt(user, 10, 64)
	return uid, err == nil && uid >= 0
}

// Username returns the user name of the image's config, if it names one
// rather than a uid.
func (img *Image) Username() string {
	if _, ok := img.UID(); ok {
		return ""
	}
	user, _, _ := strings.Cut(img.User, ":")
	return user
}

// layer is the record of one unpacked layer, keyed by diff ID.
type layer struct {
	DiffID digest.Digest `json:"diffID"`
	// Digest is the compressed blob's digest it was unpacked from.
	Digest digest.Digest `json:"digest"`
	// Bytes and Inodes are what the unpacked directory takes.
	Bytes  int64 `json:"bytes"`
	Inodes int64 `json:"inodes"`
}
