package algorithm

import corev1 "k8s.io/api/core/v1"

// NodeInfo is one node of a scheduling snapshot: the node and the pods
// that hold a place on it (bound or assumed, not terminated), with their
// requests summed once. It is read-only once built.
type NodeInfo struct {
	Node *corev1.Node
	Pods []*corev1.Pod
	// requested is the sum of the pods' requests.
	requested amounts
	// nonZeroRequested is the sum of their nonZeroRequests, for scoring.
	nonZeroRequested amounts
}

// NewNodeInfo sums the requests of pods on node.
func NewNodeInfo(node *corev1.Node, pods ...*corev1.Pod) *NodeInfo {
	n := &NodeInfo{Node: node, Pods: pods, requested: amounts{}, nonZeroRequested: amounts{}}
	for _, p := range pods {
		n.requested.add(requests(p))
		n.nonZeroRequested.add(nonZeroRequests(p))
	}
	return n
}

// allocatable is what the node offers to pods.
func (n *NodeInfo) allocatable() amounts { return amountsOf(n.Node.Status.Allocatable) }

// Terminated tells a pod that holds no place on its node any more.
func Terminated(p *corev1.Pod) bool {
	return p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed
}
