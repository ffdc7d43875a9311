package deployment

import (
	"math"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

func isRollingUpdate(d *appsv1.Deployment) bool {
	return d.Spec.Strategy.Type == appsv1.RollingUpdateDeploymentStrategyType
}

// replicasOf is a Deployment's or ReplicaSet's spec.replicas (defaulted,
// so never nil from the API; 0 when it is).
func replicasOf(p *int32) int32 {
	if p == nil {
		return 0
	}
	return *p
}

// fenceposts resolves maxSurge (rounded up) and maxUnavailable (rounded
// down) against desired replicas; both zero would deadlock a rollout, so
// maxUnavailable is then 1.
func fenceposts(maxSurge, maxUnavailable *intstr.IntOrString, desired int32) (surge, unavailable int32) {
	zero := intstr.FromInt32(0)
	s, _ := intstr.GetScaledValueFromIntOrPercent(intstr.ValueOrDefault(maxSurge, zero), int(desired), true)
	u, _ := intstr.GetScaledValueFromIntOrPercent(intstr.ValueOrDefault(maxUnavailable, zero), int(desired), false)
	if s == 0 && u == 0 {
		u = 1
	}
	return int32(s), int32(u)
}

// maxSurge is how many pods a rolling update may run beyond the desired
// replicas (0 for Recreate).
func maxSurge(d *appsv1.Deployment) int32 {
	if !isRollingUpdate(d) || d.Spec.Strategy.RollingUpdate == nil {
		return 0
	}
	s, _ := fenceposts(d.Spec.Strategy.RollingUpdate.MaxSurge, d.Spec.Strategy.RollingUpdate.MaxUnavailable, replicasOf(d.Spec.Replicas))
	return s
}

// maxUnavailable is how many of the desired replicas a rolling update may
// leave unavailable, at most all of them (0 for Recreate).
func maxUnavailable(d *appsv1.Deployment) int32 {
	want := replicasOf(d.Spec.Replicas)
	if !isRollingUpdate(d) || d.Spec.Strategy.RollingUpdate == nil || want == 0 {
		return 0
	}
	_, u := fenceposts(d.Spec.Strategy.RollingUpdate.MaxSurge, d.Spec.Strategy.RollingUpdate.MaxUnavailable, want)
	return min(u, want)
}

// newRSReplicas is the size the new ReplicaSet may grow to now: for a
// rolling update, up to the desired replicas while all ReplicaSets
// together stay within replicas+maxSurge; for Recreate, the desired
// replicas.
func newRSReplicas(d *appsv1.Deployment, all []*appsv1.ReplicaSet, newRS *appsv1.ReplicaSet) int32 {
	want := replicasOf(d.Spec.Replicas)
	if !isRollingUpdate(d) {
		return want
	}
	current, maxTotal := specReplicas(all), want+maxSurge(d)
	if current >= maxTotal {
		return replicasOf(newRS.Spec.Replicas)
	}
	return replicasOf(newRS.Spec.Replicas) + min(maxTotal-current, want-replicasOf(newRS.Spec.Replicas))
}

// proportion is how many replicas rs gets of toAdd (negative: loses) when
// a Deployment in the middle of a rollout is scaled: its share of the
// new maximum, from the max-replicas annotation of the last scaling (or
// the current replicas), bounded by what is left of toAdd after added.
func proportion(rs *appsv1.ReplicaSet, d *appsv1.Deployment, toAdd, added int32) int32 {
	if rs == nil || replicasOf(rs.Spec.Replicas) == 0 || toAdd == 0 || toAdd == added {
		return 0
	}
	fraction := replicaSetFraction(rs, d)
	allowed := toAdd - added
	if toAdd > 0 {
		return min(fraction, allowed)
	}
	return max(fraction, allowed)
}

func replicaSetFraction(rs *appsv1.ReplicaSet, d *appsv1.Deployment) int32 {
	size := replicasOf(rs.Spec.Replicas)
	if replicasOf(d.Spec.Replicas) == 0 {
		return -size
	}
	maxNow := replicasOf(d.Spec.Replicas) + maxSurge(d)
	maxBefore, ok := annotationInt32(rs, MaxReplicasAnnotation)
	if !ok || maxBefore == 0 {
		maxBefore = d.Status.Replicas
		if maxBefore == 0 {
			return 0
		}
	}
	scaled := float64(size*maxNow) / float64(maxBefore)
	return int32(math.Round(scaled)) - size
}

// isSaturated: rs is the whole Deployment, scaled and available.
func isSaturated(d *appsv1.Deployment, rs *appsv1.ReplicaSet) bool {
	if rs == nil {
		return false
	}
	desired, ok := annotationInt32(rs, DesiredReplicasAnnotation)
	want := replicasOf(d.Spec.Replicas)
	return ok && replicasOf(rs.Spec.Replicas) == want && desired == want && rs.Status.AvailableReplicas == want
}

// Sums over ReplicaSets (nil ones skipped).

func specReplicas(sets []*appsv1.ReplicaSet) int32 {
	return sum(sets, func(rs *appsv1.ReplicaSet) int32 { return replicasOf(rs.Spec.Replicas) })
}

func actualReplicas(sets []*appsv1.ReplicaSet) int32 {
	return sum(sets, func(rs *appsv1.ReplicaSet) int32 { return rs.Status.Replicas })
}

func readyReplicas(sets []*appsv1.ReplicaSet) int32 {
	return sum(sets, func(rs *appsv1.ReplicaSet) int32 { return rs.Status.ReadyReplicas })
}

func availableReplicas(sets []*appsv1.ReplicaSet) int32 {
	return sum(sets, func(rs *appsv1.ReplicaSet) int32 { return rs.Status.AvailableReplicas })
}

// terminatingReplicas sums the ReplicaSets' terminating pods; unknown
// (nil) when a ReplicaSet that has been synced does not report them.
func terminatingReplicas(sets []*appsv1.ReplicaSet) *int32 {
	var n int32
	for _, rs := range sets {
		switch {
		case rs == nil, rs.Status.ObservedGeneration == 0 && rs.Status.TerminatingReplicas == nil:
		case rs.Status.TerminatingReplicas == nil:
			return nil
		default:
			n += *rs.Status.TerminatingReplicas
		}
	}
	return &n
}

func sum(sets []*appsv1.ReplicaSet, f func(*appsv1.ReplicaSet) int32) int32 {
	var n int32
	for _, rs := range sets {
		if rs != nil {
			n += f(rs)
		}
	}
	return n
}

// active are the ReplicaSets with replicas wanted.
func active(sets []*appsv1.ReplicaSet) []*appsv1.ReplicaSet {
	var out []*appsv1.ReplicaSet
	for _, rs := range sets {
		if rs != nil && replicasOf(rs.Spec.Replicas) > 0 {
			out = append(out, rs)
		}
	}
	return out
}
