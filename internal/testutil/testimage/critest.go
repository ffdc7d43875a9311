package testimage

import (
	"runtime"
	"strconv"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// References of the critest images (cri-tools v1.36.0, Linux), from
// pkg/framework/util.go, pkg/validate/consts.go,
// pkg/validate/security_context_linux.go and
// pkg/validate/multi_container_linux.go.
const (
	E2EBusybox    = "registry.k8s.io/e2e-test-images/busybox:1.29-2"
	E2ENginx      = "registry.k8s.io/e2e-test-images/nginx:1.14-2"
	E2EHttpd      = "registry.k8s.io/e2e-test-images/httpd:2.4.39-4"
	E2ENonewprivs = "registry.k8s.io/e2e-test-images/nonewprivs:1.3"
	Pause         = "registry.k8s.io/pause:3.9"
	PauseK8sGCR   = "k8s.gcr.io/pause:3.9"
	Pause310      = "registry.k8s.io/pause:3.10"

	criTools = "gcr.io/k8s-staging-cri-tools/"

	// HostNetNginxPort is the port hostnet-nginx listens on
	// (cri-tools images/hostnet-nginx/default.conf).
	HostNetNginxPort = 12003
)

// LibraryHttpd and LibraryHttpdNext are the Apache stand-in under Docker
// Hub names: two tags a Deployment can roll between.
const (
	LibraryHttpd     = "docker.io/library/httpd:2.4"
	LibraryHttpdNext = "docker.io/library/httpd:2.4.62"
)

// HostNetNginx is critest's host-network web server for this architecture.
var HostNetNginx = criTools + "hostnet-nginx-" + runtime.GOARCH + ":latest"

// CritestDigestRef is the one critest reference that cannot be served: it
// names the original image by digest, and a rebuilt image has another
// digest. The registry serves test-image-digest:latest instead.
const CritestDigestRef = criTools + "test-image-digest@sha256:9700f9a2f5bf2c45f2f605a0bd3bce7cf37420ec9d3ed50ac2758413308766bf"

// e2eImages returns the registry.k8s.io images: the e2e-test-images that
// critest runs and the pause image it pulls under two registries.
func e2eImages(b *builder) ([]Image, error) {
	steps := []step{
		{[]string{E2EBusybox}, busyboxSpec(docker)},
		{[]string{E2ENginx}, nginxSpec(80, "SIGTERM")},
		{[]string{E2EHttpd, LibraryHttpd, LibraryHttpdNext}, httpdSpec()},
		{[]string{Pause, PauseK8sGCR, Pause310}, pauseSpec()},
	}
	// The nonewprivs program is x86-64 machine code.
	if b.arch == "amd64" {
		steps = append(steps, step{[]string{E2ENonewprivs}, nonewprivsSpec()})
	}
	return b.indexedAll(steps)
}

func busyboxSpec(f format) imageSpec {
	return imageSpec{format: f, config: v1.Config{Cmd: []string{"sh"}}}
}

// nginxSpec is e2e-test-images/nginx (nginx:1.14-alpine) or, on another
// port and stop signal, hostnet-nginx (nginx:1.25.0).
func nginxSpec(port int, stopSignal string) imageSpec {
	env := []string{"PATH=" + DefaultPath}
	if port != 80 {
		env = append(env, "NGINX_PORT="+strconv.Itoa(port))
	}
	return imageSpec{
		format: docker,
		config: v1.Config{
			Cmd:          []string{"nginx", "-g", "daemon off;"},
			Env:          env,
			ExposedPorts: map[string]struct{}{strconv.Itoa(port) + "/tcp": {}},
			StopSignal:   stopSignal,
		},
		layers: []layerSpec{nginxLayer()},
	}
}

// httpdSpec is e2e-test-images/httpd (httpd:2.4.39-alpine).
func httpdSpec() imageSpec {
	return imageSpec{
		format: docker,
		config: v1.Config{
			Cmd: []string{"httpd-foreground"},
			Env: []string{
				"PATH=/usr/local/apache2/bin:" + DefaultPath,
				"HTTPD_PREFIX=/usr/local/apache2",
			},
			ExposedPorts: map[string]struct{}{"80/tcp": {}},
			WorkingDir:   "/usr/local/apache2",
		},
		layers: []layerSpec{httpdLayer()},
	}
}

func pauseSpec() imageSpec {
	return imageSpec{
		format: docker,
		config: v1.Config{Entrypoint: []string{"/pause"}, User: "65535:65535"},
		layers: []layerSpec{pauseLayer()},
	}
}

// nonewprivsSpec is e2e-test-images/nonewprivs: a setuid-root program
// printing its effective uid, so that critest sees "Effective uid: 0"
// when a non-root container may gain privileges and its own uid when
// no_new_privs is set.
func nonewprivsSpec() imageSpec {
	return imageSpec{
		format: docker,
		config: v1.Config{Cmd: []string{"nnp"}},
		layers: []layerSpec{{
			createdBy: "COPY nnp /usr/local/bin/nnp && chmod +s /usr/local/bin/nnp # skiff testimage",
			entries: []entry{
				dir("usr/local", 0o755),
				dir("usr/local/bin", 0o755),
				blob("usr/local/bin/nnp", 0o6755, nnpBinary()),
			},
		}},
	}
}

// step is one image served under one or more references.
type step struct {
	refs []string
	spec imageSpec
}

// indexedAll builds each step's image and serves it as an index.
func (b *builder) indexedAll(steps []step) ([]Image, error) {
	var out []Image
	for _, s := range steps {
		imgs, err := b.indexed(s.spec, s.refs...)
		if err != nil {
			return nil, err
		}
		out = append(out, imgs...)
	}
	return out, nil
}

// indexed builds s and serves it under refs as a multi-platform index of
// the image's format, as the originals are.
func (b *builder) indexed(s imageSpec, refs ...string) ([]Image, error) {
	img, err := b.image(s)
	if err != nil {
		return nil, err
	}
	idx, err := b.index(s.format, img)
	if err != nil {
		return nil, err
	}
	out := make([]Image, 0, len(refs))
	for _, r := range refs {
		out = append(out, Image{Ref: r, Index: idx})
	}
	return out, nil
}

// plain builds s and serves it under refs as a single-platform image.
func (b *builder) plain(s imageSpec, refs ...string) ([]Image, error) {
	img, err := b.image(s)
	if err != nil {
		return nil, err
	}
	out := make([]Image, 0, len(refs))
	for _, r := range refs {
		out = append(out, Image{Ref: r, Img: img})
	}
	return out, nil
}
