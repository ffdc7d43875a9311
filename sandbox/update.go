package sandbox

import (
	"context"
	"fmt"

	"google.golang.org/protobuf/proto"
	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/skiffrt/skiff/internal/errdefs"
	"github.com/skiffrt/skiff/internal/log"
	"github.com/skiffrt/skiff/internal/store"
)

// UpdateResources records a pod's new pod-level resources and overhead
// in its config, as UpdatePodSandboxResources asks: kubelet has already
// resized the pod's cgroup, and each container's limits change through
// UpdateContainerResources, so no cgroup is written here. A nil
// argument keeps the recorded value.
func (m *Manager) UpdateResources(ctx context.Context, id string, overhead, resources *runtime.LinuxContainerResources) error {
	sb, err := m.hold(ctx, id)
	if err != nil {
		return err
	}
	defer sb.release()
	if sb.State != store.SandboxReady {
		return fmt.Errorf("%w: pod sandbox %s is not ready", errdefs.ErrFailedPrecondition, sb.ID)
	}
	_, err = m.sandboxes.Update(sb.ID, func(s store.Sandbox) (store.Sandbox, error) {
		cfg := proto.Clone(s.Config.Msg).(*runtime.PodSandboxConfig)
		if cfg.Linux == nil {
			cfg.Linux = &runtime.LinuxPodSandboxConfig{}
		}
		if overhead != nil {
			cfg.Linux.Overhead = overhead
		}
		if resources != nil {
			cfg.Linux.Resources = resources
		}
		s.Config.Msg = cfg
		return s, nil
	})
	if err == nil {
		log.G(ctx).Info("recorded pod resources", log.KeySandboxID, sb.ID, "resources", resources.String(), "overhead", overhead.String())
	}
	return err
}
