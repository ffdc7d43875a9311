package server

import (
	"context"

	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/skiffrt/skiff/internal/stats"
	"github.com/skiffrt/skiff/internal/store"
)

// PodSandboxStats reports one pod's usage, its containers' included; a
// pod that is not ready has its attributes only.
func (s *Server) PodSandboxStats(ctx context.Context, req *runtime.PodSandboxStatsRequest) (*runtime.PodSandboxStatsResponse, error) {
	sb, err := s.sandboxes.Get(ctx, req.GetPodSandboxId())
	if err != nil {
		return nil, err
	}
	return &runtime.PodSandboxStatsResponse{Stats: s.podStats(ctx, []store.Sandbox{sb})[0]}, nil
}

// ListPodSandboxStats reports the usage of the ready pods that the
// filter selects.
func (s *Server) ListPodSandboxStats(ctx context.Context, req *runtime.ListPodSandboxStatsRequest) (*runtime.ListPodSandboxStatsResponse, error) {
	return &runtime.ListPodSandboxStatsResponse{Stats: s.listPodStats(ctx, req.GetFilter())}, nil
}

// StreamPodSandboxStats reports as ListPodSandboxStats does, in batches.
func (s *Server) StreamPodSandboxStats(req *runtime.StreamPodSandboxStatsRequest, stream runtime.RuntimeService_StreamPodSandboxStatsServer) error {
	return sendBatches(s.listPodStats(stream.Context(), req.GetFilter()), func(b []*runtime.PodSandboxStats) error {
		return stream.Send(&runtime.StreamPodSandboxStatsResponse{PodSandboxStats: b})
	})
}

func (s *Server) listPodStats(ctx context.Context, f *runtime.PodSandboxStatsFilter) []*runtime.PodSandboxStats {
	keep := sandboxFilter(&runtime.PodSandboxFilter{Id: f.GetId(), LabelSelector: f.GetLabelSelector()})
	pods := s.sandboxes.List(ctx, func(sb store.Sandbox) bool { return sb.State == store.SandboxReady && keep(sb) })
	return s.podStats(ctx, pods)
}

// podStats reads the usage of pods and of their created and running
// containers.
func (s *Server) podStats(ctx context.Context, pods []store.Sandbox) []*runtime.PodSandboxStats {
	byPod, st := s.readPods(ctx, pods)
	out := make([]*runtime.PodSandboxStats, len(pods))
	for i, sb := range pods {
		out[i] = toCRIPodStats(sb, byPod[sb.ID], st[i])
	}
	return out
}

// readPods reads the usage of pods and of their created and running
// containers, which it returns by pod ID, in the order of the usage read.
// A pod that is not ready has no usage of its own.
func (s *Server) readPods(ctx context.Context, pods []store.Sandbox) (map[string][]store.Container, []stats.Pod) {
	byPod := s.containersByPod(pods, hasCgroup)
	refs := make([]stats.PodRef, len(pods))
	crefs := make([][]stats.ContainerRef, len(pods))
	for i, sb := range pods {
		refs[i] = stats.PodRef{ID: sb.ID}
		if sb.State == store.SandboxReady {
			refs[i] = podRef(sb)
		}
		for _, c := range byPod[sb.ID] {
			crefs[i] = append(crefs[i], containerRef(c))
		}
	}
	return byPod, s.stats.Pods(ctx, refs, crefs)
}

// containersByPod lists, in one pass over the containers, those of pods
// that keep selects, by pod ID.
func (s *Server) containersByPod(pods []store.Sandbox, keep func(store.Container) bool) map[string][]store.Container {
	ids := make(map[string]bool, len(pods))
	for _, sb := range pods {
		ids[sb.ID] = true
	}
	out := make(map[string][]store.Container, len(pods))
	for _, c := range s.containers.List(func(c store.Container) bool { return ids[c.SandboxID] && keep(c) }) {
		out[c.SandboxID] = append(out[c.SandboxID], c)
	}
	return out
}
