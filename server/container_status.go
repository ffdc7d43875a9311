package server

import (
	"context"
	"encoding/json"
	"fmt"

	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/skiffrt/skiff/internal/store"
)

// ContainerStatus describes one container; verbose adds its pid and
// config under "info".
func (s *Server) ContainerStatus(ctx context.Context, req *runtime.ContainerStatusRequest) (*runtime.ContainerStatusResponse, error) {
	c, err := s.containers.Get(req.GetContainerId())
	if err != nil {
		return nil, err
	}
	resp := &runtime.ContainerStatusResponse{Status: toCRIContainerStatus(c)}
	if req.GetVerbose() {
		info, err := json.Marshal(map[string]any{"pid": c.Pid, "sandboxID": c.SandboxID, "cgroup": c.TaskCgroup, "config": c.Config})
		if err != nil {
			return nil, fmt.Errorf("encode container info: %w", err)
		}
		resp.Info = map[string]string{"info": string(info)}
	}
	return resp, nil
}

// toCRIContainerStatus describes c as ContainerStatus does.
func toCRIContainerStatus(c store.Container) *runtime.ContainerStatus {
	cfg := c.Config.Msg
	image, imageRef := containerImage(c)
	st := &runtime.ContainerStatus{
		Id: c.ID, Metadata: cfg.GetMetadata(), State: containerStates[c.State],
		CreatedAt: c.CreatedAt.UnixNano(), ExitCode: c.ExitCode,
		Image: image, ImageRef: imageRef, ImageId: c.ImageRef,
		Reason: c.Reason, Message: c.Message,
		Labels: cfg.GetLabels(), Annotations: cfg.GetAnnotations(),
		Mounts: cfg.GetMounts(), LogPath: c.LogPath,
		Resources: &runtime.ContainerResources{Linux: cfg.GetLinux().GetResources()},
	}
	groups := make([]int64, len(c.User.Groups))
	for i, g := range c.User.Groups {
		groups[i] = int64(g)
	}
	st.User = &runtime.ContainerUser{Linux: &runtime.LinuxContainerUser{
		Uid: int64(c.User.UID), Gid: int64(c.User.GID), SupplementalGroups: groups,
	}}
	if !c.StartedAt.IsZero() {
		st.StartedAt = c.StartedAt.UnixNano()
	}
	if !c.FinishedAt.IsZero() {
		st.FinishedAt = c.FinishedAt.UnixNano()
	}
	return st
}
