package runner

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/skiffrt/skiff/controlplane/agent/prober"
)

// runHook runs a lifecycle handler against the container: exec, httpGet,
// tcpSocket or sleep.
func (r *Runner) runHook(ctx context.Context, pod *corev1.Pod, c *corev1.Container, id, podIP string, h *corev1.LifecycleHandler, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	t := prober.Target{ContainerID: id, PodIP: podIP, Ports: c.Ports, Exec: r.rt}
	switch {
	case h.Exec != nil:
		return prober.Exec(ctx, t, h.Exec.Command, timeout)
	case h.HTTPGet != nil:
		return prober.HTTPGet(ctx, t, h.HTTPGet)
	case h.TCPSocket != nil:
		return prober.TCP(ctx, t, h.TCPSocket)
	case h.Sleep != nil:
		select {
		case <-time.After(time.Duration(h.Sleep.Seconds) * time.Second):
		case <-ctx.Done():
		}
		return nil
	}
	return fmt.Errorf("lifecycle handler of container %s has no action", c.Name)
}
