package deployment

import (
	"context"
	"slices"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/skiffrt/skiff/controlplane/controller/ownerref"
)

// rolloutRecreate takes one step of a Recreate rollout: scale the old
// ReplicaSets to zero, wait until none of their pods runs, then create
// and scale up the new one.
func (c *Controller) rolloutRecreate(ctx context.Context, d *appsv1.Deployment, rsList []*appsv1.ReplicaSet) error {
	newRS, oldRSs, err := c.replicaSetsOf(ctx, d, rsList, false)
	if err != nil {
		return err
	}
	all := append(slices.Clone(oldRSs), newRS)
	scaledDown := false
	for _, rs := range active(oldRSs) {
		scaled, _, err := c.scaleReplicaSet(ctx, rs, 0, d, false)
		if err != nil {
			return err
		}
		scaledDown = scaledDown || scaled
	}
	if scaledDown {
		return c.syncRolloutStatus(ctx, all, newRS, d)
	}
	running, err := c.oldPodsRunning(newRS, oldRSs)
	if err != nil || running {
		if err != nil {
			return err
		}
		return c.syncRolloutStatus(ctx, all, newRS, d)
	}
	if newRS == nil {
		newRS, oldRSs, err = c.replicaSetsOf(ctx, d, rsList, true)
		if err != nil {
			return err
		}
		all = append(slices.Clone(oldRSs), newRS)
	}
	if _, _, err := c.scaleReplicaSet(ctx, newRS, replicasOf(d.Spec.Replicas), d, false); err != nil {
		return err
	}
	if complete(d, &d.Status) {
		if err := c.cleanup(ctx, d, oldRSs); err != nil {
			return err
		}
	}
	return c.syncRolloutStatus(ctx, all, newRS, d)
}

// oldPodsRunning: an old ReplicaSet still has pods, or a pod of one has
// not finished.
func (c *Controller) oldPodsRunning(newRS *appsv1.ReplicaSet, oldRSs []*appsv1.ReplicaSet) (bool, error) {
	if actualReplicas(oldRSs) > 0 {
		return true, nil
	}
	for _, rs := range oldRSs {
		if newRS != nil && rs.UID == newRS.UID {
			continue
		}
		owned, err := ownerref.Owned[*corev1.Pod](c.pods, rs.Namespace, rs.UID, false)
		if err != nil {
			return false, err
		}
		for _, p := range owned {
			if p.Status.Phase != corev1.PodSucceeded && p.Status.Phase != corev1.PodFailed {
				return true, nil
			}
		}
	}
	return false, nil
}
