package algorithm

import (
	"maps"
	"slices"

	corev1 "k8s.io/api/core/v1"
)

const reasonTooManyPods = "Too many pods"

// resourcesFit refuses a node whose allocatable resources, less what its
// pods request, cannot hold the pod's requests: one reason per short
// resource ("Insufficient cpu"), as upstream. Every pod takes one of the
// node's allocatable pods; a zero request always fits.
func resourcesFit(pod *corev1.Pod, n *NodeInfo) []string {
	var reasons []string
	alloc := n.allocatable()
	if int64(len(n.Pods))+1 > alloc[corev1.ResourcePods] {
		reasons = append(reasons, reasonTooManyPods)
	}
	req := requests(pod)
	for _, name := range slices.Sorted(maps.Keys(req)) {
		if name == corev1.ResourcePods || req[name] <= 0 {
			continue
		}
		if req[name] > alloc[name]-n.requested[name] {
			reasons = append(reasons, "Insufficient "+string(name))
		}
	}
	return reasons
}
