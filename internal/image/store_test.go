package image

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	bolt "go.etcd.io/bbolt"

	"github.com/skiffrt/skiff/internal/errdefs"
	"github.com/skiffrt/skiff/internal/image/remote"
)

// fakeRegistry serves images built in memory from uncompressed tar layers.
type fakeRegistry struct {
	mu     sync.Mutex
	images map[string]*remote.Image // by reference
	blobs  map[digest.Digest][]byte
	opened map[digest.Digest]int
}

func newFakeRegistry() *fakeRegistry {
	return &fakeRegistry{images: map[string]*remote.Image{}, blobs: map[digest.Digest][]byte{}, opened: map[digest.Digest]int{}}
}

// add serves an image under ref whose layers hold one file each, named
// and filled after the given strings, and returns it.
func (f *fakeRegistry) add(t *testing.T, ref string, user string, files ...string) *remote.Image {
	t.Helper()
	named, err := ParseRef(ref)
	if err != nil {
		t.Fatal(err)
	}
	img := &remote.Image{Ref: named, Endpoint: "fake://registry"}
	var cfg ocispec.Image
	cfg.Config.User = user
	for _, name := range files {
		var buf bytes.Buffer
		tw := tar.NewWriter(&buf)
		tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(name)), Typeflag: tar.TypeReg})
		tw.Write([]byte(name))
		tw.Close()
		d := digest.FromBytes(buf.Bytes())
		f.blobs[d] = buf.Bytes()
		img.Layers = append(img.Layers, remote.Layer{Digest: d, DiffID: d, Size: int64(buf.Len()), MediaType: ocispec.MediaTypeImageLayer})
		cfg.RootFS.DiffIDs = append(cfg.RootFS.DiffIDs, d)
	}
	img.Config, _ = json.Marshal(cfg)
	img.ConfigDigest = digest.FromBytes(img.Config)
	img.Manifest = []byte(fmt.Sprintf(`{"config":%q}`, img.ConfigDigest))
	img.ManifestDigest = digest.FromBytes(img.Manifest)
	img.Digest = img.ManifestDigest
	f.mu.Lock()
	f.images[named.String()] = img
	f.mu.Unlock()
	return img
}

func (f *fakeRegistry) Resolve(_ context.Context, ref reference.Named, _ *remote.Auth) (*remote.Image, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	img, ok := f.images[ref.String()]
	if !ok {
		return nil, fmt.Errorf("%s: %w", ref, errdefs.ErrNotFound)
	}
	return img, nil
}

func (f *fakeRegistry) OpenLayer(_ context.Context, _ *remote.Image, l remote.Layer) (io.ReadCloser, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.opened[l.Digest]++
	return io.NopCloser(bytes.NewReader(f.blobs[l.Digest])), nil
}

func openStore(t *testing.T, dir string, reg Registry) *Store {
	t.Helper()
	s, err := Open(context.Background(), dir, reg)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func pull(t *testing.T, s *Store, ref string) *Image {
	t.Helper()
	named, err := ParseRef(ref)
	if err != nil {
		t.Fatal(err)
	}
	img, err := s.Pull(context.Background(), named, nil)
	if err != nil {
		t.Fatalf("Pull %s: %v", ref, err)
	}
	return img
}

func TestPullRecordsNamesAndLayers(t *testing.T) {
	reg := newFakeRegistry()
	a := reg.add(t, "example.com/app:v1", "1000:1000", "a", "b")
	reg.images["example.com/app:latest"] = a
	s := openStore(t, t.TempDir(), reg)

	img := pull(t, s, "example.com/app:v1")
	pull(t, s, "example.com/app") // Another tag of the same image.
	got, err := s.Get(img.ID.String())
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"example.com/app:latest", "example.com/app:v1"}; !reflect.DeepEqual(got.RepoTags, want) {
		t.Errorf("RepoTags = %v, want %v", got.RepoTags, want)
	}
	if want := []string{"example.com/app@" + a.Digest.String()}; !reflect.DeepEqual(got.RepoDigests, want) {
		t.Errorf("RepoDigests = %v, want %v", got.RepoDigests, want)
	}
	if uid, ok := got.UID(); !ok || uid != 1000 {
		t.Errorf("UID = %d, %v", uid, ok)
	}
	dirs, err := s.LayerDirs(img.ID)
	if err != nil || len(dirs) != 2 {
		t.Fatalf("LayerDirs = %v, %v", dirs, err)
	}
	// Topmost first: "b" is the upper layer.
	if b, err := os.ReadFile(filepath.Join(dirs[0], "b")); err != nil || string(b) != "b" {
		t.Errorf("upper layer dir %s: %q, %v", dirs[0], b, err)
	}
}

func TestTagMovesToNewImage(t *testing.T) {
	reg := newFakeRegistry()
	old := reg.add(t, "example.com/app:latest", "", "v1")
	s := openStore(t, t.TempDir(), reg)
	first := pull(t, s, "example.com/app:latest")

	reg.add(t, "example.com/app:latest", "", "v2") // The tag now names a new image.
	second := pull(t, s, "example.com/app:latest")
	if second.ID == first.ID {
		t.Fatal("the new image has the old ID")
	}
	prev, err := s.Get(first.ID.String())
	if err != nil {
		t.Fatal(err)
	}
	if len(prev.RepoTags) != 0 || !reflect.DeepEqual(prev.RepoDigests, []string{"example.com/app@" + old.Digest.String()}) {
		t.Errorf("old image keeps tags %v digests %v; want no tag, its digest", prev.RepoTags, prev.RepoDigests)
	}
	if cur, _ := s.Get("example.com/app:latest"); cur == nil || cur.ID != second.ID {
		t.Errorf("tag resolves to %v, want %s", cur, second.ID)
	}
}

func TestRemoveFreesOnlyUnusedLayers(t *testing.T) {
	reg := newFakeRegistry()
	reg.add(t, "example.com/a:1", "", "base", "a")
	reg.add(t, "example.com/b:1", "", "base", "b")
	dir := t.TempDir()
	s := openStore(t, dir, reg)
	a := pull(t, s, "example.com/a:1")
	pull(t, s, "example.com/b:1")

	if err := s.Remove(context.Background(), "example.com/b:1", unused); err != nil {
		t.Fatal(err)
	}
	if err := s.Remove(context.Background(), "example.com/b:1", unused); err != nil {
		t.Fatalf("second Remove: %v", err)
	}
	layers, _ := os.ReadDir(filepath.Join(dir, "layers"))
	if len(layers) != 2 {
		t.Errorf("layers left: %d, want the 2 of example.com/a", len(layers))
	}
	if _, err := s.LayerDirs(a.ID); err != nil {
		t.Error(err)
	}
	if tmp, _ := os.ReadDir(filepath.Join(dir, "tmp")); len(tmp) != 0 {
		t.Errorf("tmp/ holds %d entries after Remove", len(tmp))
	}
}

func TestConcurrentPullsShareLayers(t *testing.T) {
	reg := newFakeRegistry()
	reg.add(t, "example.com/a:1", "", "base", "a")
	reg.add(t, "example.com/b:1", "", "base", "b")
	s := openStore(t, t.TempDir(), reg)
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pull(t, s, []string{"example.com/a:1", "example.com/b:1"}[i%2])
		}()
	}
	wg.Wait()
	for d, n := range reg.opened {
		if n != 1 {
			t.Errorf("layer %s opened %d times, want once", d, n)
		}
	}
}

func TestPullRejectsWrongDiffID(t *testing.T) {
	reg := newFakeRegistry()
	img := reg.add(t, "example.com/bad:1", "", "x")
	img.Layers[0].DiffID = digest.FromString("something else")
	dir := t.TempDir()
	s := openStore(t, dir, reg)
	named, _ := ParseRef("example.com/bad:1")
	if _, err := s.Pull(context.Background(), named, nil); !errdefs.IsInvalidArgument(err) {
		t.Fatalf("Pull = %v, want an InvalidArgument error", err)
	}
	for _, sub := range []string{"layers", "tmp"} {
		if left, _ := os.ReadDir(filepath.Join(dir, sub)); len(left) != 0 {
			t.Errorf("%s/ holds %d entries after a failed pull", sub, len(left))
		}
	}
}

func TestOpenRecoversFromCrash(t *testing.T) {
	reg := newFakeRegistry()
	reg.add(t, "example.com/a:1", "", "base", "a")
	reg.add(t, "example.com/b:1", "", "other")
	dir := t.TempDir()
	s := openStore(t, dir, reg)
	a := pull(t, s, "example.com/a:1")
	b := pull(t, s, "example.com/b:1")
	// A pull that a crash interrupts has recorded layers but no image.
	reg.add(t, "example.com/c:1", "", "interrupted")
	c := pull(t, s, "example.com/c:1")
	if err := s.db.Update(func(tx *bolt.Tx) error { return deleteImage(tx, c) }); err != nil {
		t.Fatal(err)
	}
	s.Close()

	// What a crash can also leave: a half-unpacked layer in tmp/, a layer
	// directory renamed into place but never recorded, and a recorded
	// layer whose directory is gone.
	os.MkdirAll(filepath.Join(dir, "tmp", "layer-123", "etc"), 0o755)
	os.MkdirAll(filepath.Join(dir, "layers", digest.FromString("orphan").Encoded()), 0o755)
	os.RemoveAll(filepath.Join(dir, "layers", a.Layers[1].Encoded()))

	s = openStore(t, dir, reg)
	if tmp, _ := os.ReadDir(filepath.Join(dir, "tmp")); len(tmp) != 0 {
		t.Errorf("tmp/ not emptied")
	}
	if _, err := os.Stat(filepath.Join(dir, "layers", digest.FromString("orphan").Encoded())); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("unrecorded layer kept: %v", err)
	}
	if _, err := s.Get("example.com/a:1"); !errdefs.IsNotFound(err) {
		t.Errorf("image with a lost layer: Get = %v, want NotFound", err)
	}
	if _, err := s.Get(b.ID.String()); err != nil {
		t.Errorf("intact image lost: %v", err)
	}
	// Left: b's layer. Gone: a's layers (one lost, one no longer used)
	// and the interrupted pull's.
	want := []string{b.Layers[0].Encoded()}
	if got := dirNames(t, filepath.Join(dir, "layers")); !reflect.DeepEqual(got, want) {
		t.Errorf("layers/ holds %v, want %v", got, want)
	}
	if n := countLayerRecords(t, s); n != 1 {
		t.Errorf("%d layer records, want 1", n)
	}
	// Pulling the broken image again restores it.
	pull(t, s, "example.com/a:1")
	if dirs, err := s.LayerDirs(a.ID); err != nil || len(dirs) != 2 {
		t.Errorf("LayerDirs after re-pull = %v, %v", dirs, err)
	}
}

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func countLayerRecords(t *testing.T, s *Store) int {
	t.Helper()
	n := 0
	err := s.db.View(func(tx *bolt.Tx) error {
		return forEachLayer(tx, func(*layer) error { n++; return nil })
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestGetByIDPrefix(t *testing.T) {
	reg := newFakeRegistry()
	reg.add(t, "example.com/a:1", "", "a")
	s := openStore(t, t.TempDir(), reg)
	img := pull(t, s, "example.com/a:1")
	for _, name := range []string{img.ID.String(), img.ID.Encoded(), img.ID.Encoded()[:12], "sha256:" + img.ID.Encoded()[:3]} {
		got, err := s.Get(name)
		if err != nil || got.ID != img.ID {
			t.Errorf("Get(%q) = %v, %v", name, got, err)
		}
	}
	if _, err := s.Get("sha256:" + digest.FromString("none").Encoded()); !errdefs.IsNotFound(err) {
		t.Errorf("Get(unknown ID) = %v, want NotFound", err)
	}
}

func TestUsageCountsLayers(t *testing.T) {
	reg := newFakeRegistry()
	reg.add(t, "example.com/a:1", "", "a", "b")
	s := openStore(t, t.TempDir(), reg)
	before, err := s.Usage()
	if err != nil {
		t.Fatal(err)
	}
	pull(t, s, "example.com/a:1")
	after, _ := s.Usage()
	if after.Inodes != before.Inodes+2 || after.Bytes <= before.Bytes {
		t.Errorf("usage %+v after pulling 2 one-file layers; before %+v", after, before)
	}
}

// unused says no container uses any image.
func unused(digest.Digest) (string, bool) { return "", false }

func TestRemoveRefusesImageInUse(t *testing.T) {
	reg := newFakeRegistry()
	reg.add(t, "example.com/a:1", "", "a")
	s := openStore(t, t.TempDir(), reg)
	img := pull(t, s, "example.com/a:1")
	err := s.Remove(context.Background(), "example.com/a:1", func(id digest.Digest) (string, bool) { return "ctr-1", id == img.ID })
	if !errors.Is(err, errdefs.ErrFailedPrecondition) || !strings.Contains(err.Error(), "ctr-1") {
		t.Fatalf("Remove of an image in use = %v, want FailedPrecondition naming the container", err)
	}
	if _, err := s.Get(img.ID.String()); err != nil {
		t.Errorf("refused removal lost the image: %v", err)
	}
}
