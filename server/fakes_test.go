package server

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/skiffrt/skiff/internal/config"
	"github.com/skiffrt/skiff/internal/errdefs"
	"github.com/skiffrt/skiff/internal/health"
	"github.com/skiffrt/skiff/internal/image"
	"github.com/skiffrt/skiff/internal/image/remote"
	"github.com/skiffrt/skiff/internal/store"
	"github.com/skiffrt/skiff/internal/task"
)

// fakeContainers is the container manager: records by ID, the calls it
// got, and an error to answer every call with.
type fakeContainers struct {
	byID  map[string]store.Container
	calls []string
	err   error
	exec  *task.ExecResult
}

func (f *fakeContainers) call(format string, args ...any) error {
	f.calls = append(f.calls, fmt.Sprintf(format, args...))
	return f.err
}

func (f *fakeContainers) Create(_ context.Context, sandboxID string, cfg *runtime.ContainerConfig) (string, error) {
	return "c-" + cfg.GetMetadata().GetName(), f.call("Create %s %s", sandboxID, cfg.GetMetadata().GetName())
}
func (f *fakeContainers) Start(_ context.Context, id string) error { return f.call("Start %s", id) }
func (f *fakeContainers) Stop(_ context.Context, id string, timeout time.Duration) error {
	return f.call("Stop %s %s", id, timeout)
}
func (f *fakeContainers) Remove(_ context.Context, id string) error { return f.call("Remove %s", id) }
func (f *fakeContainers) Get(id string) (store.Container, error) {
	if err := f.call("Get %s", id); err != nil {
		return store.Container{}, err
	}
	c, ok := f.byID[id]
	if !ok {
		return c, fmt.Errorf("container %q: %w", id, errdefs.ErrNotFound)
	}
	return c, nil
}
func (f *fakeContainers) List(keep func(store.Container) bool) []store.Container {
	var out []store.Container
	for _, id := range sortedKeys(f.byID) {
		if keep(f.byID[id]) {
			out = append(out, f.byID[id])
		}
	}
	return out
}
func (f *fakeContainers) ExecSync(_ context.Context, id string, cmd []string, timeout time.Duration) (*task.ExecResult, error) {
	return f.exec, f.call("ExecSync %s %q %s", id, cmd, timeout)
}
func (f *fakeContainers) CheckExec(id string, cmd []string) (string, error) {
	return "full-" + id, f.call("CheckExec %s %q", id, cmd)
}
func (f *fakeContainers) CheckAttach(id string, stdin, tty bool) (string, error) {
	return "full-" + id, f.call("CheckAttach %s %v %v", id, stdin, tty)
}
func (f *fakeContainers) Checkpoint(_ context.Context, id, location string, _ *runtime.ContainerStatus) error {
	return f.call("Checkpoint %s %s", id, location)
}
func (f *fakeContainers) CheckpointPod(_ context.Context, sandboxID, dir string, ids []string, _ func(store.Container) *runtime.ContainerStatus) error {
	return f.call("CheckpointPod %s %s %v", sandboxID, dir, ids)
}
func (f *fakeContainers) Restore(_ context.Context, sandboxID string, cfg *runtime.ContainerConfig, archive string) (string, error) {
	return "r-" + cfg.GetMetadata().GetName(), f.call("Restore %s %s %s", sandboxID, cfg.GetMetadata().GetName(), archive)
}
func (f *fakeContainers) ReopenLog(_ context.Context, id string) error {
	return f.call("ReopenLog %s", id)
}
func (f *fakeContainers) UpdateResources(_ context.Context, id string, r *runtime.LinuxContainerResources) error {
	return f.call("UpdateResources %s %s", id, r)
}
func (f *fakeContainers) ImageUser(id digest.Digest) (string, bool) {
	for _, c := range f.byID {
		if c.ImageRef == id.String() {
			return c.ID, true
		}
	}
	return "", false
}

// fakeSandboxes is the sandbox manager.
type fakeSandboxes struct {
	byID  map[string]store.Sandbox
	calls []string
	err   error
}

func (f *fakeSandboxes) call(format string, args ...any) error {
	f.calls = append(f.calls, fmt.Sprintf(format, args...))
	return f.err
}

func (f *fakeSandboxes) Run(_ context.Context, cfg *runtime.PodSandboxConfig, handler string) (string, error) {
	return "p-" + cfg.GetMetadata().GetName(), f.call("Run %s %q", cfg.GetMetadata().GetName(), handler)
}
func (f *fakeSandboxes) UpdateResources(_ context.Context, id string, overhead, resources *runtime.LinuxContainerResources) error {
	return f.call("UpdateResources %s %s %s", id, overhead, resources)
}
func (f *fakeSandboxes) CheckPortForward(_ context.Context, id string, ports []int32) (string, error) {
	return "full-" + id, f.call("CheckPortForward %s %v", id, ports)
}
func (f *fakeSandboxes) Stop(_ context.Context, id string) error   { return f.call("Stop %s", id) }
func (f *fakeSandboxes) Remove(_ context.Context, id string) error { return f.call("Remove %s", id) }
func (f *fakeSandboxes) Get(_ context.Context, id string) (store.Sandbox, error) {
	if err := f.call("Get %s", id); err != nil {
		return store.Sandbox{}, err
	}
	sb, ok := f.byID[id]
	if !ok {
		return sb, fmt.Errorf("pod sandbox %q: %w", id, errdefs.ErrNotFound)
	}
	return sb, nil
}
func (f *fakeSandboxes) List(_ context.Context, keep func(store.Sandbox) bool) []store.Sandbox {
	var out []store.Sandbox
	for _, id := range sortedKeys(f.byID) {
		if keep(f.byID[id]) {
			out = append(out, f.byID[id])
		}
	}
	return out
}

// fakeImages is the image store, holding images by ID.
type fakeImages struct {
	images  []*image.Image
	pulled  []string
	removed []string
	err     error
}

func (f *fakeImages) Pull(_ context.Context, ref reference.Named, auth *remote.Auth) (*image.Image, error) {
	if f.err != nil {
		return nil, f.err
	}
	f.pulled = append(f.pulled, fmt.Sprintf("%s %v", ref, auth != nil))
	return &image.Image{ID: digest.FromString(ref.String())}, nil
}
func (f *fakeImages) Get(name string) (*image.Image, error) {
	for _, img := range f.images {
		if img.ID.String() == name || strings.Contains(strings.Join(img.RepoTags, " "), name) {
			return img, nil
		}
	}
	return nil, fmt.Errorf("image %q: %w", name, errdefs.ErrNotFound)
}
func (f *fakeImages) List(filter string) ([]*image.Image, error) {
	if filter == "" {
		return f.images, f.err
	}
	img, ok, err := errdefs.Found(f.Get(filter))
	if !ok {
		return nil, err
	}
	return []*image.Image{img}, nil
}
func (f *fakeImages) Config(digest.Digest) ([]byte, error) { return []byte(`{"os":"linux"}`), f.err }
func (f *fakeImages) Remove(_ context.Context, name string, inUse image.InUse) error {
	img, ok, err := errdefs.Found(f.Get(name))
	if !ok {
		return err
	}
	if c, used := inUse(img.ID); used {
		return fmt.Errorf("%w: image is used by container %s", errdefs.ErrFailedPrecondition, c)
	}
	f.removed = append(f.removed, name)
	return nil
}
func (f *fakeImages) Usage() (image.Usage, error) {
	return image.Usage{Dir: "/var/lib/skiff/images", Bytes: 1000, Inodes: 10}, f.err
}

type fakeCIDR struct{ cidr string }

func (f *fakeCIDR) SetPodCIDR(cidr string) error {
	if !strings.Contains(cidr, "/") {
		return fmt.Errorf("%w: bad CIDR %q", errdefs.ErrInvalidArgument, cidr)
	}
	f.cidr = cidr
	return nil
}

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }

// env is a Server on fakes.
type env struct {
	s          *Server
	containers *fakeContainers
	sandboxes  *fakeSandboxes
	images     *fakeImages
	cidr       *fakeCIDR
	streams    *fakeStreams
	notReady   *health.Problem // what the network check answers
}

func newEnv(cfg config.Config) *env {
	e := &env{
		containers: &fakeContainers{byID: map[string]store.Container{}},
		sandboxes:  &fakeSandboxes{byID: map[string]store.Sandbox{}},
		images:     &fakeImages{}, cidr: &fakeCIDR{}, streams: &fakeStreams{},
	}
	e.s = New(Options{
		Config: cfg, Images: e.images, Sandboxes: e.sandboxes, Containers: e.containers, PodCIDR: e.cidr,
		Streams:      e.streams,
		RuntimeReady: func(context.Context) *health.Problem { return nil },
		NetworkReady: func(context.Context) *health.Problem { return e.notReady },
		Features:     Features{RecursiveReadOnlyMounts: true},
	})
	return e
}

// wantClass checks that err is of class (nil: no error).
func wantClass(t *testing.T, err, class error) {
	t.Helper()
	if class == nil && err != nil || class != nil && !errors.Is(err, class) {
		t.Errorf("err = %v, want %v", err, class)
	}
}
