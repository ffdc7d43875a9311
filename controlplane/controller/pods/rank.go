package pods

import (
	"cmp"
	"math"
	"slices"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// DeletionCostAnnotation lets users say which pods of a ReplicaSet go
// first on scale-down: lower costs first.
const DeletionCostAnnotation = "controller.kubernetes.io/pod-deletion-cost"

// phaseOrder: pending pods go before unknown ones, before running ones.
var phaseOrder = map[corev1.PodPhase]int{corev1.PodPending: 0, corev1.PodUnknown: 1, corev1.PodRunning: 2}

// SortForDeletion orders pods so that those to delete first come first,
// as upstream's ReplicaSet controller does: unscheduled before
// scheduled; Pending before Unknown before Running; not ready before
// ready; lower pod-deletion-cost first; pods sharing their node with
// more of related (the pods of the owner's siblings, e.g. the other
// ReplicaSets of a Deployment) first; then the more recently ready, the
// more restarted, and the newer first, times compared on a log2 scale
// of their age at now so that pods of about the same age count as equal.
func SortForDeletion(pods, related []*corev1.Pod, now time.Time) {
	onNode := map[string]int{}
	for _, p := range related {
		if IsActive(p) {
			onNode[p.Spec.NodeName]++
		}
	}
	slices.SortStableFunc(pods, func(a, b *corev1.Pod) int {
		return compareForDeletion(a, b, onNode[a.Spec.NodeName], onNode[b.Spec.NodeName], now)
	})
}

// compareForDeletion is negative when a goes before b.
func compareForDeletion(a, b *corev1.Pod, rankA, rankB int, now time.Time) int {
	if (a.Spec.NodeName == "") != (b.Spec.NodeName == "") {
		return boolFirst(a.Spec.NodeName == "")
	}
	if c := cmp.Compare(phaseOrder[a.Status.Phase], phaseOrder[b.Status.Phase]); c != 0 {
		return c
	}
	if IsReady(a) != IsReady(b) {
		return boolFirst(!IsReady(a))
	}
	if c := cmp.Compare(deletionCost(a), deletionCost(b)); c != 0 {
		return c
	}
	if rankA != rankB {
		return cmp.Compare(rankB, rankA)
	}
	if IsReady(a) && IsReady(b) {
		if c := compareAge(Ready(a).LastTransitionTime.Time, Ready(b).LastTransitionTime.Time, now); c != 0 {
			return tieByUID(c, a, b)
		}
	}
	if c := cmp.Compare(restarts(b), restarts(a)); c != 0 {
		return c
	}
	if c := compareAge(a.CreationTimestamp.Time, b.CreationTimestamp.Time, now); c != 0 && c != 2 {
		return c
	}
	// Alike in all of the above: by uid, so that the order never depends
	// on the order the pods were listed in.
	return cmp.Compare(a.UID, b.UID)
}

// compareAge is negative when t1 is newer than t2 by their log2 age
// bucket, 2 when they share a bucket, 0 when they are the same time. A
// zero time counts as newest.
func compareAge(t1, t2, now time.Time) int {
	if t1.Equal(t2) {
		return 0
	}
	if t1.IsZero() || t2.IsZero() {
		return boolFirst(t1.IsZero())
	}
	if c := cmp.Compare(ageBucket(t1, now), ageBucket(t2, now)); c != 0 {
		return c
	}
	return 2
}

// tieByUID breaks a same-bucket tie (2) by uid, for a stable order.
func tieByUID(c int, a, b *corev1.Pod) int {
	if c == 2 {
		return cmp.Compare(a.UID, b.UID)
	}
	return c
}

func ageBucket(t, now time.Time) int64 {
	if d := now.Sub(t); d > 0 {
		return int64(math.Log2(float64(d)))
	}
	return -1
}

func boolFirst(aFirst bool) int {
	if aFirst {
		return -1
	}
	return 1
}

func deletionCost(p *corev1.Pod) int32 {
	v, ok := p.Annotations[DeletionCostAnnotation]
	if !ok || v == "" || v[0] == '+' || (len(v) > 1 && v[0] == '0') {
		return 0
	}
	n, err := strconv.ParseInt(v, 10, 32)
	if err != nil {
		return 0
	}
	return int32(n)
}

// restarts is the highest restart count of the pod's containers.
func restarts(p *corev1.Pod) int32 {
	var n int32
	for _, c := range p.Status.ContainerStatuses {
		n = max(n, c.RestartCount)
	}
	return n
}
