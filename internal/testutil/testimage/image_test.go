package testimage

import (
	"runtime"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
)

// critestRefs are the references critest v1.36.0 pulls on Linux, read
// from cri-tools' pkg/framework and pkg/validate (the digest reference
// test-image-digest@sha256:9700f9... cannot be rebuilt and is left out).
var critestRefs = []struct {
	ref   string
	index bool // the original is a multi-platform list
}{
	{"registry.k8s.io/e2e-test-images/busybox:1.29-2", true},
	{"registry.k8s.io/e2e-test-images/nginx:1.14-2", true},
	{"registry.k8s.io/e2e-test-images/httpd:2.4.39-4", true},
	{"registry.k8s.io/e2e-test-images/nonewprivs:1.3", true},
	{"registry.k8s.io/pause:3.9", true},
	{"k8s.gcr.io/pause:3.9", true},
	{"gcr.io/k8s-staging-cri-tools/test-image-user-uid:latest", true},
	{"gcr.io/k8s-staging-cri-tools/test-image-user-username:latest", true},
	{"gcr.io/k8s-staging-cri-tools/test-image-user-uid-group:latest", true},
	{"gcr.io/k8s-staging-cri-tools/test-image-user-username-group:latest", true},
	{"gcr.io/k8s-staging-cri-tools/test-image-predefined-group:latest", true},
	{"gcr.io/k8s-staging-cri-tools/test-image-latest:latest", true},
	{"gcr.io/k8s-staging-cri-tools/test-image-tag:test", true},
	{"gcr.io/k8s-staging-cri-tools/test-image-tag:all", true},
	{"gcr.io/k8s-staging-cri-tools/test-image-1:latest", true},
	{"gcr.io/k8s-staging-cri-tools/test-image-2:latest", true},
	{"gcr.io/k8s-staging-cri-tools/test-image-3:latest", true},
	{"gcr.io/k8s-staging-cri-tools/test-image-tags:1", true},
	{"gcr.io/k8s-staging-cri-tools/test-image-tags:2", true},
	{"gcr.io/k8s-staging-cri-tools/test-image-tags:3", true},
	{"gcr.io/k8s-staging-cri-tools/hostnet-nginx-" + runtime.GOARCH + ":latest", false},
	{"public.ecr.aws/docker/library/busybox:1.35.0-glibc", false},
	{"public.ecr.aws/docker/library/busybox:1-uclibc", false},
	{"public.ecr.aws/docker/library/busybox:1", false},
}

func TestAllHasCritestRefs(t *testing.T) {
	images := testImages(t)
	for _, tc := range critestRefs {
		t.Run(tc.ref, func(t *testing.T) {
			if tc.ref == E2ENonewprivs && runtime.GOARCH != "amd64" {
				t.Skip("nonewprivs is x86-64 only")
			}
			img, err := Find(images, tc.ref)
			if err != nil {
				t.Fatal(err)
			}
			if got := img.Index != nil; got != tc.index {
				t.Errorf("index = %v, want %v", got, tc.index)
			}
			if _, err := img.Digest(); err != nil {
				t.Errorf("digest: %v", err)
			}
		})
	}
}

func TestRefsAreFullyQualified(t *testing.T) {
	for _, img := range testImages(t) {
		tag, err := name.NewTag(img.Ref, name.StrictValidation)
		if err != nil {
			t.Errorf("%s: %v", img.Ref, err)
			continue
		}
		if got := tag.String(); got != img.Ref && "docker.io/"+got != img.Ref {
			t.Errorf("%s parses as %s", img.Ref, got)
		}
	}
}

func TestSameImageUnderSeveralRefs(t *testing.T) {
	tests := []struct {
		name string
		refs []string
		same bool
	}{
		{"tags of test-image-tags", []string{criTools + "test-image-tags:1", criTools + "test-image-tags:2", criTools + "test-image-tags:3"}, true},
		{"pause in two registries", []string{Pause, PauseK8sGCR}, true},
		{"test-image-1,2,3 differ", []string{criTools + "test-image-1:latest", criTools + "test-image-2:latest", criTools + "test-image-3:latest"}, false},
		{"test-image-tag test and all differ", []string{criTools + "test-image-tag:test", criTools + "test-image-tag:all"}, false},
	}
	images := testImages(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			seen := map[string]bool{}
			for _, ref := range tc.refs {
				img, err := Find(images, ref)
				if err != nil {
					t.Fatal(err)
				}
				d, err := img.Digest()
				if err != nil {
					t.Fatal(err)
				}
				seen[d.String()] = true
			}
			if same := len(seen) == 1; same != tc.same {
				t.Errorf("%d distinct digests for %d refs, want same=%v", len(seen), len(tc.refs), tc.same)
			}
		})
	}
}

func TestDeterministic(t *testing.T) {
	first := testImages(t)
	again, err := All(busybox)
	if err != nil {
		t.Fatal(err)
	}
	if len(again) != len(first) {
		t.Fatalf("%d images, then %d", len(first), len(again))
	}
	for i := range first {
		d1, err1 := first[i].Digest()
		d2, err2 := again[i].Digest()
		if err1 != nil || err2 != nil {
			t.Fatalf("%s: %v %v", first[i].Ref, err1, err2)
		}
		if first[i].Ref != again[i].Ref || d1 != d2 {
			t.Errorf("%s@%s, then %s@%s", first[i].Ref, d1, again[i].Ref, d2)
		}
	}
}
