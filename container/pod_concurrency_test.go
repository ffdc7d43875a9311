package container

import (
	"context"
	"errors"
	"net"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/distribution/reference"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/skiffrt/skiff/internal/errdefs"
	"github.com/skiffrt/skiff/internal/image"
	"github.com/skiffrt/skiff/internal/image/remote"
	"github.com/skiffrt/skiff/internal/proc"
	"github.com/skiffrt/skiff/sandbox"
)

// noKernel is a sandbox.Kernel for pods in the host's namespaces, which
// make no kernel objects.
type noKernel struct{}

func (noKernel) NewNetNS(context.Context, string, string) (string, error) { return "", nil }
func (noKernel) RemoveNetNS(string) error                                 { return nil }
func (noKernel) NetNSExists(string) bool                                  { return false }
func (noKernel) MountShm(string) error                                    { return nil }
func (noKernel) UnmountShm(string) error                                  { return nil }
func (noKernel) DialLoopback(context.Context, string, uint16) (net.Conn, error) {
	return nil, errors.ErrUnsupported
}
func (noKernel) UDPBound(string, uint16) bool { return false }

// noPauses is a sandbox.Pauses that runs nothing: the n-th pause is
// pid n, alive until stopped.
type noPauses struct {
	mu   sync.Mutex
	n    int
	live map[string]bool
}

func (p *noPauses) Start(_ context.Context, id string, _ *specs.Spec) (proc.ID, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.live == nil {
		p.live = map[string]bool{}
	}
	p.n++
	p.live[id] = true
	return proc.ID{PID: p.n, StartTime: 1}, nil
}

func (p *noPauses) Alive(id string, _ proc.ID) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.live[id]
}

func (p *noPauses) Stop(_ context.Context, id string, _ proc.ID, _ string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.live, id)
	return nil
}

func (*noPauses) Adopt(string) (proc.ID, error) { return proc.ID{}, errdefs.ErrNotFound }

// noPull is the image store of pods without a pause image.
type noPull struct{ *fakeImages }

func (noPull) Pull(context.Context, reference.Named, *remote.Auth) (*image.Image, error) {
	return nil, errdefs.ErrNotImplemented
}

// TestConcurrentPodCalls races container creation against the removal
// of the pod: a container is either made before the pod goes, and goes
// with it, or refused; nothing of it is left either way.
func TestConcurrentPodCalls(t *testing.T) {
	e := newEnv(t)
	e.tasks.Delay("Create", 100*time.Microsecond)
	pods := sandbox.New(sandbox.Deps{
		Sandboxes: e.st.Sandboxes, Containers: e.m, Images: noPull{e.images}, Pauses: &noPauses{},
		Rootfs: e.rootfs, Kernel: noKernel{}, Locks: e.locks,
	}, sandbox.Config{
		RunDir: filepath.Join(t.TempDir(), "pods"), PauseRootfs: "/pause", CgroupManager: "cgroupfs",
	})
	e.st.Sandboxes.Delete(e.pod.ID) // only the pods made here
	for i := range 20 {
		cfg := &runtime.PodSandboxConfig{
			Metadata: &runtime.PodSandboxMetadata{Name: "p", Namespace: "ns", Uid: "u", Attempt: uint32(i)},
			Linux: &runtime.LinuxPodSandboxConfig{SecurityContext: &runtime.LinuxSandboxSecurityContext{
				NamespaceOptions: &runtime.NamespaceOption{Network: runtime.NamespaceMode_NODE, Ipc: runtime.NamespaceMode_NODE},
			}},
		}
		ctx := ctxT(t)
		pod, err := pods.Run(ctx, cfg, "")
		if err != nil {
			t.Fatal(err)
		}
		errs := race(
			func() error { _, err := e.m.Create(ctx, pod, config("a")); return err },
			func() error { _, err := e.m.Create(ctx, pod, config("b")); return err },
			func() error { return pods.Stop(ctx, pod) },
			func() error { return pods.Remove(ctx, pod) },
			func() error { return pods.Remove(ctx, pod) },
		)
		allowed(t, "Create", errs[0], errdefs.ErrNotFound, errdefs.ErrFailedPrecondition)
		allowed(t, "Create", errs[1], errdefs.ErrNotFound, errdefs.ErrFailedPrecondition)
		for i, err := range errs[2:] {
			allowed(t, []string{"Stop", "Remove", "Remove"}[i], err)
		}
		if left := e.st.Sandboxes.List(nil); len(left) > 0 {
			t.Fatalf("pods left: %d", len(left))
		}
		e.assertNothingLeft(t)
	}
}
