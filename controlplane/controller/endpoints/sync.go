package endpoints

import (
	"context"
	"maps"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8slabels "k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/tools/cache"

	"github.com/skiffrt/skiff/controlplane/controller/servicepods"
)

// sync brings the Endpoints of the Service key (namespace/name) to the
// pods it selects.
func (c *Controller) sync(ctx context.Context, key string) error {
	ns, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return err
	}
	svc, err := c.services.Services(ns).Get(name)
	if apierrors.IsNotFound(err) {
		if !c.forgetDeleted(key) {
			return nil // Endpoints of no Service (yet): not this controller's
		}
		if err := c.deleteLeftover(ctx, ns, name); err != nil {
			c.serviceDeleted(key) // try again
			return err
		}
		return nil
	}
	if err != nil {
		return err
	}
	c.forgetDeleted(key) // deleted and created again
	if !servicepods.Selects(svc) {
		return nil
	}
	all, err := c.pods.Pods(ns).List(k8slabels.Everything())
	if err != nil {
		return err
	}
	current, err := c.endpoints.Endpoints(ns).Get(name)
	if err != nil && !apierrors.IsNotFound(err) {
		return err
	}
	if apierrors.IsNotFound(err) {
		current = nil
	}
	next := desired(svc, servicepods.Selected(svc, all), current)
	if next == nil {
		return nil
	}
	reason, verb := "FailedToUpdateEndpoint", c.api.update
	if current == nil {
		reason, verb = "FailedToCreateEndpoint", c.api.create
	}
	err = verb(ctx, next)
	switch {
	case err == nil, apierrors.IsConflict(err), apierrors.IsAlreadyExists(err),
		apierrors.HasStatusCause(err, corev1.NamespaceTerminatingCause):
		// A stale cache (the next sync sees the change), or a namespace
		// being deleted: not worth an event.
	case current == nil:
		c.recorder.Eventf(svc, corev1.EventTypeWarning, reason, "Failed to create endpoint for service %s/%s: %v", ns, name, err)
	default:
		c.recorder.Eventf(svc, corev1.EventTypeWarning, reason, "Failed to update endpoint %s/%s: %v", ns, name, err)
	}
	return err
}

// desired returns the Endpoints to write for svc, from current (nil if
// there is none), or nil when current is right.
func desired(svc *corev1.Service, selected []*corev1.Pod, current *corev1.Endpoints) *corev1.Endpoints {
	subs := subsets(svc, selected)
	truncated := truncate(subs)
	wantLabels := labels(svc)
	if current != nil && apiequality.Semantic.DeepEqual(current.Subsets, subs) &&
		maps.Equal(current.Labels, wantLabels) && (current.Annotations[overCapacity] == "truncated") == truncated {
		return nil
	}
	next := &corev1.Endpoints{ObjectMeta: metav1.ObjectMeta{Name: svc.Name, Namespace: svc.Namespace}}
	if current != nil {
		next = current.DeepCopy()
	}
	next.Labels = wantLabels
	next.Subsets = subs
	if next.Annotations == nil {
		next.Annotations = map[string]string{}
	}
	delete(next.Annotations, overCapacity)
	if truncated {
		next.Annotations[overCapacity] = "truncated"
	}
	delete(next.Annotations, corev1.EndpointsLastChangeTriggerTime)
	if t := triggerTime(svc, selected); !t.IsZero() {
		next.Annotations[corev1.EndpointsLastChangeTriggerTime] = t.UTC().Format(time.RFC3339Nano)
	}
	return next
}

// deleteLeftover deletes the Endpoints of a Service that was deleted.
func (c *Controller) deleteLeftover(ctx context.Context, ns, name string) error {
	if _, err := c.endpoints.Endpoints(ns).Get(name); apierrors.IsNotFound(err) {
		return nil
	}
	if err := c.api.delete(ctx, ns, name); err != nil && !apierrors.IsNotFound(err) {
		return err
	}
	return nil
}
