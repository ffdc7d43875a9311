package server

import (
	"context"
	"testing"

	"github.com/opencontainers/go-digest"
	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/skiffrt/skiff/internal/config"
	"github.com/skiffrt/skiff/internal/errdefs"
	"github.com/skiffrt/skiff/internal/image"
	"github.com/skiffrt/skiff/internal/store"
)

func testImages() []*image.Image {
	return []*image.Image{
		{ID: digest.FromString("busybox"), RepoTags: []string{"docker.io/library/busybox:latest"}, Size: 10, User: "1000"},
		{ID: digest.FromString("pause"), RepoTags: []string{"registry.k8s.io/pause:3.10"}, Size: 1},
	}
}

func TestPullImage(t *testing.T) {
	tests := []struct {
		name  string
		req   *runtime.PullImageRequest
		want  string
		class error
	}{
		{"short name", &runtime.PullImageRequest{Image: &runtime.ImageSpec{Image: "busybox"}}, "docker.io/library/busybox:latest false", nil},
		{"with auth", &runtime.PullImageRequest{Image: &runtime.ImageSpec{Image: "busybox"}, Auth: &runtime.AuthConfig{Username: "u", Password: "p"}}, "docker.io/library/busybox:latest true", nil},
		{"empty auth", &runtime.PullImageRequest{Image: &runtime.ImageSpec{Image: "busybox"}, Auth: &runtime.AuthConfig{}}, "docker.io/library/busybox:latest false", nil},
		{"password only", &runtime.PullImageRequest{Image: &runtime.ImageSpec{Image: "busybox"}, Auth: &runtime.AuthConfig{Password: "p"}}, "", errdefs.ErrInvalidArgument},
		{"no image", &runtime.PullImageRequest{}, "", errdefs.ErrInvalidArgument},
		{"bad reference", &runtime.PullImageRequest{Image: &runtime.ImageSpec{Image: "UPPER/Case::x"}}, "", errdefs.ErrInvalidArgument},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(config.Default())
			r, err := e.s.PullImage(context.Background(), tt.req)
			wantClass(t, err, tt.class)
			if tt.class != nil {
				if len(e.images.pulled) > 0 {
					t.Errorf("pulled %q after a bad request", e.images.pulled)
				}
				return
			}
			if len(e.images.pulled) != 1 || e.images.pulled[0] != tt.want || r.ImageRef == "" {
				t.Errorf("pulled %q (ref %q), want %q", e.images.pulled, r.GetImageRef(), tt.want)
			}
		})
	}
	e := newEnv(config.Default())
	e.images.err = errdefs.ErrUnavailable
	_, err := e.s.PullImage(context.Background(), &runtime.PullImageRequest{Image: &runtime.ImageSpec{Image: "busybox"}})
	wantClass(t, err, errdefs.ErrUnavailable)
}

func TestImageStatusAndList(t *testing.T) {
	cfg := config.Default()
	cfg.PauseImage = "registry.k8s.io/pause:3.10"
	e := newEnv(cfg)
	e.images.images = testImages()
	ctx := context.Background()
	r, err := e.s.ImageStatus(ctx, &runtime.ImageStatusRequest{Image: &runtime.ImageSpec{Image: "busybox"}, Verbose: true})
	if err != nil {
		t.Fatal(err)
	}
	if img := r.Image; img.Size != 10 || img.Uid.GetValue() != 1000 || img.Pinned || r.Info["info"] == "" {
		t.Errorf("status %+v, info %v", img, r.Info)
	}
	if r, _ = e.s.ImageStatus(ctx, &runtime.ImageStatusRequest{Image: &runtime.ImageSpec{Image: "pause"}}); !r.Image.Pinned {
		t.Error("the pause image is not pinned")
	}
	if r, err = e.s.ImageStatus(ctx, &runtime.ImageStatusRequest{Image: &runtime.ImageSpec{Image: "nginx"}}); err != nil || r.Image != nil {
		t.Errorf("an absent image: %v, %v", r, err)
	}
	_, err = e.s.ImageStatus(ctx, &runtime.ImageStatusRequest{})
	wantClass(t, err, errdefs.ErrInvalidArgument)

	l, err := e.s.ListImages(ctx, &runtime.ListImagesRequest{})
	if err != nil || len(l.Images) != 2 {
		t.Errorf("ListImages: %v, %v", l, err)
	}
	l, _ = e.s.ListImages(ctx, &runtime.ListImagesRequest{Filter: &runtime.ImageFilter{Image: &runtime.ImageSpec{Image: "pause"}}})
	if len(l.Images) != 1 || !l.Images[0].Pinned {
		t.Errorf("filtered: %v", l.Images)
	}
	stream := &imageStream{}
	if err := e.s.StreamImages(&runtime.StreamImagesRequest{}, stream); err != nil || stream.n != 2 {
		t.Errorf("streamed %d, %v", stream.n, err)
	}
	e.images.err = errdefs.ErrInternal
	_, err = e.s.ListImages(ctx, &runtime.ListImagesRequest{})
	wantClass(t, err, errdefs.ErrInternal)
	wantClass(t, e.s.StreamImages(&runtime.StreamImagesRequest{}, stream), errdefs.ErrInternal)
	_, err = e.s.ImageFsInfo(ctx, &runtime.ImageFsInfoRequest{})
	wantClass(t, err, errdefs.ErrInternal)
}

type imageStream struct {
	runtime.ImageService_StreamImagesServer
	n int
}

func (s *imageStream) Send(r *runtime.StreamImagesResponse) error {
	s.n += len(r.Images)
	return nil
}

func TestRemoveImage(t *testing.T) {
	e := newEnv(config.Default())
	e.images.images = testImages()
	used := store.Container{ID: "c1", ImageRef: testImages()[1].ID.String()}
	e.containers.byID["c1"] = used
	ctx := context.Background()
	tests := []struct {
		name, image string
		class       error
	}{
		{"unused", "busybox", nil},
		{"absent", "nginx", nil},
		{"in use", "pause", errdefs.ErrFailedPrecondition},
		{"empty", "", errdefs.ErrInvalidArgument},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.s.RemoveImage(ctx, &runtime.RemoveImageRequest{Image: &runtime.ImageSpec{Image: tt.image}})
			wantClass(t, err, tt.class)
		})
	}
	if len(e.images.removed) != 1 || e.images.removed[0] != "busybox" {
		t.Errorf("removed %q", e.images.removed)
	}
}

func TestImageFsInfo(t *testing.T) {
	e := newEnv(config.Default())
	r, err := e.s.ImageFsInfo(context.Background(), &runtime.ImageFsInfoRequest{})
	if err != nil {
		t.Fatal(err)
	}
	fs := r.ImageFilesystems
	if len(fs) != 1 || fs[0].FsId.Mountpoint != "/var/lib/skiff/images" || fs[0].UsedBytes.Value != 1000 || fs[0].InodesUsed.Value != 10 {
		t.Errorf("fs info %v", fs)
	}
}
