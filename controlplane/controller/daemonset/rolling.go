package daemonset

import (
	"slices"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/skiffrt/skiff/controlplane/controller/history"
	"github.com/skiffrt/skiff/controlplane/controller/pods"
)

// rollingUpdate adds to p the old pods to replace now. Without surge, an
// old pod goes at once when it is not available anyway, and otherwise
// while fewer than maxUnavailable nodes lack an available pod. With
// surge, the new pod starts beside the old one (on at most maxSurge
// nodes at a time), and the old one goes once the new one is available.
func (c *Controller) rollingUpdate(ds *appsv1.DaemonSet, nodes []*nodeState, hash string, now time.Time, p *plan) {
	desired := 0
	for _, n := range nodes {
		if n.run {
			desired++
		}
	}
	maxSurge, maxUnavailable := limits(ds, desired)
	minReady := ds.Spec.MinReadySeconds
	available := func(p *corev1.Pod) bool { return pods.IsAvailable(p, minReady, now) }
	gone := map[*corev1.Pod]bool{}
	for _, d := range p.delete {
		gone[d] = true
	}
	unavailable, surging := 0, 0
	var candidates []*nodeState
	for _, n := range nodes {
		if !n.run || !n.keep {
			continue
		}
		live := slices.DeleteFunc(slices.Clone(n.live), func(p *corev1.Pod) bool { return gone[p] })
		newPod, old := split(live, hash)
		if !slices.ContainsFunc(live, available) {
			unavailable++
		}
		switch {
		case len(old) == 0:
		case newPod != nil && (maxSurge == 0 || available(newPod)):
			p.delete = append(p.delete, old...)
		case newPod != nil:
			surging++
		case !slices.ContainsFunc(old, available):
			// Down anyway: replacing it costs nothing.
			if maxSurge > 0 {
				p.create = append(p.create, n.node.Name)
			} else {
				p.delete = append(p.delete, old...)
			}
		default:
			candidates = append(candidates, n)
		}
	}
	for _, n := range candidates {
		_, old := split(n.live, hash)
		switch {
		case maxSurge > 0 && surging < maxSurge:
			surging++
			p.create = append(p.create, n.node.Name)
		case maxSurge == 0 && unavailable < maxUnavailable:
			unavailable++
			p.delete = append(p.delete, old...)
		}
	}
}

// split returns the node's current pod (the oldest) and its old pods.
func split(live []*corev1.Pod, hash string) (*corev1.Pod, []*corev1.Pod) {
	var cur *corev1.Pod
	var old []*corev1.Pod
	for _, p := range live {
		switch {
		case p.Labels[history.HashLabel] != hash:
			old = append(old, p)
		case cur == nil:
			cur = p
		}
	}
	return cur, old
}

// limits are maxSurge and maxUnavailable as numbers of nodes, of desired
// nodes, rounded up; both 0 is maxUnavailable 1, as upstream.
func limits(ds *appsv1.DaemonSet, desired int) (surge, unavailable int) {
	ru := ds.Spec.UpdateStrategy.RollingUpdate
	one := intstr.FromInt32(1)
	zero := intstr.FromInt32(0)
	s, u := &zero, &one
	if ru != nil {
		if ru.MaxSurge != nil {
			s = ru.MaxSurge
		}
		if ru.MaxUnavailable != nil {
			u = ru.MaxUnavailable
		}
	}
	surge, _ = intstr.GetScaledValueFromIntOrPercent(s, desired, true)
	unavailable, _ = intstr.GetScaledValueFromIntOrPercent(u, desired, true)
	if surge == 0 && unavailable == 0 {
		unavailable = 1
	}
	return surge, unavailable
}
