package server

import (
	"context"

	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/skiffrt/skiff/internal/store"
)

// Sandboxes is what the RuntimeService needs for pod sandboxes.
type Sandboxes interface {
	Run(ctx context.Context, cfg *runtime.PodSandboxConfig, handler string) (string, error)
	Stop(ctx context.Context, id string) error
	Remove(ctx context.Context, id string) error
	Get(ctx context.Context, id string) (store.Sandbox, error)
	List(ctx context.Context, keep func(store.Sandbox) bool) []store.Sandbox
	UpdateResources(ctx context.Context, id string, overhead, resources *runtime.LinuxContainerResources) error
	CheckPortForward(ctx context.Context, id string, ports []int32) (string, error)
}

func sandboxState(s store.SandboxState) runtime.PodSandboxState {
	if s == store.SandboxReady {
		return runtime.PodSandboxState_SANDBOX_READY
	}
	return runtime.PodSandboxState_SANDBOX_NOTREADY
}

// toCRISandbox describes sb as ListPodSandbox does.
func toCRISandbox(sb store.Sandbox) *runtime.PodSandbox {
	cfg := sb.Config.Msg
	return &runtime.PodSandbox{
		Id: sb.ID, Metadata: cfg.GetMetadata(), State: sandboxState(sb.State), CreatedAt: sb.CreatedAt.UnixNano(),
		Labels: cfg.GetLabels(), Annotations: cfg.GetAnnotations(), RuntimeHandler: sb.RuntimeHandler,
	}
}

// sandboxFilter selects the pods f asks for.
func sandboxFilter(f *runtime.PodSandboxFilter) func(store.Sandbox) bool {
	return func(sb store.Sandbox) bool {
		if f == nil {
			return true
		}
		if f.Id != "" && !hasPrefix(sb.ID, f.Id) {
			return false
		}
		if f.State != nil && sandboxState(sb.State) != f.State.State {
			return false
		}
		return labelsMatch(sb.Config.Msg.GetLabels(), f.LabelSelector)
	}
}

func hasPrefix(id, prefix string) bool { return len(id) >= len(prefix) && id[:len(prefix)] == prefix }

// labelsMatch reports whether labels hold every key=value of selector.
func labelsMatch(labels, selector map[string]string) bool {
	for k, v := range selector {
		if labels[k] != v {
			return false
		}
	}
	return true
}
