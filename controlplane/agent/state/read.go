package state

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"google.golang.org/grpc"
	"k8s.io/apimachinery/pkg/types"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/skiffrt/skiff/controlplane/agent/podspec"
)

// Runtime is the part of the CRI RuntimeService Read uses.
type Runtime interface {
	ListPodSandbox(ctx context.Context, in *runtimeapi.ListPodSandboxRequest, opts ...grpc.CallOption) (*runtimeapi.ListPodSandboxResponse, error)
	PodSandboxStatus(ctx context.Context, in *runtimeapi.PodSandboxStatusRequest, opts ...grpc.CallOption) (*runtimeapi.PodSandboxStatusResponse, error)
	ListContainers(ctx context.Context, in *runtimeapi.ListContainersRequest, opts ...grpc.CallOption) (*runtimeapi.ListContainersResponse, error)
	ContainerStatus(ctx context.Context, in *runtimeapi.ContainerStatusRequest, opts ...grpc.CallOption) (*runtimeapi.ContainerStatusResponse, error)
}

// Read returns what the runtime has of pod uid (a Pod without sandboxes
// and containers when it has nothing).
func Read(ctx context.Context, rt Runtime, uid types.UID) (*Pod, error) {
	sel := map[string]string{podspec.LabelPodUID: string(uid)}
	sbs, err := rt.ListPodSandbox(ctx, &runtimeapi.ListPodSandboxRequest{Filter: &runtimeapi.PodSandboxFilter{LabelSelector: sel}})
	if err != nil {
		return nil, fmt.Errorf("list sandboxes of pod %s: %w", uid, err)
	}
	p := &Pod{UID: uid}
	for _, sb := range sbs.Items {
		p.Name, p.Namespace = sb.GetMetadata().GetName(), sb.GetMetadata().GetNamespace()
		p.Sandboxes = append(p.Sandboxes, &Sandbox{
			ID: sb.Id, Attempt: sb.GetMetadata().GetAttempt(),
			Ready: sb.State == runtimeapi.PodSandboxState_SANDBOX_READY, CreatedAt: time.Unix(0, sb.CreatedAt),
		})
	}
	slices.SortFunc(p.Sandboxes, func(a, b *Sandbox) int { return b.CreatedAt.Compare(a.CreatedAt) })
	if sb := p.Sandbox(); sb != nil && sb.Ready {
		if sb.IPs, err = sandboxIPs(ctx, rt, sb.ID); err != nil {
			return nil, err
		}
	}
	cs, err := rt.ListContainers(ctx, &runtimeapi.ListContainersRequest{Filter: &runtimeapi.ContainerFilter{LabelSelector: sel}})
	if err != nil {
		return nil, fmt.Errorf("list containers of pod %s: %w", uid, err)
	}
	for _, c := range cs.Containers {
		st, err := containerStatus(ctx, rt, c.Id)
		if err != nil {
			return nil, err
		}
		if st != nil {
			st.SandboxID = c.PodSandboxId
			p.Containers = append(p.Containers, st)
		}
	}
	slices.SortFunc(p.Containers, func(a, b *Container) int {
		return cmp.Or(b.CreatedAt.Compare(a.CreatedAt), cmp.Compare(b.RestartCount, a.RestartCount))
	})
	return p, nil
}

func sandboxIPs(ctx context.Context, rt Runtime, id string) ([]string, error) {
	resp, err := rt.PodSandboxStatus(ctx, &runtimeapi.PodSandboxStatusRequest{PodSandboxId: id})
	if err != nil {
		return nil, fmt.Errorf("sandbox %s status: %w", id, err)
	}
	net := resp.GetStatus().GetNetwork()
	if net.GetIp() == "" {
		return nil, nil
	}
	ips := []string{net.GetIp()}
	for _, ip := range net.GetAdditionalIps() {
		ips = append(ips, ip.GetIp())
	}
	return ips, nil
}

// containerStatus returns a container's state, or nil when it went away
// between the list and the status call.
func containerStatus(ctx context.Context, rt Runtime, id string) (*Container, error) {
	resp, err := rt.ContainerStatus(ctx, &runtimeapi.ContainerStatusRequest{ContainerId: id})
	if isNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("container %s status: %w", id, err)
	}
	s := resp.GetStatus()
	c := &Container{
		ID:            s.GetId(),
		ContainerInfo: podspec.ParseContainer(s.GetLabels(), s.GetAnnotations()),
		State:         stateOf(s.GetState()),
		CreatedAt:     unixNano(s.GetCreatedAt()), StartedAt: unixNano(s.GetStartedAt()), FinishedAt: unixNano(s.GetFinishedAt()),
		ExitCode: s.GetExitCode(), Reason: s.GetReason(), Message: s.GetMessage(),
		Image: s.GetImage().GetUserSpecifiedImage(), ImageRef: s.GetImageRef(), LogPath: s.GetLogPath(),
	}
	if c.Image == "" {
		c.Image = s.GetImage().GetImage()
	}
	if c.State == Exited {
		c.Message = terminationMessage(c, s.GetMounts())
	}
	return c, nil
}

func stateOf(s runtimeapi.ContainerState) ContainerState {
	switch s {
	case runtimeapi.ContainerState_CONTAINER_CREATED:
		return Created
	case runtimeapi.ContainerState_CONTAINER_RUNNING:
		return Running
	case runtimeapi.ContainerState_CONTAINER_EXITED:
		return Exited
	}
	return Unknown
}

func unixNano(ns int64) time.Time {
	if ns == 0 {
		return time.Time{}
	}
	return time.Unix(0, ns)
}
