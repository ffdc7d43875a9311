package daemonset

import (
	"slices"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/skiffrt/skiff/controlplane/controller/history"
	"github.com/skiffrt/skiff/controlplane/controller/pods"
)

// status is ds's status from its nodes, counted by node as upstream:
// a node counts as ready (available) when one of its pods is.
func status(ds *appsv1.DaemonSet, nodes []*nodeState, hash string, collisions int32, now time.Time) appsv1.DaemonSetStatus {
	st := *ds.Status.DeepCopy()
	var desired, current, misscheduled, ready, available, updated int32
	for _, n := range nodes {
		if !n.run {
			if len(n.live) > 0 {
				misscheduled++
			}
			continue
		}
		desired++
		if len(n.live) == 0 {
			continue
		}
		current++
		if slices.ContainsFunc(n.live, pods.IsReady) {
			ready++
		}
		if slices.ContainsFunc(n.live, func(p *corev1.Pod) bool { return pods.IsAvailable(p, ds.Spec.MinReadySeconds, now) }) {
			available++
		}
		if slices.ContainsFunc(n.live, func(p *corev1.Pod) bool { return p.Labels[history.HashLabel] == hash }) {
			updated++
		}
	}
	st.DesiredNumberScheduled, st.CurrentNumberScheduled, st.NumberMisscheduled = desired, current, misscheduled
	st.NumberReady, st.NumberAvailable, st.NumberUnavailable = ready, available, desired-available
	st.UpdatedNumberScheduled = updated
	st.ObservedGeneration = ds.Generation
	if collisions != 0 || st.CollisionCount != nil {
		st.CollisionCount = &collisions
	}
	return st
}
