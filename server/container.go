package server

import (
	"context"
	"time"

	"github.com/opencontainers/go-digest"
	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/skiffrt/skiff/internal/store"
	"github.com/skiffrt/skiff/internal/task"
)

// Containers is what the RuntimeService needs for containers.
type Containers interface {
	Create(ctx context.Context, sandboxID string, cfg *runtime.ContainerConfig) (string, error)
	Start(ctx context.Context, id string) error
	Stop(ctx context.Context, id string, timeout time.Duration) error
	Remove(ctx context.Context, id string) error
	Get(id string) (store.Container, error)
	List(keep func(store.Container) bool) []store.Container
	ExecSync(ctx context.Context, id string, cmd []string, timeout time.Duration) (*task.ExecResult, error)
	ReopenLog(ctx context.Context, id string) error
	UpdateResources(ctx context.Context, id string, r *runtime.LinuxContainerResources) error
	CheckExec(id string, cmd []string) (string, error)
	CheckAttach(id string, stdin, tty bool) (string, error)
	ImageUser(imageID digest.Digest) (string, bool)
	Checkpoint(ctx context.Context, id, location string, status *runtime.ContainerStatus) error
	CheckpointPod(ctx context.Context, sandboxID, dir string, ids []string, status func(store.Container) *runtime.ContainerStatus) error
	Restore(ctx context.Context, sandboxID string, cfg *runtime.ContainerConfig, archive string) (string, error)
}

var containerStates = map[store.ContainerState]runtime.ContainerState{
	store.ContainerCreated: runtime.ContainerState_CONTAINER_CREATED,
	store.ContainerRunning: runtime.ContainerState_CONTAINER_RUNNING,
	store.ContainerExited:  runtime.ContainerState_CONTAINER_EXITED,
	store.ContainerUnknown: runtime.ContainerState_CONTAINER_UNKNOWN,
}

// toCRIContainer describes c as ListContainers does.
func toCRIContainer(c store.Container) *runtime.Container {
	cfg := c.Config.Msg
	spec, ref := containerImage(c)
	return &runtime.Container{
		Id: c.ID, PodSandboxId: c.SandboxID, Metadata: cfg.GetMetadata(),
		Image: spec, ImageRef: ref, ImageId: c.ImageRef,
		State: containerStates[c.State], CreatedAt: c.CreatedAt.UnixNano(),
		Labels: cfg.GetLabels(), Annotations: cfg.GetAnnotations(),
	}
}

// containerImage returns the image of c as the CRI describes it: its name
// with the name the user gave, and the image ref, the repo digest where
// skiff knows one, else the image ID (which image_id always carries).
// Kubelets show the name as a pod's status.image and the ref as its
// status.imageID, as containerd and cri-o fill them.
func containerImage(c store.Container) (*runtime.ImageSpec, string) {
	spec := &runtime.ImageSpec{
		Image:              c.ImageName,
		UserSpecifiedImage: c.Config.Msg.GetImage().GetUserSpecifiedImage(),
	}
	if c.ImageRepoDigest != "" {
		return spec, c.ImageRepoDigest
	}
	return spec, c.ImageRef
}

// containerFilter selects the containers f asks for.
func containerFilter(f *runtime.ContainerFilter) func(store.Container) bool {
	return func(c store.Container) bool {
		if f == nil {
			return true
		}
		if f.Id != "" && !hasPrefix(c.ID, f.Id) {
			return false
		}
		if f.PodSandboxId != "" && !hasPrefix(c.SandboxID, f.PodSandboxId) {
			return false
		}
		if f.State != nil && containerStates[c.State] != f.State.State {
			return false
		}
		return labelsMatch(c.Config.Msg.GetLabels(), f.LabelSelector)
	}
}
