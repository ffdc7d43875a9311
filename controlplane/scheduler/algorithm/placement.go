package algorithm

import (
	corev1 "k8s.io/api/core/v1"
)

// NodeMatches tells whether node's labels and name satisfy pod's
// nodeSelector and required node affinity, as the scheduler checks them
// (the DaemonSet controller's test of which nodes want a pod).
func NodeMatches(pod *corev1.Pod, node *corev1.Node) bool {
	return len(nodeAffinity(pod, &NodeInfo{Node: node})) == 0
}

// Tolerates tells whether one of tols tolerates taint, as the scheduler
// decides it.
func Tolerates(tols []corev1.Toleration, taint *corev1.Taint) bool { return tolerated(tols, taint) }
