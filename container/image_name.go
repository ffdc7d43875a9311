package container

import (
	"slices"
	"strings"

	"github.com/distribution/reference"
	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/skiffrt/skiff/internal/image"
)

// imageNames returns how a container's status names its image, as kubelets
// get it from containerd and cri-o. The kubelet creates containers from an
// image ID and shows the status's image as a pod's status.image, and its
// image ref as status.imageID; so name is a repo tag of the image (or a repo
// digest when it has no tag), the one the user asked for when the image has
// it, and digestRef is the image's repo digest in name's repository. An
// image without names keeps the name it was asked by, and no digestRef.
func imageNames(img *image.Image, spec *runtime.ImageSpec) (name, digestRef string) {
	for _, asked := range []string{spec.GetUserSpecifiedImage(), spec.GetImage()} {
		ref, err := image.ParseRef(asked)
		if err != nil {
			continue
		}
		if n := image.IndexName(ref); slices.Contains(img.RepoTags, n) || slices.Contains(img.RepoDigests, n) {
			name = n
			break
		}
	}
	switch {
	case name != "":
	case len(img.RepoTags) > 0:
		name = img.RepoTags[0]
	case len(img.RepoDigests) > 0:
		name = img.RepoDigests[0]
	default:
		return spec.GetImage(), ""
	}
	if len(img.RepoDigests) == 0 {
		return name, ""
	}
	if ref, err := reference.ParseNormalizedNamed(name); err == nil {
		repo := reference.TrimNamed(ref).String() + "@"
		for _, d := range img.RepoDigests {
			if strings.HasPrefix(d, repo) {
				return name, d
			}
		}
	}
	return name, img.RepoDigests[0]
}
