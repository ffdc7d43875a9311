package ownerref

import (
	"context"
	"errors"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Action is what a claim does with one object.
type Action int

const (
	// Skip: not the owner's (another controller's, or not wanted).
	Skip Action = iota
	// Keep: the owner's already, and still wanted.
	Keep
	// Adopt: an orphan the owner wants; it becomes the owner's.
	Adopt
	// Release: the owner's, no longer wanted; the owner lets it go.
	Release
)

// Decide is what owner does with obj, which its selector matches or
// not: keep what is its own and matches, release what is its own and
// does not, adopt matching orphans of its namespace. An owner being
// deleted adopts and releases nothing, and nobody adopts an object being
// deleted.
func Decide(owner, obj metav1.Object, matches bool) Action {
	if ref := metav1.GetControllerOfNoCopy(obj); ref != nil {
		switch {
		case ref.UID != owner.GetUID():
			return Skip
		case matches:
			return Keep
		case owner.GetDeletionTimestamp() != nil:
			return Skip
		}
		return Release
	}
	if !matches || owner.GetDeletionTimestamp() != nil || obj.GetDeletionTimestamp() != nil ||
		(owner.GetNamespace() != "" && owner.GetNamespace() != obj.GetNamespace()) {
		return Skip
	}
	return Adopt
}

// Claimer claims objects of one kind for one owner.
type Claimer struct {
	Owner metav1.Object
	// Kind is the owner's kind, written into the ownerReferences.
	Kind schema.GroupVersionKind
	// CanAdopt, when set, is asked once before the first adoption
	// (FreshOwner).
	CanAdopt func(ctx context.Context) error
	// Patch applies a strategic merge patch to the object ns/name.
	Patch func(ctx context.Context, ns, name string, patch []byte) error
}

// Claim returns the objects of objs that are the owner's once the claim
// is done: those it keeps and those it adopted. match tells whether the
// owner wants an object (its selector, and any more conditions). Errors
// of single objects are joined; the others are still claimed.
func Claim[T metav1.Object](ctx context.Context, c *Claimer, objs []T, match func(T) bool) ([]T, error) {
	var claimed []T
	var errs []error
	var canAdopt *error
	for _, obj := range objs {
		switch Decide(c.Owner, obj, match(obj)) {
		case Keep:
			claimed = append(claimed, obj)
		case Adopt:
			if canAdopt == nil && c.CanAdopt != nil {
				err := c.CanAdopt(ctx)
				canAdopt = &err
			}
			if canAdopt != nil && *canAdopt != nil {
				errs = append(errs, fmt.Errorf("can't adopt %s/%s: %w", obj.GetNamespace(), obj.GetName(), *canAdopt))
				continue
			}
			err := c.adopt(ctx, obj)
			if err == nil {
				claimed = append(claimed, obj)
			} else if !apierrors.IsNotFound(err) {
				errs = append(errs, err)
			}
		case Release:
			if err := c.release(ctx, obj); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return claimed, errors.Join(errs...)
}

func (c *Claimer) adopt(ctx context.Context, obj metav1.Object) error {
	patch, err := adoptPatch(c.Owner, c.Kind, obj.GetUID())
	if err != nil {
		return err
	}
	return c.Patch(ctx, obj.GetNamespace(), obj.GetName(), patch)
}

// release lets obj go; an object gone or replaced (its uid no longer the
// patch's: 422) needs no release.
func (c *Claimer) release(ctx context.Context, obj metav1.Object) error {
	err := c.Patch(ctx, obj.GetNamespace(), obj.GetName(), RemovePatch(obj.GetUID(), c.Owner.GetUID()))
	if apierrors.IsNotFound(err) || apierrors.IsInvalid(err) {
		return nil
	}
	return err
}
