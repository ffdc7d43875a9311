package container

import (
	"context"
	"fmt"
	"maps"

	"google.golang.org/protobuf/proto"
	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/skiffrt/skiff/internal/errdefs"
	"github.com/skiffrt/skiff/internal/log"
	"github.com/skiffrt/skiff/internal/store"
	"github.com/skiffrt/skiff/oci"
)

// UpdateResources changes the cgroup limits of a created or running
// container and records them in its config, so that ContainerStatus
// reports them, also after a restart. Fields of upd left zero keep their
// value. The shim applies the limits through libcontainer; a value the
// kernel refuses leaves the container as it was (errdefs classes
// ErrInvalidArgument, or ErrFailedPrecondition for a memory limit below
// what cgroup v1 can reclaim).
func (m *Manager) UpdateResources(ctx context.Context, id string, upd *runtime.LinuxContainerResources) error {
	c, err := m.hold(ctx, id)
	if err != nil {
		return err
	}
	defer c.release()
	if c.State != store.ContainerCreated && c.State != store.ContainerRunning {
		return fmt.Errorf("%w: container %s is %s: only a created or running container's resources can change", errdefs.ErrFailedPrecondition, c.ID, c.State)
	}
	merged := mergeResources(c.Config.Msg.GetLinux().GetResources(), upd)
	spec, err := oci.ContainerResources(merged, m.cfg.Features)
	if err != nil {
		return err
	}
	ctx = log.WithAttrs(ctx, log.KeyContainerID, c.ID)
	if err := m.tasks.Update(ctx, c.ID, spec); err != nil {
		return fmt.Errorf("update container %s: %w", c.ID, err)
	}
	_, err = m.containers.Update(c.ID, func(c store.Container) (store.Container, error) {
		cfg := proto.Clone(c.Config.Msg).(*runtime.ContainerConfig)
		if cfg.Linux == nil {
			cfg.Linux = &runtime.LinuxContainerConfig{}
		}
		cfg.Linux.Resources = merged
		c.Config.Msg = cfg
		return c, nil
	})
	if err != nil {
		return err
	}
	log.G(ctx).Info("updated container resources", "resources", merged.String())
	return nil
}

// mergeResources returns old with the fields upd sets replaced: the CRI
// gives zero for "not specified", and containerd and cri-o keep the old
// value then. oom_score_adj is not a cgroup limit and stays.
func mergeResources(old, upd *runtime.LinuxContainerResources) *runtime.LinuxContainerResources {
	out := &runtime.LinuxContainerResources{}
	if old != nil {
		out = proto.Clone(old).(*runtime.LinuxContainerResources)
	}
	set := func(dst *int64, v int64) {
		if v != 0 {
			*dst = v
		}
	}
	set(&out.CpuPeriod, upd.GetCpuPeriod())
	set(&out.CpuQuota, upd.GetCpuQuota())
	set(&out.CpuShares, upd.GetCpuShares())
	set(&out.MemoryLimitInBytes, upd.GetMemoryLimitInBytes())
	set(&out.MemorySwapLimitInBytes, upd.GetMemorySwapLimitInBytes())
	if v := upd.GetCpusetCpus(); v != "" {
		out.CpusetCpus = v
	}
	if v := upd.GetCpusetMems(); v != "" {
		out.CpusetMems = v
	}
	if h := upd.GetHugepageLimits(); len(h) > 0 {
		out.HugepageLimits = h
	}
	if u := upd.GetUnified(); len(u) > 0 {
		if out.Unified == nil {
			out.Unified = map[string]string{}
		}
		maps.Copy(out.Unified, u)
	}
	return out
}
