package runner

import (
	"context"
	"fmt"
	"log/slog"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/util/flowcontrol"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/skiffrt/skiff/controlplane/agent/actions"
	"github.com/skiffrt/skiff/controlplane/agent/env"
	"github.com/skiffrt/skiff/controlplane/agent/podspec"
	"github.com/skiffrt/skiff/controlplane/agent/state"
	"github.com/skiffrt/skiff/controlplane/agent/volume"
	"github.com/skiffrt/skiff/controlplane/registry/pod"
)

// Waiting reasons of containers that failed to start, as kubelet's.
const (
	ReasonCreateConfigError = "CreateContainerConfigError"
	ReasonCreateError       = "CreateContainerError"
	ReasonRunError          = "RunContainerError"
	ReasonPostStartError    = "PostStartHookError"
)

// podRun starts containers in one sandbox during one sync.
type podRun struct {
	r             *Runner
	pod           *corev1.Pod
	st            *state.Pod
	sandboxID     string
	sandboxConfig *runtimeapi.PodSandboxConfig
	result        *Result
	vols          map[string]volume.Volume
}

func qos(p *corev1.Pod) corev1.PodQOSClass {
	if p.Status.QOSClass != "" {
		return p.Status.QOSClass
	}
	return pod.QOSClass(&p.Spec)
}

// envPod is the pod as the downward API sees it now.
func (p *podRun) envPod() env.Pod {
	var ips []string
	if sb := p.st.Sandbox(); sb != nil {
		ips = sb.IPs
	}
	if p.pod.Spec.HostNetwork {
		ips = p.r.node.HostIPs
	}
	return env.Pod{Pod: p.pod, PodIPs: ips, HostIPs: p.r.node.HostIPs, Allocatable: p.r.node.Allocatable}
}

// start runs one container, recording why it did not start.
func (p *podRun) start(ctx context.Context, s *actions.Start, backoff *flowcontrol.Backoff) {
	c := s.Container
	reason, err := p.startContainer(ctx, c)
	if err != nil {
		slog.InfoContext(ctx, "container did not start", "pod", p.pod.Namespace+"/"+p.pod.Name, "container", c.Name, "reason", reason, "error", err)
		p.result.wait(c.Name, reason, err.Error())
		return
	}
	if s.BackOffKey != "" && backoff != nil {
		backoff.Next(s.BackOffKey, s.Since)
	}
}

// startContainer pulls, creates, starts and runs postStart, returning
// the waiting reason of the step that failed.
func (p *podRun) startContainer(ctx context.Context, c *corev1.Container) (string, error) {
	image, user, reason, err := p.r.ensureImage(ctx, p.pod, c)
	if err != nil {
		return reason, err
	}
	cfg, err := p.containerConfig(ctx, c, image, user)
	if err != nil {
		p.r.event(p.pod, corev1.EventTypeWarning, "Failed", "Error: %v", err)
		return ReasonCreateConfigError, err
	}
	resp, err := p.r.rt.CreateContainer(ctx, &runtimeapi.CreateContainerRequest{PodSandboxId: p.sandboxID, Config: cfg, SandboxConfig: p.sandboxConfig})
	if err != nil {
		p.r.event(p.pod, corev1.EventTypeWarning, "Failed", "Error: %v", err)
		return ReasonCreateError, err
	}
	p.r.event(p.pod, corev1.EventTypeNormal, "Created", "Created container: %s", c.Name)
	if _, err := p.r.rt.StartContainer(ctx, &runtimeapi.StartContainerRequest{ContainerId: resp.ContainerId}); err != nil {
		p.r.event(p.pod, corev1.EventTypeWarning, "Failed", "Error: %v", err)
		return ReasonRunError, err
	}
	p.r.event(p.pod, corev1.EventTypeNormal, "Started", "Started container %s", c.Name)
	if c.Lifecycle != nil && c.Lifecycle.PostStart != nil {
		if err := p.r.runHook(ctx, p.pod, c, resp.ContainerId, p.podIP(), c.Lifecycle.PostStart, postStartTimeout); err != nil {
			p.r.event(p.pod, corev1.EventTypeWarning, "FailedPostStartHook", "PostStartHook failed")
			sc := &state.Container{ID: resp.ContainerId}
			sc.Name = c.Name
			_ = p.r.killContainer(ctx, p.pod, sc, nil, "FailedPostStartHook", "FailedPostStartHook")
			return ReasonPostStartError, fmt.Errorf("PostStartHook failed: %w", err)
		}
	}
	return "", nil
}

func (p *podRun) podIP() string {
	if ips := p.envPod().PodIPs; len(ips) > 0 {
		return ips[0]
	}
	return ""
}

// containerConfig builds the CRI config: env, volumes and mounts, the
// next restart count.
func (p *podRun) containerConfig(ctx context.Context, c *corev1.Container, image string, user podspec.ImageUser) (*runtimeapi.ContainerConfig, error) {
	ep := p.envPod()
	vars, skipped, err := env.Resolve(ctx, p.r.sources, ep, c)
	if err != nil {
		return nil, err
	}
	if len(skipped) > 0 {
		p.r.event(p.pod, corev1.EventTypeWarning, "InvalidEnvironmentVariableNames",
			"Keys %v from the EnvFrom of container %s were skipped since they are invalid environment variable names", skipped, c.Name)
	}
	lookup := func(s string) string {
		return podspec.Expand(s, func(n string) (string, bool) {
			for i := len(vars) - 1; i >= 0; i-- {
				if vars[i].Name == n {
					return vars[i].Value, true
				}
			}
			return "", false
		})
	}
	mounts, err := p.r.volumes.Mounts(p.pod.UID, c, p.vols, lookup)
	if err != nil {
		return nil, err
	}
	restarts := 0
	if prev := p.st.Container(c.Name); prev != nil {
		restarts = prev.RestartCount + 1
	}
	return podspec.Container(p.pod, c, podspec.ContainerOptions{
		RestartCount: restarts, Image: image, Env: vars, Mounts: mounts, ImageUser: user,
		QOS: qos(p.pod), MemoryCapacity: p.r.node.MemoryCapacity,
	})
}
