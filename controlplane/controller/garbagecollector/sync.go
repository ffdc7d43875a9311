package garbagecollector

import (
	"context"
	"fmt"
	"reflect"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"

	"github.com/skiffrt/skiff/controlplane/controller/ownerref"
	"github.com/skiffrt/skiff/internal/log"
)

// attemptToDelete judges the object ref: an owner being deleted in the
// foreground waits for its dependents; any other object with owners is
// kept, unreferenced or deleted as decide says.
func (c *Collector) attemptToDelete(ctx context.Context, ref objectRef) error {
	obj, ok := c.cached(ref)
	if !ok {
		return nil // gone, or replaced by a namesake
	}
	if obj.GetDeletionTimestamp() != nil {
		if has(obj, metav1.FinalizerDeleteDependents) {
			return c.deleteDependents(ctx, ref, obj)
		}
		return nil
	}
	owners := obj.GetOwnerReferences()
	if len(owners) == 0 {
		return nil
	}
	states := make([]ownerState, len(owners))
	for i, o := range owners {
		s, err := c.ownerState(ctx, ref, o)
		if err != nil {
			return err
		}
		states[i] = s
	}
	v := decide(obj, states, len(c.dependents(ref.UID)) > 0)
	switch {
	case v.keep && len(v.unref) > 0:
		log.G(ctx).Debug("removing owner references", "object", ref.String(), "owners", v.unref)
		return ignoreNotFound(c.api.patch(ctx, ref, types.StrategicMergePatchType, ownerref.RemovePatch(ref.UID, v.unref...)))
	case v.keep:
		return nil
	}
	log.G(ctx).Info("deleting", "object", ref.String(), "propagation", v.policy)
	err := c.api.delete(ctx, ref, obj.GetResourceVersion(), v.policy)
	if apierrors.IsConflict(err) {
		// Changed since read: delete it anyway if its owners did not.
		live, gerr := c.api.get(ctx, ref)
		if gerr != nil {
			return ignoreNotFound(gerr)
		}
		if live.UID != ref.UID || !reflect.DeepEqual(live.OwnerReferences, owners) {
			return err
		}
		err = c.api.delete(ctx, ref, "", v.policy)
	}
	return ignoreNotFound(err)
}

// ownerState finds owner o of the object ref, in the cache or else
// through the API.
func (c *Collector) ownerState(ctx context.Context, ref objectRef, o metav1.OwnerReference) (ownerState, error) {
	gk := schema.FromAPIVersionAndKind(o.APIVersion, o.Kind).GroupKind()
	r, ok := c.byKind[gk]
	if !ok {
		// Not a kind the API serves (or lists): nothing to judge by.
		log.G(ctx).Debug("owner of an unknown kind", "object", ref.String(), "owner", gk.String())
		return solid, nil
	}
	ownerRef := objectRef{Resource: r.GroupVersionResource, Name: o.Name, UID: o.UID}
	if r.Namespaced {
		ownerRef.Namespace = ref.Namespace
	}
	owner, ok := c.cached(ownerRef)
	if !ok {
		live, err := c.api.get(ctx, ownerRef)
		switch {
		case apierrors.IsNotFound(err):
			return dangling, nil
		case err != nil:
			return solid, fmt.Errorf("owner %s: %w", ownerRef, err)
		case live.UID != o.UID:
			return dangling, nil
		}
		owner = live
	}
	if owner.GetDeletionTimestamp() != nil && has(owner, metav1.FinalizerDeleteDependents) {
		return waiting, nil
	}
	return solid, nil
}

// deleteDependents carries out the foreground deletion of owner: its
// dependents are deleted, and its finalizer goes once none that blocks
// it is left.
func (c *Collector) deleteDependents(ctx context.Context, ref objectRef, owner metav1.Object) error {
	blocked := false
	for _, d := range c.dependents(ref.UID) {
		dep, ok := c.cached(d)
		if !ok {
			continue
		}
		if blocks(dep, ref.UID) {
			blocked = true
		}
		if dep.GetDeletionTimestamp() == nil {
			c.deletes.Add(d)
		}
	}
	if blocked {
		return nil
	}
	log.G(ctx).Debug("dependents gone", "owner", ref.String())
	return ignoreNotFound(c.api.patch(ctx, ref, types.MergePatchType, finalizerPatch(owner, metav1.FinalizerDeleteDependents)))
}

// blocks: dep's reference to owner has blockOwnerDeletion.
func blocks(dep metav1.Object, owner types.UID) bool {
	for _, r := range dep.GetOwnerReferences() {
		if r.UID == owner && r.BlockOwnerDeletion != nil && *r.BlockOwnerDeletion {
			return true
		}
	}
	return false
}

// attemptToOrphan carries out the orphan deletion of owner ref: its
// dependents lose their references to it, then it loses its finalizer.
func (c *Collector) attemptToOrphan(ctx context.Context, ref objectRef) error {
	owner, ok := c.cached(ref)
	if !ok || owner.GetDeletionTimestamp() == nil || !has(owner, metav1.FinalizerOrphanDependents) {
		return nil
	}
	for _, d := range c.dependents(ref.UID) {
		err := c.api.patch(ctx, d, types.StrategicMergePatchType, ownerref.RemovePatch(d.UID, ref.UID))
		if ignoreNotFound(err) != nil {
			return fmt.Errorf("orphan %s: %w", d, err)
		}
	}
	log.G(ctx).Debug("dependents orphaned", "owner", ref.String())
	return ignoreNotFound(c.api.patch(ctx, ref, types.MergePatchType, finalizerPatch(owner, metav1.FinalizerOrphanDependents)))
}

func ignoreNotFound(err error) error {
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}
