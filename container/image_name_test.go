package container

import (
	"testing"

	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/skiffrt/skiff/internal/image"
)

func TestImageNames(t *testing.T) {
	const (
		id     = "sha256:28456ef537a71f94f012a3dd7ef3cb1fb4004b5c88facb50476d995e2117183e"
		digest = "sha256:9ae97d36d26566ff84e8893c64a6dc4fe8ca6d1144bf5b87b2b85a32def253c7"
	)
	busybox := &image.Image{
		RepoTags:    []string{"docker.io/library/busybox:1.36", "docker.io/library/busybox:latest"},
		RepoDigests: []string{"docker.io/library/busybox@" + digest},
	}
	twoRepos := &image.Image{
		RepoTags:    []string{"a.example/x:1", "b.example/y:2"},
		RepoDigests: []string{"a.example/x@" + digest, "b.example/y@" + digest},
	}
	tests := []struct {
		name      string
		img       *image.Image
		spec      *runtime.ImageSpec
		want, ref string
	}{
		{"kubelet: an ID and the pod's image", busybox, &runtime.ImageSpec{Image: id, UserSpecifiedImage: "busybox"},
			"docker.io/library/busybox:latest", "docker.io/library/busybox@" + digest},
		{"crictl: the name only", busybox, &runtime.ImageSpec{Image: "busybox:1.36"},
			"docker.io/library/busybox:1.36", "docker.io/library/busybox@" + digest},
		{"an ID only", busybox, &runtime.ImageSpec{Image: id}, "docker.io/library/busybox:1.36", "docker.io/library/busybox@" + digest},
		{"a name the image lost", busybox, &runtime.ImageSpec{Image: id, UserSpecifiedImage: "busybox:1.37"},
			"docker.io/library/busybox:1.36", "docker.io/library/busybox@" + digest},
		{"pulled by digest", &image.Image{RepoDigests: []string{"docker.io/library/busybox@" + digest}},
			&runtime.ImageSpec{Image: id, UserSpecifiedImage: "busybox@" + digest},
			"docker.io/library/busybox@" + digest, "docker.io/library/busybox@" + digest},
		{"the digest of the name's repository", twoRepos, &runtime.ImageSpec{Image: id, UserSpecifiedImage: "b.example/y:2"},
			"b.example/y:2", "b.example/y@" + digest},
		{"an image without names", &image.Image{}, &runtime.ImageSpec{Image: id}, id, ""},
		{"tags but no digest", &image.Image{RepoTags: []string{"local/app:dev"}}, &runtime.ImageSpec{Image: id}, "local/app:dev", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name, ref := imageNames(tt.img, tt.spec)
			if name != tt.want || ref != tt.ref {
				t.Errorf("imageNames = %q, %q; want %q, %q", name, ref, tt.want, tt.ref)
			}
		})
	}
}
