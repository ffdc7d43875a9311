package replicaset

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/tools/cache"

	"github.com/skiffrt/skiff/controlplane/controller"
	"github.com/skiffrt/skiff/controlplane/controller/ownerref"
	"github.com/skiffrt/skiff/controlplane/controller/pods"
	"github.com/skiffrt/skiff/internal/log"
)

// sync brings the ReplicaSet key (namespace/name) to its replicas and
// writes its status.
func (c *Controller) sync(ctx context.Context, key string) error {
	ns, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return err
	}
	rs, err := c.replicaSets.ReplicaSets(ns).Get(name)
	if apierrors.IsNotFound(err) {
		c.expect.Forget(key)
		return nil
	}
	if err != nil {
		return err
	}
	selector, err := metav1.LabelSelectorAsSelector(rs.Spec.Selector)
	if err != nil {
		log.G(ctx).Warn("invalid selector", "replicaset", key, log.KeyError, err)
		return nil
	}
	// Read the expectations before the pods: pods seen after this point
	// are in the cache read below.
	settled := c.expect.Satisfied(key)
	all, err := ownerref.Owned[*corev1.Pod](c.pods, ns, rs.UID, true)
	if err != nil {
		return err
	}
	active, err := c.claim(ctx, rs, selector, slices.DeleteFunc(slices.Clone(all), func(p *corev1.Pod) bool { return !pods.IsActive(p) }))
	if err != nil {
		return err
	}
	var manageErr error
	if settled && rs.DeletionTimestamp == nil {
		manageErr = c.manage(ctx, key, rs, active)
	}
	now := c.now()
	status := calculateStatus(rs, active, terminating(rs, selector, all), manageErr, now)
	updated, err := c.writeStatus(ctx, rs, status)
	if err != nil {
		return err
	}
	if manageErr != nil {
		return manageErr
	}
	if m := updated.Spec.MinReadySeconds; m > 0 && updated.Status.ReadyReplicas != updated.Status.AvailableReplicas {
		next, ok := pods.NextAvailable(active, m, now)
		if !ok {
			next = time.Duration(m) * time.Second
		}
		c.queue.AddAfter(key, next)
	}
	return nil
}

// claim adopts the matching orphans among active pods, releases owned
// pods that no longer match, and returns the pods that are rs's.
func (c *Controller) claim(ctx context.Context, rs *appsv1.ReplicaSet, selector labels.Selector, active []*corev1.Pod) ([]*corev1.Pod, error) {
	claimer := &ownerref.Claimer{
		Owner: rs, Kind: kind, Patch: c.podAPI.Patch,
		CanAdopt: ownerref.FreshOwner(rs, func(ctx context.Context) (metav1.Object, error) {
			return c.api.get(ctx, rs.Namespace, rs.Name)
		}),
	}
	return ownerref.Claim(ctx, claimer, active, func(p *corev1.Pod) bool { return selector.Matches(labels.Set(p.Labels)) })
}

// manage creates or deletes pods until rs has its replicas, at most
// burstReplicas at a time, with expectations set before the writes.
func (c *Controller) manage(ctx context.Context, key string, rs *appsv1.ReplicaSet, active []*corev1.Pod) error {
	diff := len(active) - int(replicas(rs))
	switch {
	case diff < 0:
		n := min(-diff, burstReplicas)
		c.expect.ExpectCreations(key, n)
		ref := ownerref.NewControllerRef(rs, kind)
		created, err := pods.SlowStart(n, func() error {
			_, err := c.podAPI.Create(ctx, &rs.Spec.Template, rs, ref)
			return err
		})
		for range n - created {
			c.expect.CreationObserved(key) // none will show up
		}
		return err
	case diff > 0:
		victims := c.toDelete(rs, active, min(diff, burstReplicas))
		names := make([]string, len(victims))
		for i, p := range victims {
			names[i] = podKey(p)
		}
		c.expect.ExpectDeletions(key, names)
		return c.deleteAll(ctx, key, rs, victims)
	}
	return nil
}

// toDelete returns the n pods of active to delete first.
func (c *Controller) toDelete(rs *appsv1.ReplicaSet, active []*corev1.Pod, n int) []*corev1.Pod {
	active = slices.Clone(active)
	if n < len(active) {
		var related []*corev1.Pod
		if ref := metav1.GetControllerOfNoCopy(rs); ref != nil {
			siblings, _ := ownerref.Owned[*appsv1.ReplicaSet](c.byOwner, rs.Namespace, ref.UID, false)
			for _, s := range siblings {
				owned, _ := ownerref.Owned[*corev1.Pod](c.pods, s.Namespace, s.UID, false)
				related = append(related, owned...)
			}
		}
		pods.SortForDeletion(active, related, c.now())
	}
	return active[:n]
}

// deleteAll deletes victims at once; a pod already gone is fine.
func (c *Controller) deleteAll(ctx context.Context, key string, rs *appsv1.ReplicaSet, victims []*corev1.Pod) error {
	errs := make([]error, len(victims))
	var wg sync.WaitGroup
	for i, p := range victims {
		wg.Go(func() {
			err := c.podAPI.Delete(ctx, rs, p.Name)
			if err != nil {
				c.expect.DeletionObserved(key, podKey(p)) // no event will say so
			}
			if !apierrors.IsNotFound(err) {
				errs[i] = err
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

func replicas(rs *appsv1.ReplicaSet) int32 {
	if rs.Spec.Replicas == nil {
		return 1
	}
	return *rs.Spec.Replicas
}

// terminating returns the pods of rs that are being deleted.
func terminating(rs *appsv1.ReplicaSet, selector labels.Selector, all []*corev1.Pod) []*corev1.Pod {
	var out []*corev1.Pod
	for _, p := range all {
		if pods.IsTerminating(p) && metav1.IsControlledBy(p, rs) && selector.Matches(labels.Set(p.Labels)) {
			out = append(out, p)
		}
	}
	return out
}

// writeStatus writes status to rs through /status unless nothing
// changed; one conflict is retried on a fresh read.
func (c *Controller) writeStatus(ctx context.Context, rs *appsv1.ReplicaSet, status appsv1.ReplicaSetStatus) (*appsv1.ReplicaSet, error) {
	status.ObservedGeneration = rs.Generation
	if statusEqual(rs.Status, status) {
		return rs, nil
	}
	return controller.UpdateStatus(ctx, rs, func(rs *appsv1.ReplicaSet) { rs.Status = status }, c.api.updateStatus, c.api.get)
}
