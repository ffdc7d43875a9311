package testimage

import (
	"archive/tar"
	"errors"
	"io"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
)

var (
	allOnce   sync.Once
	allImages []Image
	allErr    error
	busybox   string
)

// testImages builds the image set once per test binary from the real
// busybox (hack/busybox.sh or $SKIFF_BUSYBOX).
func testImages(t *testing.T) []Image {
	t.Helper()
	allOnce.Do(func() {
		busybox, allErr = BusyboxPath()
		if allErr == nil {
			allImages, allErr = All(busybox)
		}
	})
	if allErr != nil {
		t.Fatalf("build test images: %v", allErr)
	}
	return allImages
}

// hostImage returns the image ref names for this host's platform.
func hostImage(t *testing.T, ref string) v1.Image {
	t.Helper()
	img, err := Find(testImages(t), ref)
	if err != nil {
		t.Fatal(err)
	}
	if img.Img != nil {
		return img.Img
	}
	im, err := img.Index.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range im.Manifests {
		if d.Platform != nil && d.Platform.Architecture == runtime.GOARCH {
			i, err := img.Index.Image(d.Digest)
			if err != nil {
				t.Fatal(err)
			}
			return i
		}
	}
	t.Fatalf("%s: no %s image in the index", ref, runtime.GOARCH)
	return nil
}

// fsEntry is one file of a flattened image.
type fsEntry struct {
	hdr  *tar.Header
	data string
}

// flatten returns the merged root filesystem of img, keyed by absolute
// path, as ggcr's mutate.Extract applies whiteouts.
func flatten(t *testing.T, img v1.Image) map[string]fsEntry {
	t.Helper()
	rc := mutate.Extract(img)
	defer rc.Close()
	fs := map[string]fsEntry{}
	tr := tar.NewReader(rc)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return fs
		}
		if err != nil {
			t.Fatalf("read flattened image: %v", err)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		fs["/"+strings.TrimSuffix(filepath.Clean(hdr.Name), "/")] = fsEntry{hdr: hdr, data: string(data)}
	}
}

// extract writes the merged root filesystem of img under dir, keeping
// modes, setuid bits and ownership (the caller must be root), and adds
// /dev/null. Hard links are made last, once their targets exist.
func extract(t *testing.T, img v1.Image, dir string) {
	t.Helper()
	paths := flatten(t, img)
	names := slices.Sorted(maps.Keys(paths))
	for _, name := range names {
		if e := paths[name]; e.hdr.Typeflag != tar.TypeLink {
			extractEntry(t, dir, name, e)
		}
	}
	// A container has /dev/null; background jobs of sh need it.
	mkdir(t, filepath.Join(dir, "dev"))
	if err := syscall.Mknod(filepath.Join(dir, "dev/null"), syscall.S_IFCHR|0o666, 1<<8|3); err != nil {
		t.Fatalf("mknod /dev/null: %v", err)
	}
	for _, name := range names {
		if e := paths[name]; e.hdr.Typeflag == tar.TypeLink {
			if err := os.Link(filepath.Join(dir, e.hdr.Linkname), filepath.Join(dir, name)); err != nil {
				t.Fatalf("extract %s: %v", name, err)
			}
		}
	}
}

func extractEntry(t *testing.T, dir, name string, e fsEntry) {
	t.Helper()
	p := filepath.Join(dir, name)
	mkdir(t, filepath.Dir(p))
	var err error
	switch e.hdr.Typeflag {
	case tar.TypeDir:
		err = os.MkdirAll(p, 0o755)
	case tar.TypeSymlink:
		err = os.Symlink(e.hdr.Linkname, p)
	default:
		err = os.WriteFile(p, []byte(e.data), 0o600)
	}
	if err != nil {
		t.Fatalf("extract %s: %v", name, err)
	}
	if e.hdr.Typeflag == tar.TypeSymlink {
		return
	}
	// chown before chmod: chown clears setuid bits.
	if err := os.Chown(p, e.hdr.Uid, e.hdr.Gid); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, e.hdr.FileInfo().Mode()); err != nil {
		t.Fatal(err)
	}
}

func mkdir(t *testing.T, p string) {
	t.Helper()
	if err := os.MkdirAll(p, 0o755); err != nil {
		t.Fatal(err)
	}
}

// layerEntries lists the tar headers of one layer.
func layerEntries(t *testing.T, l v1.Layer) []*tar.Header {
	t.Helper()
	rc, err := l.Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	var out []*tar.Header
	tr := tar.NewReader(rc)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, hdr)
	}
}
