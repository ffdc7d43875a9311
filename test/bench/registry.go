package main

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	goruntime "runtime"
	"slices"
	"sort"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/skiffrt/skiff/internal/testutil/testimage"
	"github.com/skiffrt/skiff/internal/testutil/testregistry"
)

// PauseImage is the reference runtime's sandbox image.
const PauseImage = testimage.Pause310

// pauseRefs are the pause references the test images serve a shell
// stand-in under (fine for critest, not for measuring memory); the
// benchmark serves its static C pause under them instead.
var pauseRefs = []string{testimage.Pause, testimage.PauseK8sGCR, testimage.Pause310}

// startRegistry serves the test images, with the pause program at
// pausePath as every pause image, on a free loopback port.
func startRegistry(ctx context.Context, pausePath string) (*testregistry.Registry, error) {
	busybox, err := testimage.BusyboxPath()
	if err != nil {
		return nil, err
	}
	all, err := testimage.All(busybox)
	if err != nil {
		return nil, err
	}
	images := slices.DeleteFunc(all, func(i testimage.Image) bool { return slices.Contains(pauseRefs, i.Ref) })
	pause, err := pauseImage(pausePath)
	if err != nil {
		return nil, err
	}
	for _, ref := range pauseRefs {
		images = append(images, testimage.Image{Ref: ref, Img: pause})
	}
	return testregistry.Start(ctx, "127.0.0.1:0", images)
}

// pauseImage is a one-layer image holding the program at path as /pause,
// run as 65535:65535 like the upstream pause image.
func pauseImage(path string) (v1.Image, error) {
	prog, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("pause program: %w (make bench builds it)", err)
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	if err := tw.WriteHeader(&tar.Header{Name: "pause", Mode: 0o755, Size: int64(len(prog)), Typeflag: tar.TypeReg}); err != nil {
		return nil, err
	}
	if _, err := tw.Write(prog); err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	raw := buf.Bytes()
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(raw)), nil })
	if err != nil {
		return nil, err
	}
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", goruntime.GOARCH
	cf.Config.Entrypoint = []string{"/pause"}
	cf.Config.User = "65535:65535"
	return mutate.ConfigFile(img, cf)
}

// mirroredHosts are the registry hosts of the served references, each
// of which both runtimes mirror to the test registry.
func mirroredHosts(reg *testregistry.Registry) []string {
	set := map[string]bool{"docker.io": true}
	for _, s := range reg.Refs() {
		host, _, _ := strings.Cut(s.Ref, "/")
		set[host] = true
	}
	hosts := make([]string, 0, len(set))
	for h := range set {
		hosts = append(hosts, h)
	}
	sort.Strings(hosts)
	return hosts
}
