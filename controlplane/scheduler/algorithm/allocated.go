package algorithm

import corev1 "k8s.io/api/core/v1"

// leastAllocated favours the node with the most cpu and memory left
// after placing the pod: per resource, the free share of allocatable
// (0..maxScore), averaged. Requests count with the scoring defaults
// (nonZeroRequests), so that pods without requests spread too.
func leastAllocated(pod *corev1.Pod, n *NodeInfo) int64 {
	alloc := n.allocatable()
	req := nonZeroRequests(pod)
	var sum int64
	resources := []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory}
	for _, name := range resources {
		sum += freeShare(alloc[name], n.nonZeroRequested[name]+req[name])
	}
	return sum / int64(len(resources))
}

// freeShare is the part of capacity left once requested is taken, from 0
// to maxScore.
func freeShare(capacity, requested int64) int64 {
	if capacity <= 0 || requested > capacity {
		return 0
	}
	return (capacity - requested) * maxScore / capacity
}
