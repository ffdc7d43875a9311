package testimage

import (
	"archive/tar"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/types"
)

func TestLayeredLayersHaveWhiteouts(t *testing.T) {
	img := hostImage(t, LayeredRef)
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	if len(layers) != 4 {
		t.Fatalf("%d layers, want 4", len(layers))
	}
	var names []string
	for _, h := range layerEntries(t, layers[2]) {
		names = append(names, h.Name)
	}
	for _, want := range []string{"data/.wh.remove.txt", "data/.wh.gone", "data/opaque/.wh..wh..opq"} {
		if !contains(names, want) {
			t.Errorf("layer 3 has no %s: %v", want, names)
		}
	}
	for i, l := range layers {
		mt, err := l.MediaType()
		if err != nil || mt != types.OCILayer {
			t.Errorf("layer %d media type %s (%v), want %s", i, mt, err, types.OCILayer)
		}
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if len(cf.History) != 5 || !cf.History[2].EmptyLayer {
		t.Errorf("history %+v: want 5 entries, the third without a layer", cf.History)
	}
}

func TestLayeredMerged(t *testing.T) {
	fs := flatten(t, hostImage(t, LayeredRef))
	for path, want := range LayeredFiles {
		e, ok := fs[path]
		if !ok {
			t.Errorf("%s missing", path)
			continue
		}
		got := e.data
		if e.hdr.Typeflag == tar.TypeLink {
			got = fs["/"+e.hdr.Linkname].data
		}
		if got != want {
			t.Errorf("%s = %q, want %q", path, got, want)
		}
	}
	for path, target := range LayeredSymlinks {
		if e := fs[path]; e.hdr == nil || e.hdr.Typeflag != tar.TypeSymlink || e.hdr.Linkname != target {
			t.Errorf("%s: want a symlink to %s, got %+v", path, target, e.hdr)
		}
	}
	for _, path := range LayeredAbsent {
		if _, ok := fs[path]; ok {
			t.Errorf("%s present in the merged rootfs", path)
		}
	}
	for path := range fs {
		if strings.Contains(path, ".wh.") {
			t.Errorf("whiteout %s left in the merged rootfs", path)
		}
	}
	if _, ok := fs["/bin/busybox"]; !ok {
		t.Error("busybox base missing")
	}
}

func contains(list []string, s string) bool {
	for _, l := range list {
		if l == s {
			return true
		}
	}
	return false
}
