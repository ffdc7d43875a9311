package endpointslice

import (
	"context"
	"errors"
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	k8slabels "k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/tools/cache"

	"github.com/skiffrt/skiff/controlplane/controller/servicepods"
)

// sync brings the slices of the Service key (namespace/name) to the pods
// it selects.
func (c *Controller) sync(ctx context.Context, key string) error {
	ns, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return err
	}
	svc, err := c.services.Services(ns).Get(name)
	if apierrors.IsNotFound(err) {
		// The garbage collector deletes the slices with their Service.
		c.expect.Forget(key)
		return nil
	}
	if err != nil {
		return err
	}
	if !servicepods.Selects(svc) || svc.DeletionTimestamp != nil {
		return nil
	}
	// Read the expectations before the slices: slices seen after this
	// point are in the cache read below.
	if !c.expect.Satisfied(key) {
		return nil // the slices' creation events queue the Service again
	}
	all, err := c.pods.Pods(ns).List(k8slabels.Everything())
	if err != nil {
		return err
	}
	existing, err := c.slices.EndpointSlices(ns).List(k8slabels.SelectorFromSet(k8slabels.Set{
		discoveryv1.LabelServiceName: name, discoveryv1.LabelManagedBy: ManagedBy,
	}))
	if err != nil {
		return err
	}
	ch := c.decide(svc, servicepods.Selected(svc, all), existing)
	if ch.empty() {
		return nil
	}
	if err := c.apply(ctx, key, ch); err != nil {
		if apierrors.IsConflict(err) {
			return err // a stale cache: the next sync sees the change
		}
		c.recorder.Eventf(svc, corev1.EventTypeWarning, "FailedToUpdateEndpointSlices",
			"Error updating Endpoint Slices for Service %s/%s: %v", ns, name, err)
		return err
	}
	return nil
}

// decide returns the changes to existing (the controller's slices of
// svc) for the pods svc selects.
func (c *Controller) decide(svc *corev1.Service, selected []*corev1.Pod, existing []*discoveryv1.EndpointSlice) changes {
	types := addressTypes(svc)
	var ch changes
	for _, at := range types {
		mine := slices.DeleteFunc(slices.Clone(existing), func(s *discoveryv1.EndpointSlice) bool { return s.AddressType != at })
		ch.add(plan(svc, at, desiredGroups(svc, selected, at, c.zone), mine, maxPerSlice))
	}
	for _, s := range existing {
		if !slices.Contains(types, s.AddressType) {
			ch.delete = append(ch.delete, s)
		}
	}
	return ch
}

// zone returns the topology zone of a node, "" if unknown.
func (c *Controller) zone(node string) string {
	n, err := c.nodes.Get(node)
	if err != nil {
		return ""
	}
	return n.Labels[corev1.LabelTopologyZone]
}

// apply writes ch: creates (expected, so a lagging cache does not make
// them twice), then updates, then deletes. A slice already gone is fine.
func (c *Controller) apply(ctx context.Context, key string, ch changes) error {
	var errs []error
	if n := len(ch.create); n > 0 {
		c.expect.ExpectCreations(key, n)
		for _, s := range ch.create {
			if err := c.api.create(ctx, s); err != nil {
				c.expect.CreationObserved(key) // no event will say so
				errs = append(errs, fmt.Errorf("create slice: %w", err))
			}
		}
	}
	for _, s := range ch.update {
		if err := c.api.update(ctx, s); err != nil {
			errs = append(errs, fmt.Errorf("update slice %s: %w", s.Name, err))
		}
	}
	for _, s := range ch.delete {
		if err := c.api.delete(ctx, s); err != nil && !apierrors.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("delete slice %s: %w", s.Name, err))
		}
	}
	return errors.Join(errs...)
}
