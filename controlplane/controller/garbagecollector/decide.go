package garbagecollector

import (
	"slices"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// ownerState is what an owner is to its dependent.
type ownerState int

const (
	solid    ownerState = iota // exists, not waiting for its dependents
	dangling                   // gone, or replaced
	waiting                    // being deleted in the foreground
)

// verdict is what to do with an object, from its owners.
type verdict struct {
	// keep: the object stays; it loses its references to the owners in
	// unref, if any.
	keep  bool
	unref []types.UID
	// policy is the propagation of the object's deletion when not kept.
	policy metav1.DeletionPropagation
}

// decide judges obj from the states of its owners (in the order of its
// ownerReferences) and whether it has dependents of its own.
func decide(obj metav1.Object, states []ownerState, hasDependents bool) verdict {
	refs := obj.GetOwnerReferences()
	var unref []types.UID
	for i, s := range states {
		if s != solid {
			unref = append(unref, refs[i].UID)
		}
	}
	switch {
	case len(states) == 0:
		return verdict{keep: true}
	case slices.Contains(states, solid):
		return verdict{keep: true, unref: unref}
	case slices.Contains(states, waiting) && hasDependents:
		return verdict{policy: metav1.DeletePropagationForeground}
	}
	finalizers := obj.GetFinalizers()
	switch {
	case slices.Contains(finalizers, metav1.FinalizerOrphanDependents):
		return verdict{policy: metav1.DeletePropagationOrphan}
	case slices.Contains(finalizers, metav1.FinalizerDeleteDependents):
		return verdict{policy: metav1.DeletePropagationForeground}
	}
	return verdict{policy: metav1.DeletePropagationBackground}
}
