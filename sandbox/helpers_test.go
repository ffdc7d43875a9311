package sandbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/skiffrt/skiff/internal/cni"
	"github.com/skiffrt/skiff/internal/errdefs"
	"github.com/skiffrt/skiff/internal/image"
	"github.com/skiffrt/skiff/internal/image/remote"
	"github.com/skiffrt/skiff/internal/keylock"
	"github.com/skiffrt/skiff/internal/log"
	"github.com/skiffrt/skiff/internal/proc"
	"github.com/skiffrt/skiff/internal/store"
	"github.com/skiffrt/skiff/internal/store/storetest"
)

// fakeContainers records the calls of the sandbox manager.
type fakeContainers struct {
	mu      sync.Mutex
	stopped []string
	removed []string
	fail    error
}

func (f *fakeContainers) StopAll(_ context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.stopped = append(f.stopped, id)
	return f.fail
}

func (f *fakeContainers) RemoveAll(_ context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.removed = append(f.removed, id)
	return f.fail
}

// fakeNetwork attaches pods to nothing, 10.0.0.<n>.
type fakeNetwork struct {
	mu        sync.Mutex
	attached  map[string]string // pod ID → netns
	n         int
	teardowns int
	fail      error
	// during, when set, runs at the start of Setup, unlocked; duringDel
	// at the start of Teardown.
	during, duringDel func()
}

func (f *fakeNetwork) Setup(_ context.Context, p cni.Pod) (*cni.Result, error) {
	if f.during != nil {
		f.during()
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return nil, f.fail
	}
	if f.attached == nil {
		f.attached = map[string]string{}
	}
	f.attached[p.ID] = p.NetNS
	f.n++
	return &cni.Result{IPs: []net.IP{net.IPv4(10, 0, 0, byte(f.n))}}, nil
}

func (f *fakeNetwork) Teardown(_ context.Context, p cni.Pod) error {
	if f.duringDel != nil {
		f.duringDel()
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.teardowns++
	delete(f.attached, p.ID)
	return nil
}

func (f *fakeNetwork) isAttached(id string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, ok := f.attached[id]
	return ok
}

func (f *fakeNetwork) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.attached)
}

// fakeKernel pins namespaces as plain files and mounts shm as a mark;
// its pods' ports are listeners it was given, and UDP ports a set.
type fakeKernel struct {
	mu      sync.Mutex
	shm     map[string]bool
	failNS  error
	failShm error
	tcp     map[uint16]string // port → address of a listener
	udp     map[uint16]bool
	dialed  []string // "netns port" of each dial
}

func (f *fakeKernel) NewNetNS(_ context.Context, dir, name string) (string, error) {
	if f.failNS != nil {
		return "", f.failNS
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	p := filepath.Join(dir, name)
	return p, os.WriteFile(p, nil, 0o444)
}

func (f *fakeKernel) RemoveNetNS(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

func (f *fakeKernel) NetNSExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func (f *fakeKernel) MountShm(dir string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failShm != nil {
		return f.failShm
	}
	if f.shm == nil {
		f.shm = map[string]bool{}
	}
	f.shm[dir] = true
	return os.MkdirAll(filepath.Join(dir, "shm"), 0o755)
}

func (f *fakeKernel) UnmountShm(dir string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.shm, dir)
	return nil
}

func (f *fakeKernel) DialLoopback(ctx context.Context, netnsPath string, port uint16) (net.Conn, error) {
	f.mu.Lock()
	f.dialed = append(f.dialed, fmt.Sprintf("%s %d", netnsPath, port))
	addr, ok := f.tcp[port]
	f.mu.Unlock()
	if !ok {
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	}
	var d net.Dialer
	return d.DialContext(ctx, "tcp", addr)
}

func (f *fakeKernel) UDPBound(_ string, port uint16) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.udp[port]
}

func (f *fakeKernel) mounts() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.shm)
}

// fakeRootfs mounts pause images as marks.
type fakeRootfs struct {
	mu      sync.Mutex
	mounted map[string]bool
}

func (f *fakeRootfs) Mount(_ context.Context, _ []string, dir string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.mounted == nil {
		f.mounted = map[string]bool{}
	}
	f.mounted[dir] = true
	root := filepath.Join(dir, "rootfs")
	return root, os.MkdirAll(root, 0o755)
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

// fakeImages has the pause image once pulled; config is its config.
type fakeImages struct {
	mu     sync.Mutex
	pulled bool
	config string
}

var pauseID = digest.FromString("pause config")

func (f *fakeImages) Get(name string) (*image.Image, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.pulled {
		return nil, fmt.Errorf("image %q: %w", name, errdefs.ErrNotFound)
	}
	return &image.Image{ID: pauseID}, nil
}

func (f *fakeImages) Pull(context.Context, reference.Named, *remote.Auth) (*image.Image, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.pulled = true
	return &image.Image{ID: pauseID}, nil
}

func (f *fakeImages) Config(digest.Digest) ([]byte, error) { return []byte(f.config), nil }

func (f *fakeImages) LayerDirs(digest.Digest) ([]string, error) { return []string{"/layers/p"}, nil }

// fakePauses runs pause containers as records: the n-th has pid n and
// start time 1000+n.
type fakePauses struct {
	mu     sync.Mutex
	pauses map[string]*fakePause // by pod ID, until stopped
	n      int
	fail   map[string]error   // by method
	adopt  map[string]proc.ID // Adopt's answers, by pod ID
	calls  []string           // "Method podID"
	// during, when set, runs at the start of Start, unlocked; duringStop
	// at the start of Stop.
	during, duringStop func()
}

// fakePause is one pause container; p is zero when its start failed.
type fakePause struct {
	p      proc.ID
	spec   *specs.Spec
	exited bool
}

func (f *fakePauses) begin(method, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, method+" "+id)
	return f.fail[method]
}

func (f *fakePauses) failNext(method string, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail == nil {
		f.fail = map[string]error{}
	}
	f.fail[method] = err
}

func (f *fakePauses) Start(_ context.Context, id string, spec *specs.Spec) (proc.ID, error) {
	if f.during != nil {
		f.during()
	}
	err := f.begin("Start", id)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.pauses == nil {
		f.pauses = map[string]*fakePause{}
	}
	pause := &fakePause{spec: spec}
	f.pauses[id] = pause // a failed start may leave a container too
	if err != nil {
		return proc.ID{}, err
	}
	f.n++
	pause.p = proc.ID{PID: f.n, StartTime: uint64(1000 + f.n)}
	return pause.p, nil
}

func (f *fakePauses) Alive(id string, p proc.ID) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	pause := f.pauses[id]
	return pause != nil && pause.p == p && !pause.exited
}

func (f *fakePauses) Stop(_ context.Context, id string, _ proc.ID, _ string) error {
	if f.duringStop != nil {
		f.duringStop()
	}
	if err := f.begin("Stop", id); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.pauses, id)
	return nil
}

func (f *fakePauses) Adopt(id string) (proc.ID, error) {
	if err := f.begin("Adopt", id); err != nil {
		return proc.ID{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	p, ok := f.adopt[id]
	if !ok {
		return proc.ID{}, fmt.Errorf("pause %s: %w", id, errdefs.ErrNotFound)
	}
	return p, nil
}

// exit makes pod id's pause process exit, as if on its own.
func (f *fakePauses) exit(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.pauses[id].exited = true
}

// get returns pod id's pause, nil once stopped.
func (f *fakePauses) get(id string) *fakePause {
	f.mu.Lock()
	defer f.mu.Unlock()
	if p := f.pauses[id]; p != nil {
		c := *p
		return &c
	}
	return nil
}

// live returns the pods whose pause is not stopped.
func (f *fakePauses) live() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var ids []string
	for id := range f.pauses {
		ids = append(ids, id)
	}
	return ids
}

// env is a Manager on fakes.
type env struct {
	m          *Manager
	st         *store.Store
	records    *storetest.FailingTable[store.Sandbox]
	containers *fakeContainers
	network    *fakeNetwork
	kernel     *fakeKernel
	rootfs     *fakeRootfs
	images     *fakeImages
	pauses     *fakePauses
	locks      *keylock.Map
	cfg        Config
}

func newEnv(t *testing.T, pauseImage string) *env {
	t.Helper()
	root := t.TempDir()
	st, err := store.Open(root)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e := &env{
		st: st, records: &storetest.FailingTable[store.Sandbox]{Table: st.Sandboxes}, containers: &fakeContainers{},
		network: &fakeNetwork{}, kernel: &fakeKernel{}, rootfs: &fakeRootfs{},
		images: &fakeImages{config: `{"config":{"Entrypoint":["/pause"]}}`}, pauses: &fakePauses{}, locks: &keylock.Map{},
		cfg: Config{
			RunDir: filepath.Join(root, "pods"), NetNSDir: filepath.Join(root, "netns"),
			PauseRootfs: filepath.Join(root, "pause", "rootfs"), PauseImage: pauseImage,
			PauseImageDir: filepath.Join(root, "pause", "pods"), CgroupManager: "cgroupfs",
		},
	}
	e.m = New(Deps{
		Sandboxes: e.records, Containers: e.containers, Images: e.images, Network: e.network,
		Pauses: e.pauses, Rootfs: e.rootfs, Kernel: e.kernel, Locks: e.locks,
	}, e.cfg)
	return e
}

// podConfig is a pod named name with its own network and IPC namespaces.
func podConfig(name string) *runtime.PodSandboxConfig {
	return &runtime.PodSandboxConfig{
		Metadata:  &runtime.PodSandboxMetadata{Name: name, Namespace: "ns", Uid: "uid-" + name},
		Hostname:  name,
		DnsConfig: &runtime.DNSConfig{Servers: []string{"10.0.0.10"}},
	}
}

// hostPodConfig is a pod in the host's network and IPC namespaces.
func hostPodConfig(name string) *runtime.PodSandboxConfig {
	c := podConfig(name)
	c.Linux = &runtime.LinuxPodSandboxConfig{SecurityContext: &runtime.LinuxSandboxSecurityContext{
		NamespaceOptions: &runtime.NamespaceOption{Network: runtime.NamespaceMode_NODE, Ipc: runtime.NamespaceMode_NODE},
	}}
	return c
}

// ctxT is a test's context, its log discarded.
func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return log.WithLogger(ctx, slog.New(slog.DiscardHandler))
}

func (e *env) run(t *testing.T, cfg *runtime.PodSandboxConfig) string {
	t.Helper()
	id, err := e.m.Run(ctxT(t), cfg, "")
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return id
}

// assertNothingLeft checks that no record, pause, netns, network
// attachment, mount, pod directory or lock is left.
func (e *env) assertNothingLeft(t *testing.T) {
	t.Helper()
	if left := e.st.Sandboxes.List(nil); len(left) > 0 {
		t.Errorf("%d records left", len(left))
	}
	if left := e.pauses.live(); len(left) > 0 {
		t.Errorf("pause containers left: %v", left)
	}
	if n := e.network.count(); n > 0 {
		t.Errorf("%d network attachments left", n)
	}
	if n := e.kernel.mounts() + e.rootfs.count(); n > 0 {
		t.Errorf("%d mounts left", n)
	}
	for _, dir := range []string{e.cfg.RunDir, e.cfg.NetNSDir, e.cfg.PauseImageDir} {
		if entries, _ := os.ReadDir(dir); len(entries) > 0 {
			t.Errorf("%s holds %d entries", dir, len(entries))
		}
	}
	if n := e.locks.Len(); n > 0 {
		t.Errorf("%d locks left", n)
	}
}

// wantErr checks that err is of class and mentions msg.
func wantErr(t *testing.T, err, class error, msg string) {
	t.Helper()
	if !errors.Is(err, class) || !strings.Contains(err.Error(), msg) {
		t.Errorf("err = %v, want class %q mentioning %q", err, class, msg)
	}
}
