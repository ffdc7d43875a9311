package controller

import (
	"context"
	"errors"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ErrReplaced is the error of UpdateStatus when the object was deleted
// and created again under its name meanwhile.
var ErrReplaced = errors.New("was replaced")

// Object is an API object that copies itself: a *appsv1.ReplicaSet, a
// *batchv1.Job…
type Object[T any] interface {
	metav1.Object
	DeepCopy() T
}

// UpdateStatus writes a copy of obj with its status set by setStatus
// through update (the /status subresource) and returns the object as
// written. One conflict is retried on a fresh read by get; if that read
// finds another object (another UID), the error wraps ErrReplaced.
func UpdateStatus[T Object[T]](ctx context.Context, obj T, setStatus func(T),
	update func(context.Context, T) (T, error), get func(ctx context.Context, ns, name string) (T, error)) (T, error) {
	next := obj.DeepCopy()
	setStatus(next)
	updated, err := update(ctx, next)
	if !apierrors.IsConflict(err) {
		return updated, err
	}
	var zero T
	fresh, err := get(ctx, obj.GetNamespace(), obj.GetName())
	if err != nil {
		return zero, err
	}
	if fresh.GetUID() != obj.GetUID() {
		return zero, fmt.Errorf("%s/%s %w", obj.GetNamespace(), obj.GetName(), ErrReplaced)
	}
	setStatus(fresh)
	return update(ctx, fresh)
}
