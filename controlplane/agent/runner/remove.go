package runner

import (
	"context"
	"fmt"
	"os"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	corev1 "k8s.io/api/core/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/skiffrt/skiff/controlplane/agent/podspec"
	"github.com/skiffrt/skiff/controlplane/agent/state"
)

// Cgroups removes a pod's cgroup once its sandboxes are gone.
type Cgroups interface {
	RemovePod(parent string) error
}

// RemovePod removes what a stopped pod left: containers, sandboxes, its
// volumes, its log directory and its cgroup. pod may be nil when only
// the runtime remembers it.
func (r *Runner) RemovePod(ctx context.Context, pod *corev1.Pod, st *state.Pod) error {
	for _, c := range st.Containers {
		if _, err := r.rt.RemoveContainer(ctx, &runtimeapi.RemoveContainerRequest{ContainerId: c.ID}); err != nil && !isNotFound(err) {
			return fmt.Errorf("remove container %s: %w", c.ID, err)
		}
	}
	for _, sb := range st.Sandboxes {
		if _, err := r.rt.RemovePodSandbox(ctx, &runtimeapi.RemovePodSandboxRequest{PodSandboxId: sb.ID}); err != nil && !isNotFound(err) {
			return fmt.Errorf("remove sandbox %s: %w", sb.ID, err)
		}
	}
	if err := r.volumes.Teardown(st.UID); err != nil {
		return err
	}
	if st.Name != "" {
		if err := os.RemoveAll(podspec.LogDir(r.node.LogRoot, st.Namespace, st.Name, st.UID)); err != nil {
			return err
		}
	}
	if r.cgroups == nil || r.node.CgroupDriver == podspec.SystemdDriver {
		return nil
	}
	if pod != nil {
		return r.cgroups.RemovePod(r.cgroupParent(pod))
	}
	// Without the pod its QoS class is unknown: try each.
	for _, q := range []corev1.PodQOSClass{corev1.PodQOSGuaranteed, corev1.PodQOSBurstable, corev1.PodQOSBestEffort} {
		if err := r.cgroups.RemovePod(podspec.CgroupParent(r.node.CgroupRoot, r.node.CgroupDriver, q, st.UID)); err != nil {
			return err
		}
	}
	return nil
}

// GC removes the dead containers of a live pod but the newest two of each
// name (the current one and the one `logs --previous` shows), and its
// sandboxes that are stopped and not the newest.
func (r *Runner) GC(ctx context.Context, st *state.Pod) error {
	seen := map[string]int{}
	for _, c := range st.Containers {
		seen[c.Name]++
		if seen[c.Name] <= 2 || c.State == state.Running {
			continue
		}
		if _, err := r.rt.RemoveContainer(ctx, &runtimeapi.RemoveContainerRequest{ContainerId: c.ID}); err != nil && !isNotFound(err) {
			return fmt.Errorf("remove old container %s: %w", c.ID, err)
		}
	}
	for i, sb := range st.Sandboxes {
		if i == 0 || sb.Ready || hasContainers(st, sb.ID) {
			continue
		}
		if _, err := r.rt.RemovePodSandbox(ctx, &runtimeapi.RemovePodSandboxRequest{PodSandboxId: sb.ID}); err != nil && !isNotFound(err) {
			return fmt.Errorf("remove old sandbox %s: %w", sb.ID, err)
		}
	}
	return nil
}

func hasContainers(st *state.Pod, sandboxID string) bool {
	for _, c := range st.Containers {
		if c.SandboxID == sandboxID {
			return true
		}
	}
	return false
}

func isNotFound(err error) bool { return status.Code(err) == codes.NotFound }
