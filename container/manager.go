package container

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/skiffrt/skiff/internal/errdefs"
	"github.com/skiffrt/skiff/internal/image"
	"github.com/skiffrt/skiff/internal/keylock"
	"github.com/skiffrt/skiff/internal/store"
	"github.com/skiffrt/skiff/internal/task"
	"github.com/skiffrt/skiff/oci"
)

// Records is the store's container table (store.Table).
type Records interface {
	Add(c store.Container) error
	Get(id string) (store.Container, error)
	Update(id string, fn func(store.Container) (store.Container, error)) (store.Container, error)
	Delete(id string) error
	List(keep func(store.Container) bool) []store.Container
}

// Pods is where containers find their pod: the store's sandbox table.
type Pods interface {
	Get(id string) (store.Sandbox, error)
}

// Images is what containers need from the image store.
type Images interface {
	Get(name string) (*image.Image, error)
	Config(id digest.Digest) ([]byte, error)
	LayerDirs(id digest.Digest) ([]string, error)
}

// Tasks runs the containers' processes under their shims (task.Runner).
type Tasks interface {
	Create(ctx context.Context, id string, spec *specs.Spec, o task.CreateOptions) (int, error)
	Start(ctx context.Context, id string) (time.Time, error)
	State(ctx context.Context, id string) (*task.State, error)
	Exit(id string) (*task.Exit, error)
	Stop(ctx context.Context, id string, sig syscall.Signal, timeout time.Duration) (*task.Exit, error)
	Wait(ctx context.Context, id string) (*task.Exit, error)
	ExecSync(ctx context.Context, id string, req task.ExecRequest) (*task.ExecResult, error)
	Exec(ctx context.Context, id string, req task.ExecRequest, s task.Streams) (int, error)
	Attach(ctx context.Context, id string, s task.Streams) error
	ReopenLog(ctx context.Context, id string) error
	Update(ctx context.Context, id string, r *specs.LinuxResources) error
	Delete(ctx context.Context, id, cgroupPath string) error
	Checkpoint(ctx context.Context, id, imagesDir, workDir string) error
	Spec(id string) (*specs.Spec, error)
	Pause(ctx context.Context, id string) error
	Resume(ctx context.Context, id string) error
}

// Rootfs mounts containers' root filesystems (rootfs.Overlay).
type Rootfs interface {
	Mount(ctx context.Context, lowerDirs []string, dir string) (string, error)
	Unmount(dir string) error
}

// Deps are what a Manager works with; all are required.
type Deps struct {
	Containers Records
	Pods       Pods
	Images     Images
	Tasks      Tasks
	Rootfs     Rootfs
	// Locks serialise the calls on one object; the sandbox manager shares
	// them, so that a pod is not stopped while a container joins it.
	Locks *keylock.Map
}

// Config is where and how the manager runs containers.
type Config struct {
	// Dir holds one directory per container: its writable layer and rootfs.
	Dir string
	// PodsDir is the sandbox manager's RunDir, where pod files are.
	PodsDir            string
	CgroupManager      string
	MinOOMScoreAdj     int
	SeccompProfileRoot string
	Features           oci.HostFeatures
}

// Manager runs containers. It is safe for concurrent use: Start, Stop and
// Remove of one container hold its lock (Deps.Locks) and so happen one
// after the other; Create holds its pod's lock shared, so that the pod is
// not stopped or removed meanwhile. ExecSync and ReopenLog take no lock:
// they run while the container runs, and end with it.
type Manager struct {
	containers Records
	pods       Pods
	images     Images
	tasks      Tasks
	rootfs     Rootfs
	locks      *keylock.Map
	cfg        Config
}

// New returns a Manager.
func New(d Deps, cfg Config) *Manager {
	return &Manager{
		containers: d.Containers, pods: d.Pods, images: d.Images, tasks: d.Tasks,
		rootfs: d.Rootfs, locks: d.Locks, cfg: cfg,
	}
}

func (m *Manager) dir(id string) string { return filepath.Join(m.cfg.Dir, id) }

// held is a container record read under the container's lock, which
// release gives back.
type held struct {
	store.Container
	release func()
}

// hold looks container id (or a unique prefix) up, takes its lock and
// returns the record as it is under the lock.
func (m *Manager) hold(ctx context.Context, id string) (held, error) {
	c, release, err := keylock.Hold(ctx, m.locks, id, m.containers.Get, func(r store.Container) string { return r.ID })
	return held{c, release}, err
}

// Name returns the unique name of a container in a pod:
// k8s_<container>_<pod>_<namespace>_<uid>_<attempt>.
func Name(c *runtime.ContainerMetadata, pod *runtime.PodSandboxMetadata) (string, error) {
	if c == nil || c.Name == "" {
		return "", fmt.Errorf("%w: container config: metadata.name is empty", errdefs.ErrInvalidArgument)
	}
	return strings.Join([]string{"k8s", c.Name, pod.GetName(), pod.GetNamespace(), pod.GetUid(), fmt.Sprint(c.Attempt)}, "_"), nil
}

// imageConfig reads what the spec needs from image id's config.
func (m *Manager) imageConfig(id digest.Digest) (oci.ImageConfig, error) {
	raw, err := m.images.Config(id)
	if err != nil {
		return oci.ImageConfig{}, err
	}
	var cfg ocispec.Image
	if err := json.Unmarshal(raw, &cfg); err != nil {
		return oci.ImageConfig{}, fmt.Errorf("image %s: config: %w", id, err)
	}
	c := cfg.Config
	return oci.ImageConfig{Env: c.Env, Entrypoint: c.Entrypoint, Cmd: c.Cmd, WorkingDir: c.WorkingDir, User: c.User, StopSignal: c.StopSignal}, nil
}

// unknownExit is the exit of a container whose shim died without
// recording one.
func unknownExit() *task.Exit {
	return &task.Exit{ExitCode: 255, FinishedAt: time.Now().UTC(), Reason: "Unknown"}
}

// recordExit stores e as the end of container id; a container already
// exited keeps its first exit.
func (m *Manager) recordExit(id string, e *task.Exit) (store.Container, error) {
	return m.containers.Update(id, func(c store.Container) (store.Container, error) {
		if c.State == store.ContainerExited {
			return c, nil
		}
		c, err := c.To(store.ContainerExited)
		if err != nil {
			return c, err
		}
		c.ExitCode, c.FinishedAt, c.Reason, c.Pid = int32(e.ExitCode), e.FinishedAt, e.Reason, 0
		if c.StartedAt.IsZero() && !e.StartedAt.IsZero() {
			c.StartedAt = e.StartedAt
		}
		return c, nil
	})
}
