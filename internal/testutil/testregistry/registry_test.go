package testregistry

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/skiffrt/skiff/internal/errdefs"
	"github.com/skiffrt/skiff/internal/testutil/testimage"
)

func TestLocalRef(t *testing.T) {
	tests := []struct {
		ref, want string
		err       error
	}{
		{"registry.k8s.io/e2e-test-images/busybox:1.29-2", "127.0.0.1:5000/e2e-test-images/busybox:1.29-2", nil},
		{"docker.io/library/busybox:latest", "127.0.0.1:5000/library/busybox:latest", nil},
		{"k8s.gcr.io/pause:3.9", "127.0.0.1:5000/pause:3.9", nil},
		{"gcr.io/k8s-staging-cri-tools/test-image-tags:1", "127.0.0.1:5000/k8s-staging-cri-tools/test-image-tags:1", nil},
		{"busybox", "", errdefs.ErrInvalidArgument},
		{"docker.io/library/busybox@sha256:" + strings.Repeat("0", 64), "", errdefs.ErrInvalidArgument},
	}
	for _, tc := range tests {
		t.Run(tc.ref, func(t *testing.T) {
			s, _, err := localRef("127.0.0.1:5000", tc.ref)
			if !errors.Is(err, tc.err) {
				t.Fatalf("error %v, want %v", err, tc.err)
			}
			if s.Local != tc.want {
				t.Errorf("local %q, want %q", s.Local, tc.want)
			}
		})
	}
}

func TestPlanCollisions(t *testing.T) {
	a, b := randomImage(t), randomImage(t)
	tests := []struct {
		name   string
		images []testimage.Image
		err    error
	}{
		{"same image under two hosts", []testimage.Image{
			{Ref: "registry.k8s.io/pause:3.9", Img: a}, {Ref: "k8s.gcr.io/pause:3.9", Img: a},
		}, nil},
		{"different images under two hosts", []testimage.Image{
			{Ref: "registry.k8s.io/pause:3.9", Img: a}, {Ref: "k8s.gcr.io/pause:3.9", Img: b},
		}, errdefs.ErrAlreadyExists},
		{"different tags", []testimage.Image{
			{Ref: "docker.io/library/busybox:1", Img: a}, {Ref: "docker.io/library/busybox:2", Img: b},
		}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			served, _, err := plan("127.0.0.1:1", tc.images)
			if !errors.Is(err, tc.err) {
				t.Fatalf("error %v, want %v", err, tc.err)
			}
			if err == nil && len(served) != len(tc.images) {
				t.Errorf("%d served, want %d", len(served), len(tc.images))
			}
		})
	}
}

func TestCheckLoopback(t *testing.T) {
	tests := []struct {
		addr string
		ok   bool
	}{
		{"127.0.0.1:0", true},
		{"127.0.0.2:5000", true},
		{"[::1]:5000", true},
		{"localhost:5000", true},
		{"0.0.0.0:5000", false},
		{":5000", false},
		{"10.0.0.1:5000", false},
		{"127.0.0.1", false},
	}
	for _, tc := range tests {
		if err := checkLoopback(tc.addr); (err == nil) != tc.ok {
			t.Errorf("%s: %v, want ok=%v", tc.addr, err, tc.ok)
		}
	}
}

// TestServeAll pushes the full test image set and pulls some back.
func TestServeAll(t *testing.T) {
	bb, err := testimage.BusyboxPath()
	if err != nil {
		t.Fatal(err)
	}
	images, err := testimage.All(bb)
	if err != nil {
		t.Fatal(err)
	}
	r, err := Start(context.Background(), "127.0.0.1:0", images)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		for range 2 { // Close is idempotent
			if err := r.Close(); err != nil {
				t.Error(err)
			}
		}
	}()
	if len(r.Refs()) != len(images) {
		t.Fatalf("%d refs served, want %d", len(r.Refs()), len(images))
	}
	served := map[string]Served{}
	for _, s := range r.Refs() {
		served[s.Ref] = s
		if !strings.HasPrefix(s.Local, r.Addr()+"/") {
			t.Errorf("%s served as %s, not under %s", s.Ref, s.Local, r.Addr())
		}
	}
	for _, ref := range []string{testimage.E2EBusybox, testimage.PauseK8sGCR, testimage.HostNetNginx,
		testimage.LayeredRef, testimage.MultiArchRef, "docker.io/library/busybox:latest"} {
		t.Run(ref, func(t *testing.T) {
			img, err := testimage.Find(images, ref)
			if err != nil {
				t.Fatal(err)
			}
			want, err := img.Digest()
			if err != nil {
				t.Fatal(err)
			}
			local, err := name.ParseReference(served[ref].Local, name.Insecure)
			if err != nil {
				t.Fatal(err)
			}
			desc, err := remote.Get(local)
			if err != nil {
				t.Fatal(err)
			}
			if desc.Digest != want || served[ref].Digest != want.String() {
				t.Errorf("pulled %s, served %s, built %s", desc.Digest, served[ref].Digest, want)
			}
			// Resolve and fetch the host platform's image, layers included.
			pulled, err := remote.Image(local, remote.WithPlatform(v1.Platform{OS: "linux", Architecture: runtime.GOARCH}))
			if err != nil {
				t.Fatal(err)
			}
			layers, err := pulled.Layers()
			if err != nil || len(layers) == 0 {
				t.Fatalf("layers %d: %v", len(layers), err)
			}
			for _, l := range layers {
				if _, err := l.Size(); err != nil {
					t.Error(err)
				}
			}
		})
	}
}

func randomImage(t *testing.T) v1.Image {
	t.Helper()
	img, err := random.Image(64, 1)
	if err != nil {
		t.Fatal(err)
	}
	return img
}
