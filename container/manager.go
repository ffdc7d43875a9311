package container

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/skiffrt/skiff/internal/errdefs"
	"github.com/skiffrt/skiff/internal/image"
	"github.com/skiffrt/skiff/internal/store"
	"github.com/skiffrt/skiff/internal/task"
	"github.com/skiffrt/skiff/oci"
)

// Images is what containers need from the image store.
type Images interface {
	Get(name string) (*image.Image, error)
	Config(id digest.Digest) ([]byte, error)
	LayerDirs(id digest.Digest) ([]string, error)
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

// Manager runs containers. It is safe for concurrent use.
type Manager struct {
	containers *store.Table[store.Container]
	sandboxes  *store.Table[store.Sandbox]
	images     Images
	tasks      *task.Runner
	cfg        Config
}

// New returns a Manager.
func New(containers *store.Table[store.Container], sandboxes *store.Table[store.Sandbox], images Images, tasks *task.Runner, cfg Config) *Manager {
	return &Manager{containers: containers, sandboxes: sandboxes, images: images, tasks: tasks, cfg: cfg}
}

func (m *Manager) dir(id string) string { return filepath.Join(m.cfg.Dir, id) }

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

// recordExit stores e as the end of container id.
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
