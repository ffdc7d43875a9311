package garbagecollector

import (
	"slices"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

func TestDecide(t *testing.T) {
	owned := func(finalizers ...string) *metav1.ObjectMeta {
		return &metav1.ObjectMeta{Finalizers: finalizers, OwnerReferences: []metav1.OwnerReference{{UID: "a"}, {UID: "b"}}}
	}
	tests := []struct {
		name       string
		obj        *metav1.ObjectMeta
		states     []ownerState
		dependents bool
		want       verdict
	}{
		{"no owners", &metav1.ObjectMeta{}, nil, false, verdict{keep: true}},
		{"all owners there", owned(), []ownerState{solid, solid}, false, verdict{keep: true}},
		{"one owner gone: unreferenced", owned(), []ownerState{dangling, solid}, false, verdict{keep: true, unref: []types.UID{"a"}}},
		{"one owner waiting: unreferenced", owned(), []ownerState{solid, waiting}, true, verdict{keep: true, unref: []types.UID{"b"}}},
		{"all owners gone: background", owned(), []ownerState{dangling, dangling}, true, verdict{policy: metav1.DeletePropagationBackground}},
		{"an owner waits, dependents of its own: foreground", owned(), []ownerState{waiting, dangling}, true, verdict{policy: metav1.DeletePropagationForeground}},
		{"an owner waits, no dependents: background", owned(), []ownerState{waiting, dangling}, false, verdict{policy: metav1.DeletePropagationBackground}},
		{"its own orphan finalizer", owned(metav1.FinalizerOrphanDependents), []ownerState{dangling, dangling}, true, verdict{policy: metav1.DeletePropagationOrphan}},
		{"its own foreground finalizer", owned(metav1.FinalizerDeleteDependents), []ownerState{dangling, dangling}, false, verdict{policy: metav1.DeletePropagationForeground}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := decide(tt.obj, tt.states, tt.dependents)
			if got.keep != tt.want.keep || got.policy != tt.want.policy || !slices.Equal(got.unref, tt.want.unref) {
				t.Fatalf("decide = %+v, want %+v", got, tt.want)
			}
		})
	}
}
