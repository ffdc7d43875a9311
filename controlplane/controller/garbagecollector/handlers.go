package garbagecollector

import (
	"reflect"
	"slices"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/skiffrt/skiff/controlplane/controller"
)

// handlers queue the objects to look at when r's objects change.
func (c *Collector) handlers(r *resource) cache.ResourceEventHandler {
	return cache.ResourceEventHandlerFuncs{
		AddFunc: func(obj any) { c.changed(r, nil, obj.(metav1.Object)) },
		UpdateFunc: func(old, cur any) {
			c.changed(r, old.(metav1.Object), cur.(metav1.Object))
		},
		DeleteFunc: func(obj any) {
			if m, ok := controller.Unwrap[metav1.Object](obj); ok {
				c.gone(m)
			}
		},
	}
}

// changed: obj appeared (old nil) or changed. An object with new owners
// is judged; one being deleted with a propagation finalizer is carried
// out; owners being deleted look again at what they wait for.
func (c *Collector) changed(r *resource, old, obj metav1.Object) {
	ref := refOf(r, obj)
	if obj.GetDeletionTimestamp() != nil {
		if has(obj, metav1.FinalizerDeleteDependents) {
			c.deletes.Add(ref)
		}
		if has(obj, metav1.FinalizerOrphanDependents) {
			c.orphans.Add(ref)
		}
	}
	ownersChanged := old == nil || !reflect.DeepEqual(old.GetOwnerReferences(), obj.GetOwnerReferences())
	if ownersChanged && len(obj.GetOwnerReferences()) > 0 {
		c.deletes.Add(ref)
	}
	if ownersChanged || (old.GetDeletionTimestamp() == nil) != (obj.GetDeletionTimestamp() == nil) {
		if old != nil {
			c.wakeOwners(old)
		}
		c.wakeOwners(obj)
	}
}

// gone: obj was deleted; its dependents may be left without an owner,
// and its owners may have been waiting for it.
func (c *Collector) gone(obj metav1.Object) {
	for _, d := range c.dependents(obj.GetUID()) {
		c.deletes.Add(d)
	}
	c.wakeOwners(obj)
}

// wakeOwners queues the owners of obj that are being deleted.
func (c *Collector) wakeOwners(obj metav1.Object) {
	for _, o := range obj.GetOwnerReferences() {
		if r, owner, ok := c.byUID(o.UID); ok && owner.GetDeletionTimestamp() != nil {
			c.deletes.Add(refOf(r, owner))
		}
	}
}

func has(obj metav1.Object, finalizer string) bool {
	return slices.Contains(obj.GetFinalizers(), finalizer)
}
