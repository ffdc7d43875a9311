package algorithm

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// Resources are amounts by resource name: cpu in millicores, everything
// else (memory, ephemeral-storage, hugepages, extended resources) in
// units. A missing name is zero.
type Resources map[corev1.ResourceName]int64

// ResourcesOf converts a ResourceList.
func ResourcesOf(list corev1.ResourceList) Resources {
	out := make(Resources, len(list))
	for name, q := range list {
		out[name] = amount(name, q)
	}
	return out
}

func amount(name corev1.ResourceName, q resource.Quantity) int64 {
	if name == corev1.ResourceCPU {
		return q.MilliValue()
	}
	return q.Value()
}

// add adds r to rs.
func (rs Resources) add(r Resources) {
	for name, v := range r {
		rs[name] += v
	}
}

// raise sets each of rs to at least r's.
func (rs Resources) raise(r Resources) {
	for name, v := range r {
		if v > rs[name] {
			rs[name] = v
		}
	}
}

// Defaults a container is taken to request, for scoring only, when it
// requests no cpu or no memory (upstream's non-zero requests), so that
// best-effort pods still spread by least allocation.
const (
	defaultMilliCPURequest = 100
	defaultMemoryRequest   = 200 * 1024 * 1024
)

// PodRequests is what a pod asks of its node, as upstream computes it:
// the sum of its containers, or the largest init container when that is
// bigger (an init container runs beside the sidecars started before it,
// and sidecars, restartable init containers, add to the sum), replaced by
// the pod-level requests where spec.resources has them, plus overhead.
func PodRequests(pod *corev1.Pod) Resources {
	return podRequests(pod, func(c *corev1.Container) Resources { return ResourcesOf(c.Resources.Requests) })
}

// nonZeroRequests is PodRequests with the scoring defaults for
// containers that leave cpu or memory unset.
func nonZeroRequests(pod *corev1.Pod) Resources {
	return podRequests(pod, func(c *corev1.Container) Resources {
		r := ResourcesOf(c.Resources.Requests)
		if _, ok := c.Resources.Requests[corev1.ResourceCPU]; !ok {
			r[corev1.ResourceCPU] = defaultMilliCPURequest
		}
		if _, ok := c.Resources.Requests[corev1.ResourceMemory]; !ok {
			r[corev1.ResourceMemory] = defaultMemoryRequest
		}
		return r
	})
}

func podRequests(pod *corev1.Pod, requestsOf func(*corev1.Container) Resources) Resources {
	total := Resources{}
	for i := range pod.Spec.Containers {
		total.add(requestsOf(&pod.Spec.Containers[i]))
	}
	sidecars, initPeak := Resources{}, Resources{}
	for i := range pod.Spec.InitContainers {
		c := &pod.Spec.InitContainers[i]
		r := requestsOf(c)
		if isSidecar(c) {
			total.add(r)
			sidecars.add(r)
			initPeak.raise(sidecars)
			continue
		}
		r.add(sidecars)
		initPeak.raise(r)
	}
	total.raise(initPeak)
	if pod.Spec.Resources != nil {
		for name, q := range pod.Spec.Resources.Requests {
			if name == corev1.ResourceCPU || name == corev1.ResourceMemory {
				total[name] = amount(name, q)
			}
		}
	}
	total.add(ResourcesOf(pod.Spec.Overhead))
	return total
}

// isSidecar tells a restartable init container, which runs for the pod's
// whole life.
func isSidecar(c *corev1.Container) bool {
	return c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways
}
