package controller

import (
	"k8s.io/client-go/tools/cache"
)

// Key returns the namespace/name key of an object an informer handed to
// a handler, through the tombstone of a missed deletion.
func Key(obj any) (string, bool) {
	key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj)
	return key, err == nil
}

// Unwrap returns the object of an informer event as a T: the object
// itself, or the last state a tombstone (a deletion the watch missed)
// carries.
func Unwrap[T any](obj any) (T, bool) {
	if t, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = t.Obj
	}
	v, ok := obj.(T)
	return v, ok
}
