package testimage

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"path"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Epoch is the time stamped on every file, layer history entry and image
// config, so that builds are reproducible.
var Epoch = time.Date(2024, time.January, 1, 0, 0, 0, 0, time.UTC)

// entry is one tar member of a layer. Names are relative to the root,
// without a leading slash; directories end without a slash.
type entry struct {
	name string
	typ  byte // tar.TypeReg, TypeDir, TypeSymlink, TypeLink
	mode int64
	uid  int
	gid  int
	data []byte
	link string // symlink target, or hard link target (a name in the layer)
}

func dir(name string, mode int64) entry {
	return entry{name: name, typ: tar.TypeDir, mode: mode}
}

func file(name string, mode int64, data string) entry {
	return entry{name: name, typ: tar.TypeReg, mode: mode, data: []byte(data)}
}

func blob(name string, mode int64, data []byte) entry {
	return entry{name: name, typ: tar.TypeReg, mode: mode, data: data}
}

func symlink(name, target string) entry {
	return entry{name: name, typ: tar.TypeSymlink, mode: 0o777, link: target}
}

func hardlink(name, target string) entry {
	return entry{name: name, typ: tar.TypeLink, mode: 0o755, link: target}
}

// owned returns e owned by uid:gid.
func (e entry) owned(uid, gid int) entry {
	e.uid, e.gid = uid, gid
	return e
}

// tarBytes writes the entries, in the given order, as an uncompressed tar.
func tarBytes(entries []entry) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		if err := writeEntry(tw, e); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("close tar: %w", err)
	}
	return buf.Bytes(), nil
}

func writeEntry(tw *tar.Writer, e entry) error {
	name := path.Clean(e.name)
	if e.typ == tar.TypeDir {
		name += "/"
	}
	hdr := &tar.Header{
		Typeflag: e.typ,
		Name:     name,
		Linkname: e.link,
		Mode:     e.mode,
		Uid:      e.uid,
		Gid:      e.gid,
		ModTime:  Epoch,
	}
	if e.typ == tar.TypeReg {
		hdr.Size = int64(len(e.data))
	}
	if err := tw.WriteHeader(hdr); err != nil {
		return fmt.Errorf("tar header %s: %w", name, err)
	}
	if _, err := tw.Write(e.data); err != nil {
		return fmt.Errorf("tar data %s: %w", name, err)
	}
	return nil
}

// newLayer wraps an uncompressed tar as a gzip layer of the given media
// type. The compressed form is computed once and cached.
func newLayer(raw []byte, mt types.MediaType) (v1.Layer, error) {
	opener := func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(raw)), nil
	}
	l, err := tarball.LayerFromOpener(opener, tarball.WithMediaType(mt), tarball.WithCompressedCaching)
	if err != nil {
		return nil, fmt.Errorf("make layer: %w", err)
	}
	return l, nil
}
