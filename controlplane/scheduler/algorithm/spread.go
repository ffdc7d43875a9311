package algorithm

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// siblings counts the pods on the node that belong to the same group as
// the pod, to spread a group across nodes (normalized so that fewer is
// better). A group is the pods of one controller (the same controller
// ownerReference, in the same namespace); a pod without a controller has
// no group. Services can join in later by also matching their selectors
// here.
func siblings(pod *corev1.Pod, n *NodeInfo) int64 {
	owner := metav1.GetControllerOfNoCopy(pod)
	if owner == nil {
		return 0
	}
	var count int64
	for _, other := range n.Pods {
		if other.Namespace != pod.Namespace || other.DeletionTimestamp != nil {
			continue
		}
		if o := metav1.GetControllerOfNoCopy(other); o != nil && o.UID == owner.UID {
			count++
		}
	}
	return count
}
