package algorithm

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// amounts are quantities by resource name: cpu in millicores, everything
// else (memory, ephemeral-storage, hugepages, extended resources) in
// units. A missing name is zero.
type amounts map[corev1.ResourceName]int64

// amountsOf converts a ResourceList.
func amountsOf(list corev1.ResourceList) amounts {
	out := make(amounts, len(list))
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
func (rs amounts) add(r amounts) {
	for name, v := range r {
		rs[name] += v
	}
}

// raise sets each of rs to at least r's.
func (rs amounts) raise(r amounts) {
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

// requests is what a pod asks of its node, as upstream computes it:
// the sum of its containers, or the largest init container when that is
// bigger (an init container runs beside the sidecars started before it,
// and sidecars, restartable init containers, add to the sum), replaced by
// the pod-level requests where spec.resources has them, plus overhead.
func requests(pod *corev1.Pod) amounts {
	return aggregate(pod, func(c *corev1.Container) amounts { return amountsOf(c.Resources.Requests) })
}

// nonZeroRequests is requests with the scoring defaults for
// containers that leave cpu or memory unset.
func nonZeroRequests(pod *corev1.Pod) amounts {
	return aggregate(pod, func(c *corev1.Container) amounts {
		r := amountsOf(c.Resources.Requests)
		if _, ok := c.Resources.Requests[corev1.ResourceCPU]; !ok {
			r[corev1.ResourceCPU] = defaultMilliCPURequest
		}
		if _, ok := c.Resources.Requests[corev1.ResourceMemory]; !ok {
			r[corev1.ResourceMemory] = defaultMemoryRequest
		}
		return r
	})
}

func aggregate(pod *corev1.Pod, requestsOf func(*corev1.Container) amounts) amounts {
	total := amounts{}
	for i := range pod.Spec.Containers {
		total.add(requestsOf(&pod.Spec.Containers[i]))
	}
	sidecars, initPeak := amounts{}, amounts{}
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
	total.add(amountsOf(pod.Spec.Overhead))
	return total
}

// isSidecar tells a restartable init container, which runs for the pod's
// whole life.
func isSidecar(c *corev1.Container) bool {
	return c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways
}
