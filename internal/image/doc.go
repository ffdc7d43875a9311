// Package image is skiff's image store: it pulls images from registries
// (through package remote), keeps each layer unpacked once in a directory
// ready to be an overlayfs lowerdir (through package unpack), and records
// images, their names and their layers in a bbolt database.
//
// # Layout under the store's directory
//
//	meta.db                 bbolt: images, names, layers, config blobs
//	layers/<diffid-hex>/    one unpacked layer, an overlay lowerdir
//	tmp/                    layers being unpacked; emptied at every Open
//
// A layer is keyed by its diff ID (the digest of its uncompressed tar):
// whiteouts are converted to overlayfs form when it is unpacked, so a layer
// directory does not depend on the layers below it and is shared by every
// image that has that layer, in any position.
//
// # Crash consistency
//
// A layer is unpacked into tmp/, verified (compressed digest and diff ID),
// renamed into layers/ and only then recorded; an image is recorded, with
// its names, in one transaction after all its layers. A pull that fails
// keeps the layers it finished, so that a retry resumes. Open removes what
// a crash can leave: tmp/, layer directories without a record, records of
// layers whose directory is gone and the images that use them, and the
// layers no image uses, which an interrupted or failed pull leaves.
//
// # Concurrency
//
// Store is safe for concurrent use. Concurrent pulls of one reference share
// one pull; concurrent pulls of images sharing a layer unpack it once.
// Pulls and removals need no store-wide lock: a pull's final transaction
// checks that every layer it relies on is still recorded and re-fetches
// any that a concurrent removal took away.
package image
