package testimage

// busyboxImages returns plain busybox images: docker.io/library/busybox
// under the tags tests use (single-platform, Docker media types), the
// multi-platform MultiArchRef (OCI index), and the public.ecr.aws names
// that critest's benchmarks pull.
func busyboxImages(b *builder) ([]Image, error) {
	out, err := b.plain(busyboxSpec(docker), BusyboxRefs...)
	if err != nil {
		return nil, err
	}
	multi, err := b.indexed(busyboxSpec(oci), MultiArchRef)
	if err != nil {
		return nil, err
	}
	ecr, err := b.plain(busyboxSpec(docker), ecrBusyboxRefs...)
	if err != nil {
		return nil, err
	}
	out = append(out, multi...)
	return append(out, ecr...), nil
}

// BusyboxRefs are single-platform plain busybox images (Cmd ["sh"]).
var BusyboxRefs = []string{
	"docker.io/library/busybox:latest",
	"docker.io/library/busybox:1.36",
	"docker.io/library/busybox:1.37",
	"docker.io/library/busybox:1.37.0",
}

// MultiArchRef is an OCI index of busybox for IndexPlatforms.
const MultiArchRef = "docker.io/library/busybox:multiarch"

// ecrBusyboxRefs are critest's image-pulling benchmark images
// (pkg/benchmark/image.go).
var ecrBusyboxRefs = []string{
	"public.ecr.aws/docker/library/busybox:1.35.0-glibc",
	"public.ecr.aws/docker/library/busybox:1-uclibc",
	"public.ecr.aws/docker/library/busybox:1",
}
