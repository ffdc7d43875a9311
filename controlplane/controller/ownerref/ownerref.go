package ownerref

import (
	"context"
	"encoding/json"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
)

// NewControllerRef is the ownerReference an object made by owner (of
// kind gvk) carries: controller=true, blockOwnerDeletion=true, so that a
// foreground deletion of owner waits for it.
func NewControllerRef(owner metav1.Object, gvk schema.GroupVersionKind) metav1.OwnerReference {
	return *metav1.NewControllerRef(owner, gvk)
}

// Resolve returns the object that ref names, of kind kind, if get finds
// one by name with the same UID (a namesake created since is not the
// owner).
func Resolve[T metav1.Object](ref *metav1.OwnerReference, kind string, get func(name string) (T, error)) (T, bool) {
	var zero T
	if ref == nil || ref.Kind != kind {
		return zero, false
	}
	obj, err := get(ref.Name)
	if err != nil || obj.GetUID() != ref.UID {
		return zero, false
	}
	return obj, true
}

// ResolveKey is Resolve's object as the "namespace/name" key a
// controller's queue holds.
func ResolveKey[T metav1.Object](ref *metav1.OwnerReference, kind string, get func(name string) (T, error)) (string, bool) {
	obj, ok := Resolve(ref, kind, get)
	if !ok {
		return "", false
	}
	return obj.GetNamespace() + "/" + obj.GetName(), true
}

// FreshOwner is a Claimer's CanAdopt: it reads the owner again through
// get (from the API, not a cache) and refuses adoption when the owner is
// gone, was replaced, or is being deleted.
func FreshOwner(owner metav1.Object, get func(ctx context.Context) (metav1.Object, error)) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		fresh, err := get(ctx)
		if err != nil {
			return fmt.Errorf("can't recheck the owner: %w", err)
		}
		if fresh.GetUID() != owner.GetUID() {
			return fmt.Errorf("owner %s/%s is gone: got uid %v, wanted %v", owner.GetNamespace(), owner.GetName(), fresh.GetUID(), owner.GetUID())
		}
		if fresh.GetDeletionTimestamp() != nil {
			return fmt.Errorf("owner %s/%s has just been deleted at %v", owner.GetNamespace(), owner.GetName(), fresh.GetDeletionTimestamp())
		}
		return nil
	}
}

// adoptPatch is the strategic merge patch that makes owner the
// controller of the object whose UID is uid.
func adoptPatch(owner metav1.Object, gvk schema.GroupVersionKind, uid types.UID) ([]byte, error) {
	type meta struct {
		UID             types.UID               `json:"uid"`
		OwnerReferences []metav1.OwnerReference `json:"ownerReferences"`
	}
	return json.Marshal(struct {
		Metadata meta `json:"metadata"`
	}{meta{UID: uid, OwnerReferences: []metav1.OwnerReference{NewControllerRef(owner, gvk)}}})
}

// RemovePatch is the strategic merge patch that removes the
// ownerReferences to owners from the object whose UID is uid (and fails
// on another object of its name).
func RemovePatch(uid types.UID, owners ...types.UID) []byte {
	type meta struct {
		UID             types.UID           `json:"uid"`
		OwnerReferences []map[string]string `json:"ownerReferences"`
	}
	m := meta{UID: uid}
	for _, o := range owners {
		m.OwnerReferences = append(m.OwnerReferences, map[string]string{"$patch": "delete", "uid": string(o)})
	}
	b, _ := json.Marshal(struct {
		Metadata meta `json:"metadata"`
	}{m})
	return b
}
