package deployment

import (
	"context"
	"slices"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
)

// scale sizes d's ReplicaSets to its replicas outside a rollout step:
// the one active (or newest) ReplicaSet takes them all; a saturated new
// ReplicaSet scales the old ones to zero; in the middle of a rolling
// update, the change (up to replicas+maxSurge) is spread over the active
// ReplicaSets in proportion to their sizes, the remainder going to the
// largest (newest for an increase, oldest for a decrease).
func (c *Controller) scale(ctx context.Context, d *appsv1.Deployment, newRS *appsv1.ReplicaSet, oldRSs []*appsv1.ReplicaSet) error {
	want := replicasOf(d.Spec.Replicas)
	if rs := activeOrLatest(newRS, oldRSs); rs != nil {
		if replicasOf(rs.Spec.Replicas) == want {
			return nil
		}
		_, _, err := c.scaleReplicaSet(ctx, rs, want, d, false)
		return err
	}
	if isSaturated(d, newRS) {
		for _, old := range active(oldRSs) {
			if _, _, err := c.scaleReplicaSet(ctx, old, 0, d, false); err != nil {
				return err
			}
		}
		return nil
	}
	if !isRollingUpdate(d) {
		return nil
	}
	sets := active(append(slices.Clone(oldRSs), newRS))
	allowed := int32(0)
	if want > 0 {
		allowed = want + maxSurge(d)
	}
	toAdd := allowed - specReplicas(sets)
	switch {
	case toAdd > 0:
		slices.SortStableFunc(sets, bySizeNewer)
	case toAdd < 0:
		slices.SortStableFunc(sets, bySizeOlder)
	}
	sizes := make([]int32, len(sets))
	added := int32(0)
	for i, rs := range sets {
		p := proportion(rs, d, toAdd, added)
		sizes[i] = replicasOf(rs.Spec.Replicas) + p
		added += p
	}
	if len(sets) > 0 && toAdd != 0 {
		sizes[0] = max(sizes[0]+toAdd-added, 0)
	}
	for i, rs := range sets {
		if _, _, err := c.scaleReplicaSet(ctx, rs, sizes[i], d, true); err != nil {
			return err
		}
	}
	return nil
}

// activeOrLatest returns the only active ReplicaSet, or the newest one
// when none is active; nil when several are.
func activeOrLatest(newRS *appsv1.ReplicaSet, oldRSs []*appsv1.ReplicaSet) *appsv1.ReplicaSet {
	if newRS == nil && len(oldRSs) == 0 {
		return nil
	}
	sorted := slices.Clone(oldRSs)
	slices.SortFunc(sorted, func(a, b *appsv1.ReplicaSet) int { return byCreation(b, a) })
	switch sets := active(append(sorted, newRS)); len(sets) {
	case 0:
		if newRS != nil {
			return newRS
		}
		return sorted[0]
	case 1:
		return sets[0]
	}
	return nil
}

// bySizeNewer: larger first, then newer. bySizeOlder: larger first, then
// older.
func bySizeNewer(a, b *appsv1.ReplicaSet) int {
	if c := cmpInt32(replicasOf(b.Spec.Replicas), replicasOf(a.Spec.Replicas)); c != 0 {
		return c
	}
	return byCreation(b, a)
}

func bySizeOlder(a, b *appsv1.ReplicaSet) int {
	if c := cmpInt32(replicasOf(b.Spec.Replicas), replicasOf(a.Spec.Replicas)); c != 0 {
		return c
	}
	return byCreation(a, b)
}

func cmpInt32(a, b int32) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// scaleReplicaSet sets rs's replicas to size and its replicas
// annotations to d's, writing only when something changed (with force,
// the annotations are checked even when the size is right). It reports
// whether the size changed, with a ScalingReplicaSet event.
func (c *Controller) scaleReplicaSet(ctx context.Context, rs *appsv1.ReplicaSet, size int32, d *appsv1.Deployment, force bool) (bool, *appsv1.ReplicaSet, error) {
	old := replicasOf(rs.Spec.Replicas)
	if !force && old == size {
		return false, rs, nil
	}
	want, maxReplicas := replicasOf(d.Spec.Replicas), replicasOf(d.Spec.Replicas)+maxSurge(d)
	if old == size && !replicasAnnotationsNeedUpdate(rs, want, maxReplicas) {
		return false, rs, nil
	}
	next := rs.DeepCopy()
	next.Spec.Replicas = &size
	setReplicasAnnotations(next, want, maxReplicas)
	updated, err := c.api.updateReplicaSet(ctx, next)
	if err != nil {
		return false, nil, err
	}
	if old == size {
		return false, updated, nil
	}
	direction := "up"
	if size < old {
		direction = "down"
	}
	c.events.Eventf(d, corev1.EventTypeNormal, "ScalingReplicaSet", "Scaled %s replica set %s from %d to %d", direction, rs.Name, old, size)
	return true, updated, nil
}
