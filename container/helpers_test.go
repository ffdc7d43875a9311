package container

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/skiffrt/skiff/internal/errdefs"
	"github.com/skiffrt/skiff/internal/image"
	"github.com/skiffrt/skiff/internal/keylock"
	"github.com/skiffrt/skiff/internal/log"
	"github.com/skiffrt/skiff/internal/store"
	"github.com/skiffrt/skiff/internal/store/storetest"
	"github.com/skiffrt/skiff/internal/task/tasktest"
	"github.com/skiffrt/skiff/oci"
)

// fakeImages holds one image, busybox, whose config has stopSignal;
// none while missing is set.
type fakeImages struct {
	stopSignal string
	missing    bool
}

var busyboxID = digest.FromString("busybox config")

func (f *fakeImages) Get(name string) (*image.Image, error) {
	if f.missing || name != "busybox" && name != busyboxID.String() && name != "docker.io/library/busybox:latest" {
		return nil, fmt.Errorf("image %q: %w", name, errdefs.ErrNotFound)
	}
	return &image.Image{ID: busyboxID, RepoTags: []string{"docker.io/library/busybox:latest"}}, nil
}

func (f *fakeImages) Config(digest.Digest) ([]byte, error) {
	return fmt.Appendf(nil, `{"config":{"Env":["PATH=/bin"],"Cmd":["sh"],"StopSignal":%q}}`, f.stopSignal), nil
}

func (f *fakeImages) LayerDirs(digest.Digest) ([]string, error) { return []string{"/layers/1"}, nil }

// fakeRootfs "mounts" a directory holding etc/passwd and etc/group.
type fakeRootfs struct {
	mu      sync.Mutex
	mounted map[string]bool
	fail    error
}

func (f *fakeRootfs) Mount(_ context.Context, _ []string, dir string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return "", f.fail
	}
	root := filepath.Join(dir, "rootfs")
	if err := os.MkdirAll(filepath.Join(root, "etc"), 0o755); err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Join(dir, "upper"), 0o755); err != nil {
		return "", err
	}
	os.WriteFile(filepath.Join(root, "etc/passwd"), []byte("root:x:0:0:root:/root:/bin/sh\n"), 0o644)
	os.WriteFile(filepath.Join(root, "etc/group"), []byte("root:x:0:\n"), 0o644)
	if f.mounted == nil {
		f.mounted = map[string]bool{}
	}
	f.mounted[dir] = true
	return root, nil
}

func (f *fakeRootfs) Unmount(dir string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.mounted, dir)
	return nil
}

func (f *fakeRootfs) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.mounted)
}

// env is a Manager on fakes, with one ready pod.
type env struct {
	m       *Manager
	st      *store.Store
	records *storetest.FailingTable[store.Container]
	tasks   *tasktest.Runner
	rootfs  *fakeRootfs
	images  *fakeImages
	locks   *keylock.Map
	root    string // the test's own directory
	dir     string // the containers' directory
	pod     store.Sandbox
}

func newEnv(t *testing.T) *env {
	t.Helper()
	root := t.TempDir()
	st, err := store.Open(root)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e := &env{
		st: st, records: &storetest.FailingTable[store.Container]{Table: st.Containers}, tasks: &tasktest.Runner{},
		rootfs: &fakeRootfs{}, images: &fakeImages{}, locks: &keylock.Map{},
		root: root, dir: filepath.Join(root, "containers"),
	}
	e.m = New(Deps{
		Containers: e.records, Pods: st.Sandboxes, Images: e.images, Tasks: e.tasks, Rootfs: e.rootfs, Locks: e.locks,
	}, Config{
		Dir: e.dir, PodsDir: filepath.Join(root, "pods"), CgroupManager: "cgroupfs",
		Features: oci.HostFeatures{OnlineCPUs: "0-1", OnlineMems: "0"},
	})
	e.pod = store.Sandbox{
		ID: store.NewID(), Name: "k8s_pod_ns_u1_0", State: store.SandboxReady, PausePID: 1, NetNS: "/run/netns/pod",
		Config: store.Proto[*runtime.PodSandboxConfig]{Msg: &runtime.PodSandboxConfig{
			Metadata:     &runtime.PodSandboxMetadata{Name: "pod", Namespace: "ns", Uid: "u1"},
			LogDirectory: filepath.Join(root, "logs"),
		}},
	}
	if err := st.Sandboxes.Add(e.pod); err != nil {
		t.Fatal(err)
	}
	return e
}

// config is a container config named name.
func config(name string) *runtime.ContainerConfig {
	return &runtime.ContainerConfig{
		Metadata: &runtime.ContainerMetadata{Name: name},
		Image:    &runtime.ImageSpec{Image: "busybox"},
		Command:  []string{"sleep", "1000"},
		LogPath:  name + "/0.log",
	}
}

// ctxT is a test's context, its log discarded.
func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return log.WithLogger(ctx, slog.New(slog.DiscardHandler))
}

// create creates a container named name in the pod.
func (e *env) create(t *testing.T, name string) string {
	t.Helper()
	id, err := e.m.Create(ctxT(t), e.pod.ID, config(name))
	if err != nil {
		t.Fatalf("Create %s: %v", name, err)
	}
	return id
}

// run creates and starts a container named name.
func (e *env) run(t *testing.T, name string) string {
	t.Helper()
	id := e.create(t, name)
	if err := e.m.Start(ctxT(t), id); err != nil {
		t.Fatalf("Start %s: %v", name, err)
	}
	return id
}

// state returns container id's recorded state.
func (e *env) state(t *testing.T, id string) store.ContainerState {
	t.Helper()
	c, err := e.m.Get(id)
	if err != nil {
		t.Fatalf("Get %s: %v", id, err)
	}
	return c.State
}

// waitState waits until container id is in state want.
func (e *env) waitState(t *testing.T, id string, want store.ContainerState) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
		if got := e.state(t, id); got == want {
			return
		} else if time.Now().After(deadline) {
			t.Fatalf("container %s is %s, want %s", id, got, want)
		}
	}
}

// assertNothingLeft checks that no record, task, mount, directory or lock
// is left.
func (e *env) assertNothingLeft(t *testing.T) {
	t.Helper()
	if left := e.st.Containers.List(nil); len(left) > 0 {
		t.Errorf("records left: %v", ids(left))
	}
	if left := e.tasks.Live(); len(left) > 0 {
		t.Errorf("tasks left: %v", left)
	}
	if n := e.rootfs.count(); n > 0 {
		t.Errorf("%d rootfs mounts left", n)
	}
	if entries, _ := os.ReadDir(e.dir); len(entries) > 0 {
		t.Errorf("container directories left: %d", len(entries))
	}
	if n := e.locks.Len(); n > 0 {
		t.Errorf("%d locks left", n)
	}
}

func ids(cs []store.Container) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.ID)
	}
	return out
}

// wantErr checks that err is of class (nil: no error) and mentions msg.
func wantErr(t *testing.T, err, class error, msg string) {
	t.Helper()
	switch {
	case class == nil && err != nil:
		t.Errorf("unexpected error: %v", err)
	case class != nil && !errors.Is(err, class):
		t.Errorf("err = %v, want class %q", err, class)
	case class != nil && !strings.Contains(err.Error(), msg):
		t.Errorf("err = %v, want it to mention %q", err, msg)
	}
}

func hasCall(calls []string, call string) bool { return slices.Contains(calls, call) }
