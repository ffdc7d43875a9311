package algorithm

import corev1 "k8s.io/api/core/v1"

// NodeInfo is one node of a scheduling snapshot: the node and the pods
// that hold a place on it (bound or assumed, not terminated), with their
// requests summed once. It is read-only once built.
type NodeInfo struct {
	Node *corev1.Node
	Pods []*corev1.Pod
	// Requested is the sum of the pods' PodRequests.
	Requested Resources
	// nonZeroRequested is the sum of their nonZeroRequests, for scoring.
	nonZeroRequested Resources
}

// NewNodeInfo sums the requests of pods on node.
func NewNodeInfo(node *corev1.Node, pods ...*corev1.Pod) *NodeInfo {
	n := &NodeInfo{Node: node, Pods: pods, Requested: Resources{}, nonZeroRequested: Resources{}}
	for _, p := range pods {
		n.Requested.add(PodRequests(p))
		n.nonZeroRequested.add(nonZeroRequests(p))
	}
	return n
}

// allocatable is what the node offers to pods.
func (n *NodeInfo) allocatable() Resources { return ResourcesOf(n.Node.Status.Allocatable) }

// Terminated tells a pod that holds no place on its node any more.
func Terminated(p *corev1.Pod) bool {
	return p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed
}
