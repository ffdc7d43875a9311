package testimage

import (
	"runtime"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/types"
)

func TestIndexPlatforms(t *testing.T) {
	tests := []struct {
		ref       string
		indexType types.MediaType
		imageType types.MediaType
	}{
		{MultiArchRef, types.OCIImageIndex, types.OCIManifestSchema1},
		{E2EBusybox, types.DockerManifestList, types.DockerManifestSchema2},
		{criTools + "test-image-tags:1", types.DockerManifestList, types.DockerManifestSchema2},
	}
	for _, tc := range tests {
		t.Run(tc.ref, func(t *testing.T) {
			img, err := Find(testImages(t), tc.ref)
			if err != nil {
				t.Fatal(err)
			}
			if img.Index == nil {
				t.Fatal("not an index")
			}
			im, err := img.Index.IndexManifest()
			if err != nil {
				t.Fatal(err)
			}
			if im.MediaType != tc.indexType {
				t.Errorf("index media type %s, want %s", im.MediaType, tc.indexType)
			}
			if len(im.Manifests) != len(IndexPlatforms) {
				t.Fatalf("%d manifests, want %d", len(im.Manifests), len(IndexPlatforms))
			}
			for i, d := range im.Manifests {
				want := IndexPlatforms[i]
				if d.Platform == nil || !d.Platform.Equals(want) {
					t.Errorf("manifest %d platform %+v, want %+v", i, d.Platform, want)
				}
				if d.ArtifactType != "" {
					t.Errorf("manifest %d has artifactType %q", i, d.ArtifactType)
				}
				if d.MediaType != tc.imageType {
					t.Errorf("manifest %d media type %s, want %s", i, d.MediaType, tc.imageType)
				}
				sub, err := img.Index.Image(d.Digest)
				if err != nil {
					t.Fatal(err)
				}
				cf, err := sub.ConfigFile()
				if err != nil {
					t.Fatal(err)
				}
				if cf.Architecture != want.Architecture || cf.OS != want.OS {
					t.Errorf("manifest %d config is %s/%s, want %s/%s", i, cf.OS, cf.Architecture, want.OS, want.Architecture)
				}
				_, busybox := flatten(t, sub)["/bin/busybox"]
				if real := want.Architecture == runtime.GOARCH; busybox != real {
					t.Errorf("%s: has busybox %v, want %v", want.Architecture, busybox, real)
				}
			}
		})
	}
}
