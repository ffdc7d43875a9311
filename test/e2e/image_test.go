//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"golang.org/x/sys/unix"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/skiffrt/skiff/internal/testutil/testimage"
	"github.com/skiffrt/skiff/internal/testutil/testregistry"
)

func (d *daemon) pull(t *testing.T, ref string) string {
	t.Helper()
	resp, err := d.images.PullImage(ctxT(t), &runtime.PullImageRequest{Image: &runtime.ImageSpec{Image: ref}})
	if err != nil {
		t.Fatalf("PullImage %s: %v", ref, err)
	}
	return resp.ImageRef
}

// imageStatus returns the status of ref, nil when absent.
func (d *daemon) imageStatus(t *testing.T, ref string) *runtime.Image {
	t.Helper()
	resp, err := d.images.ImageStatus(ctxT(t), &runtime.ImageStatusRequest{Image: &runtime.ImageSpec{Image: ref}})
	if err != nil {
		t.Fatalf("ImageStatus %s: %v", ref, err)
	}
	return resp.Image
}

func (d *daemon) listImages(t *testing.T) []*runtime.Image {
	t.Helper()
	resp, err := d.images.ListImages(ctxT(t), &runtime.ListImagesRequest{})
	if err != nil {
		t.Fatalf("ListImages: %v", err)
	}
	return resp.Images
}

func (d *daemon) removeImage(t *testing.T, ref string) {
	t.Helper()
	if _, err := d.images.RemoveImage(ctxT(t), &runtime.RemoveImageRequest{Image: &runtime.ImageSpec{Image: ref}}); err != nil {
		t.Fatalf("RemoveImage %s: %v", ref, err)
	}
}

// imageDir is the daemon's image store.
func (d *daemon) imageDir() string { return filepath.Join(d.dir, "root", "images") }

// dirEntries lists a directory of the image store.
func (d *daemon) dirEntries(t *testing.T, sub string) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(d.imageDir(), sub))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestPullReferences(t *testing.T) {
	reg := startRegistry(t)
	d := startDaemon(t, mirrorArgs(reg)...)
	busyboxDigest := served(t, reg, "docker.io/library/busybox:latest")
	tests := []struct {
		name        string
		ref         string
		wantTags    []string
		wantDigests []string
	}{
		{"short name", "busybox", []string{"docker.io/library/busybox:latest"}, []string{"docker.io/library/busybox@" + busyboxDigest}},
		{"tag", "registry.k8s.io/e2e-test-images/busybox:1.29-2", []string{testimage.E2EBusybox}, nil},
		{"digest", "docker.io/library/busybox@" + busyboxDigest, nil, []string{"docker.io/library/busybox@" + busyboxDigest}},
		{"tag and digest", "busybox:latest@" + busyboxDigest, []string{"docker.io/library/busybox:latest"}, []string{"docker.io/library/busybox@" + busyboxDigest}},
		{"multi-platform index", testimage.MultiArchRef, []string{testimage.MultiArchRef}, []string{"docker.io/library/busybox@" + served(t, reg, testimage.MultiArchRef)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := d.pull(t, tt.ref)
			st := d.imageStatus(t, tt.ref)
			if st == nil || st.Id != id {
				t.Fatalf("ImageStatus(%s) = %v, want ID %s", tt.ref, st, id)
			}
			if tt.wantTags != nil && !reflect.DeepEqual(st.RepoTags, tt.wantTags) {
				t.Errorf("RepoTags = %v, want %v", st.RepoTags, tt.wantTags)
			}
			for _, want := range tt.wantDigests {
				if !contains(st.RepoDigests, want) {
					t.Errorf("RepoDigests = %v, want %s among them", st.RepoDigests, want)
				}
			}
			if st.Size == 0 || !strings.HasPrefix(id, "sha256:") {
				t.Errorf("status %+v: want a size and a sha256 ID", st)
			}
			// Every name of the image, its ID and an ID prefix give the same status.
			names := append(append([]string{id, strings.TrimPrefix(id, "sha256:")[:12], id[:20]}, st.RepoTags...), st.RepoDigests...)
			for _, n := range names {
				if got := d.imageStatus(t, n); !reflect.DeepEqual(got, st) {
					t.Errorf("ImageStatus(%s) = %v, want %v", n, got, st)
				}
			}
			d.removeImage(t, id)
			if got := d.imageStatus(t, tt.ref); got != nil {
				t.Errorf("image still there after RemoveImage: %v", got)
			}
		})
	}
}

func TestPullMultiPlatformPicksHost(t *testing.T) {
	reg := startRegistry(t)
	d := startDaemon(t, mirrorArgs(reg)...)
	d.pull(t, testimage.MultiArchRef)
	resp, err := d.images.ImageStatus(ctxT(t), &runtime.ImageStatusRequest{Image: &runtime.ImageSpec{Image: testimage.MultiArchRef}, Verbose: true})
	if err != nil {
		t.Fatal(err)
	}
	var info struct {
		ImageSpec struct {
			Architecture string `json:"architecture"`
			OS           string `json:"os"`
		} `json:"imageSpec"`
	}
	if err := json.Unmarshal([]byte(resp.Info["info"]), &info); err != nil {
		t.Fatalf("verbose info %q: %v", resp.Info["info"], err)
	}
	if info.ImageSpec.OS != "linux" || info.ImageSpec.Architecture != "amd64" {
		t.Errorf("pulled %s/%s, want linux/amd64", info.ImageSpec.OS, info.ImageSpec.Architecture)
	}
}

func TestImageUser(t *testing.T) {
	reg := startRegistry(t)
	d := startDaemon(t, mirrorArgs(reg)...)
	tests := []struct {
		ref      string
		uid      *int64
		username string
	}{
		{"gcr.io/k8s-staging-cri-tools/test-image-user-uid:latest", ptr(int64(1002)), ""},
		{"gcr.io/k8s-staging-cri-tools/test-image-user-username:latest", nil, "www-data"},
		{"gcr.io/k8s-staging-cri-tools/test-image-user-uid-group:latest", ptr(int64(1003)), ""},
		{"gcr.io/k8s-staging-cri-tools/test-image-user-username-group:latest", nil, "www-data"},
	}
	for _, tt := range tests {
		t.Run(tt.ref, func(t *testing.T) {
			d.pull(t, tt.ref)
			st := d.imageStatus(t, tt.ref)
			if (tt.uid == nil) != (st.Uid == nil) || (tt.uid != nil && *tt.uid != st.Uid.Value) || st.Username != tt.username {
				t.Errorf("uid %v username %q, want %v %q", st.Uid, st.Username, deref(tt.uid), tt.username)
			}
		})
	}
}

// TestLayeredImageMountsAsOverlay pulls an image whose layers delete,
// replace and hide files, mounts its layer directories as an overlay the
// way a container's rootfs will be, and checks the merged view.
func TestLayeredImageMountsAsOverlay(t *testing.T) {
	reg := startRegistry(t)
	d := startDaemon(t, mirrorArgs(reg)...)
	d.pull(t, testimage.LayeredRef)
	checkLayeredOverlay(t, d)
}

// checkLayeredOverlay mounts the pulled LayeredRef and checks its files.
func checkLayeredOverlay(t *testing.T, d *daemon) {
	t.Helper()
	resp, err := d.images.ImageStatus(ctxT(t), &runtime.ImageStatusRequest{Image: &runtime.ImageSpec{Image: testimage.LayeredRef}, Verbose: true})
	if err != nil {
		t.Fatal(err)
	}
	var info struct{ Layers []string }
	if err := json.Unmarshal([]byte(resp.Info["info"]), &info); err != nil {
		t.Fatal(err)
	}
	var lower []string
	for _, l := range info.Layers {
		lower = append([]string{filepath.Join(d.imageDir(), "layers", strings.TrimPrefix(l, "sha256:"))}, lower...)
	}
	merged := t.TempDir()
	if err := unix.Mount("overlay", merged, "overlay", unix.MS_RDONLY, "lowerdir="+strings.Join(lower, ":")); err != nil {
		t.Fatalf("mount overlay of %d layers: %v", len(lower), err)
	}
	t.Cleanup(func() { unix.Unmount(merged, unix.MNT_DETACH) })

	for p, want := range testimage.LayeredFiles {
		if got, err := os.ReadFile(filepath.Join(merged, p)); err != nil || string(got) != want {
			t.Errorf("%s = %q, %v; want %q", p, got, err, want)
		}
	}
	for p, want := range testimage.LayeredSymlinks {
		if got, err := os.Readlink(filepath.Join(merged, p)); err != nil || got != want {
			t.Errorf("symlink %s -> %q, %v; want %q", p, got, err, want)
		}
	}
	for _, p := range testimage.LayeredAbsent {
		if _, err := os.Lstat(filepath.Join(merged, p)); err == nil {
			t.Errorf("%s is in the merged rootfs; upper layers removed it", p)
		}
	}
	var a, b unix.Stat_t
	unix.Stat(filepath.Join(merged, "data/keep.txt"), &a)
	unix.Stat(filepath.Join(merged, "data/hard.txt"), &b)
	if a.Ino != b.Ino {
		t.Errorf("data/hard.txt is not a hard link of data/keep.txt")
	}
	if fi, err := os.Stat(filepath.Join(merged, "data/script.sh")); err != nil || fi.Mode().Perm() != 0o755 {
		t.Errorf("data/script.sh mode = %v, %v; want 0755", fi.Mode(), err)
	}
	if _, err := os.Stat(filepath.Join(merged, "bin/busybox")); err != nil {
		t.Errorf("base layer missing: %v", err)
	}
}

func TestConcurrentPullsFetchEachBlobOnce(t *testing.T) {
	var counter blobCounter
	reg := startRegistry(t, testregistry.WithMiddleware(counter.wrap))
	d := startDaemon(t, mirrorArgs(reg)...)
	refs := []string{"docker.io/library/busybox:latest", "docker.io/library/busybox:1.36", testimage.E2EBusybox, "busybox"}
	var wg sync.WaitGroup
	errs := make(chan error, 4*len(refs))
	for range 4 {
		for _, ref := range refs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := d.images.PullImage(context.Background(), &runtime.PullImageRequest{Image: &runtime.ImageSpec{Image: ref}})
				errs <- err
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("concurrent pull: %v", err)
		}
	}
	for blob, n := range counter.snapshot() {
		if n != 1 {
			t.Errorf("blob %s fetched %d times, want once", blob, n)
		}
	}
	if counter.total.Load() == 0 {
		t.Fatal("no blob was fetched: the test counts nothing")
	}
}

func TestRemoveImageByOneTagRemovesAllTags(t *testing.T) {
	reg := startRegistry(t)
	d := startDaemon(t, mirrorArgs(reg)...)
	tags := []string{
		"gcr.io/k8s-staging-cri-tools/test-image-tags:1",
		"gcr.io/k8s-staging-cri-tools/test-image-tags:2",
		"gcr.io/k8s-staging-cri-tools/test-image-tags:3",
	}
	var ids []string
	for _, tag := range tags {
		ids = append(ids, d.pull(t, tag))
	}
	if ids[0] != ids[1] || ids[1] != ids[2] {
		t.Fatalf("three tags of one image gave IDs %v", ids)
	}
	if st := d.imageStatus(t, ids[0]); !reflect.DeepEqual(st.RepoTags, tags) {
		t.Errorf("RepoTags = %v, want %v", st.RepoTags, tags)
	}
	d.removeImage(t, tags[1])
	for _, n := range append(tags, ids[0]) {
		if st := d.imageStatus(t, n); st != nil {
			t.Errorf("%s still resolves after removing %s: %v", n, tags[1], st)
		}
	}
	d.removeImage(t, tags[1]) // Idempotent.
	if layers := d.dirEntries(t, "layers"); len(layers) != 0 {
		t.Errorf("layers left after removing the only image: %v", layers)
	}
}

func TestRemoveKeepsSharedLayers(t *testing.T) {
	reg := startRegistry(t)
	d := startDaemon(t, mirrorArgs(reg)...)
	d.pull(t, testimage.LayeredRef)
	d.pull(t, "docker.io/library/busybox:latest") // Shares the base layer.
	d.removeImage(t, "docker.io/library/busybox:latest")
	if d.imageStatus(t, testimage.LayeredRef) == nil {
		t.Fatal("layered image gone")
	}
	checkLayeredOverlay(t, d)
}

func TestListImagesFilter(t *testing.T) {
	reg := startRegistry(t)
	d := startDaemon(t, mirrorArgs(reg)...)
	a := d.pull(t, "busybox")
	d.pull(t, testimage.LayeredRef)
	if all := d.listImages(t); len(all) != 2 {
		t.Fatalf("ListImages = %d images, want 2", len(all))
	}
	resp, err := d.images.ListImages(ctxT(t), &runtime.ListImagesRequest{Filter: &runtime.ImageFilter{Image: &runtime.ImageSpec{Image: "busybox"}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Images) != 1 || resp.Images[0].Id != a {
		t.Errorf("filtered ListImages = %v, want only %s", resp.Images, a)
	}
	resp, err = d.images.ListImages(ctxT(t), &runtime.ListImagesRequest{Filter: &runtime.ImageFilter{Image: &runtime.ImageSpec{Image: "nothing:here"}}})
	if err != nil || len(resp.Images) != 0 {
		t.Errorf("ListImages for an absent image = %v, %v; want none", resp.GetImages(), err)
	}
}

func TestImageFsInfo(t *testing.T) {
	reg := startRegistry(t)
	d := startDaemon(t, mirrorArgs(reg)...)
	usage := func() (uint64, uint64) {
		resp, err := d.images.ImageFsInfo(ctxT(t), &runtime.ImageFsInfoRequest{})
		if err != nil {
			t.Fatal(err)
		}
		fs := resp.ImageFilesystems[0]
		if fs.FsId.Mountpoint != d.imageDir() {
			t.Errorf("mountpoint %q, want %q", fs.FsId.Mountpoint, d.imageDir())
		}
		return fs.UsedBytes.Value, fs.InodesUsed.Value
	}
	b0, i0 := usage()
	d.pull(t, testimage.LayeredRef)
	b1, i1 := usage()
	// The busybox binary alone is over a megabyte.
	if b1 < b0+1<<20 || i1 < i0+10 {
		t.Errorf("after a pull: %d bytes, %d inodes; before: %d, %d", b1, i1, b0, i0)
	}
	d.removeImage(t, testimage.LayeredRef)
	if b2, i2 := usage(); b2 >= b1 || i2 >= i1 {
		t.Errorf("after removal: %d bytes, %d inodes; want below %d, %d", b2, i2, b1, i1)
	}
}

func TestPullErrors(t *testing.T) {
	reg := startRegistry(t)
	d := startDaemon(t, mirrorArgs(reg)...)
	tests := []struct {
		name string
		ref  string
		code codes.Code
		msg  []string
	}{
		{"empty", "", codes.InvalidArgument, []string{"empty"}},
		{"bad reference", "Not A Reference", codes.InvalidArgument, []string{"Not A Reference"}},
		{"uppercase", "docker.io/library/BusyBox", codes.InvalidArgument, []string{"BusyBox"}},
		{"unknown tag", reg.Addr() + "/library/busybox:no-such-tag", codes.NotFound, []string{reg.Addr() + "/library/busybox:no-such-tag", "http://" + reg.Addr()}},
		// The mirror lacks it and the registry itself cannot be asked
		// (these tests keep off the network): whether it exists is unknown.
		{"unknown tag, mirrored", "docker.io/library/busybox:no-such-tag", codes.Unavailable, []string{"docker.io/library/busybox:no-such-tag", "http://" + reg.Addr(), "registry-1.docker.io"}},
		{"unreachable registry", "127.0.0.1:1/library/busybox:latest", codes.Unavailable, []string{"127.0.0.1:1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := d.images.PullImage(ctxT(t), &runtime.PullImageRequest{Image: &runtime.ImageSpec{Image: tt.ref}})
			s, _ := status.FromError(err)
			if s.Code() != tt.code {
				t.Fatalf("PullImage(%q) = %v, want code %v", tt.ref, err, tt.code)
			}
			for _, m := range tt.msg {
				if !strings.Contains(s.Message(), m) {
					t.Errorf("message %q does not mention %q", s.Message(), m)
				}
			}
		})
	}
	if imgs := d.listImages(t); len(imgs) != 0 {
		t.Errorf("failed pulls left images: %v", imgs)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func ptr[T any](v T) *T { return &v }

func deref(p *int64) any {
	if p == nil {
		return nil
	}
	return *p
}
