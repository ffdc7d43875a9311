package runner

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/skiffrt/skiff/controlplane/agent/state"
)

// minGrace is the least time a container gets to stop, as kubelet's.
const minGrace = 2

// postStartTimeout bounds a postStart hook.
const postStartTimeout = 2 * time.Minute

// KillPod stops every running container of the pod in parallel (each
// with its preStop hook and grace period), then every sandbox. pod may
// be nil (a pod gone from the API): the containers' annotations then
// give the grace period and the hook. grace overrides the grace period.
func (r *Runner) KillPod(ctx context.Context, pod *corev1.Pod, st *state.Pod, grace *int64) error {
	running := st.Running()
	errs := make(chan error, len(running))
	var wg sync.WaitGroup
	for _, c := range running {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- r.killContainer(ctx, pod, c, grace, "Killing", fmt.Sprintf("Stopping container %s", c.Name))
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			return err
		}
	}
	for _, sb := range st.Sandboxes {
		if !sb.Ready {
			continue
		}
		if _, err := r.rt.StopPodSandbox(ctx, &runtimeapi.StopPodSandboxRequest{PodSandboxId: sb.ID}); err != nil {
			return fmt.Errorf("stop sandbox %s: %w", sb.ID, err)
		}
	}
	return nil
}

// killContainer runs the preStop hook within the grace period, then
// stops the container with what is left of it (at least 2 s).
func (r *Runner) killContainer(ctx context.Context, pod *corev1.Pod, c *state.Container, override *int64, reason, msg string) error {
	grace := gracePeriod(pod, c, override)
	spec, hook := r.containerSpec(pod, c)
	if reason != "" && pod != nil {
		r.event(pod, corev1.EventTypeNormal, "Killing", "%s", msg)
	}
	start := time.Now()
	if hook != nil && grace > 0 && c.State == state.Running {
		done := make(chan error, 1)
		hctx, cancel := context.WithTimeout(ctx, time.Duration(grace)*time.Second)
		go func() {
			done <- r.runHook(hctx, pod, spec, c.ID, r.podIPOf(pod), hook, time.Duration(grace)*time.Second)
		}()
		if err := <-done; err != nil {
			slog.InfoContext(ctx, "preStop hook failed", "container_id", c.ID, "error", err)
			r.event(pod, corev1.EventTypeWarning, "FailedPreStopHook", "PreStopHook failed")
		}
		cancel()
		grace -= int64(time.Since(start).Seconds())
	}
	grace = max(grace, minGrace)
	slog.DebugContext(ctx, "stopping container", "container_id", c.ID, "name", c.Name, "grace", grace, "reason", reason)
	if _, err := r.rt.StopContainer(ctx, &runtimeapi.StopContainerRequest{ContainerId: c.ID, Timeout: grace}); err != nil && !isNotFound(err) {
		return fmt.Errorf("stop container %s (%s): %w", c.Name, c.ID, err)
	}
	return nil
}

// gracePeriod: the override, else the deletion's, else the pod's
// terminationGracePeriodSeconds, else what the container recorded.
func gracePeriod(pod *corev1.Pod, c *state.Container, override *int64) int64 {
	switch {
	case override != nil:
		return *override
	case pod != nil && pod.DeletionGracePeriodSeconds != nil:
		return *pod.DeletionGracePeriodSeconds
	case pod != nil && pod.Spec.TerminationGracePeriodSeconds != nil:
		return *pod.Spec.TerminationGracePeriodSeconds
	case c.TerminationGrace != nil:
		return *c.TerminationGrace
	}
	return corev1.DefaultTerminationGracePeriodSeconds
}

// containerSpec finds the container's spec and its preStop hook: from the
// pod, or from the hook recorded on the container when the pod is gone.
func (r *Runner) containerSpec(pod *corev1.Pod, c *state.Container) (*corev1.Container, *corev1.LifecycleHandler) {
	if pod != nil {
		for _, cs := range [][]corev1.Container{pod.Spec.Containers, pod.Spec.InitContainers} {
			for i := range cs {
				if cs[i].Name == c.Name {
					if cs[i].Lifecycle != nil {
						return &cs[i], cs[i].Lifecycle.PreStop
					}
					return &cs[i], nil
				}
			}
		}
	}
	return &corev1.Container{Name: c.Name}, c.PreStop
}

// podIPOf is the pod's first IP from its status, for hooks.
func (r *Runner) podIPOf(pod *corev1.Pod) string {
	if pod == nil {
		return ""
	}
	if pod.Spec.HostNetwork && len(r.node.HostIPs) > 0 {
		return r.node.HostIPs[0]
	}
	return pod.Status.PodIP
}
