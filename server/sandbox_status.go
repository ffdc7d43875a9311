package server

import (
	"context"
	"encoding/json"
	"fmt"

	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/skiffrt/skiff/internal/store"
)

// PodSandboxStatus describes one pod sandbox; verbose adds its pause pid,
// network namespace and config under "info".
func (s *Server) PodSandboxStatus(ctx context.Context, req *runtime.PodSandboxStatusRequest) (*runtime.PodSandboxStatusResponse, error) {
	sb, err := s.sandboxes.Get(ctx, req.GetPodSandboxId())
	if err != nil {
		return nil, err
	}
	resp := &runtime.PodSandboxStatusResponse{Status: toCRISandboxStatus(sb)}
	if req.GetVerbose() {
		info, err := json.Marshal(map[string]any{"pid": sb.PausePID, "netns": sb.NetNS, "cgroup": sb.TaskCgroup, "config": sb.Config})
		if err != nil {
			return nil, fmt.Errorf("encode sandbox info: %w", err)
		}
		resp.Info = map[string]string{"info": string(info)}
	}
	return resp, nil
}

// toCRISandboxStatus describes sb as PodSandboxStatus does.
func toCRISandboxStatus(sb store.Sandbox) *runtime.PodSandboxStatus {
	cfg := sb.Config.Msg
	return &runtime.PodSandboxStatus{
		Id: sb.ID, Metadata: cfg.GetMetadata(), State: sandboxState(sb.State), CreatedAt: sb.CreatedAt.UnixNano(),
		Network: podNetwork(sb.IPs),
		Linux: &runtime.LinuxPodSandboxStatus{Namespaces: &runtime.Namespace{
			Options: cfg.GetLinux().GetSecurityContext().GetNamespaceOptions(),
		}},
		Labels: cfg.GetLabels(), Annotations: cfg.GetAnnotations(), RuntimeHandler: sb.RuntimeHandler,
	}
}

// podNetwork is the CRI form of a pod's IPs, primary first.
func podNetwork(ips []string) *runtime.PodSandboxNetworkStatus {
	st := &runtime.PodSandboxNetworkStatus{}
	for i, ip := range ips {
		if i == 0 {
			st.Ip = ip
			continue
		}
		st.AdditionalIps = append(st.AdditionalIps, &runtime.PodIP{Ip: ip})
	}
	return st
}
