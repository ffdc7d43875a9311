// Package replicaset is the strategy of apps/v1 ReplicaSets, with the
// status and scale subresources.
package replicaset

import (
	"strconv"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/skiffrt/skiff/controlplane/registry"
	"github.com/skiffrt/skiff/controlplane/registry/pod"
	"github.com/skiffrt/skiff/controlplane/registry/workload"
)

// Kind describes replica sets.
func Kind() registry.Kind {
	return registry.Kind{
		GroupVersionKind: appsv1.SchemeGroupVersion.WithKind("ReplicaSet"),
		Resource:         "replicasets", Singular: "replicaset", ShortNames: []string{"rs"}, Categories: []string{"all"},
		Namespaced: true,
		Status:     true,
		Scale: registry.ScaleOf(func(r *appsv1.ReplicaSet) (int32, int32, string) {
			return workload.Int32(r.Spec.Replicas, 1), r.Status.Replicas, workload.SelectorString(r.Spec.Selector)
		}, func(r *appsv1.ReplicaSet, n int32) { r.Spec.Replicas = &n }),
		Strategy: registry.Typed[*appsv1.ReplicaSet](strategy{}),
	}
}

type strategy struct{}

func (strategy) PrepareForCreate(*appsv1.ReplicaSet)      {}
func (strategy) PrepareForUpdate(_, _ *appsv1.ReplicaSet) {}

func (strategy) Default(r *appsv1.ReplicaSet) {
	if r.Spec.Replicas == nil {
		r.Spec.Replicas = workload.Ptr(int32(1))
	}
	pod.DefaultSpec(&r.Spec.Template.Spec)
}

func (strategy) Validate(r *appsv1.ReplicaSet) field.ErrorList {
	spec := field.NewPath("spec")
	errs := workload.ValidateReplicas(r.Spec.Replicas, spec.Child("replicas"))
	errs = append(errs, workload.ValidateSelector(r.Spec.Selector, &r.Spec.Template, spec)...)
	errs = append(errs, pod.ValidateTemplate(&r.Spec.Template, spec.Child("template"))...)
	return append(errs, workload.ValidateRestartAlways(&r.Spec.Template, spec)...)
}

func (strategy) ValidateUpdate(r, old *appsv1.ReplicaSet) field.ErrorList {
	return workload.ValidateSelectorUpdate(r.Spec.Selector, old.Spec.Selector)
}

func (strategy) SelectableFields(r *appsv1.ReplicaSet) fields.Set {
	return fields.Set{"status.replicas": strconv.Itoa(int(r.Status.Replicas))}
}

func (strategy) Columns() []metav1.TableColumnDefinition {
	return append([]metav1.TableColumnDefinition{
		registry.NameColumn(),
		registry.Column("Desired", "integer", "Number of desired pods.", 0),
		registry.Column("Current", "integer", "Number of actual replicas.", 0),
		registry.Column("Ready", "integer", "The number of ready replicas for this replica set.", 0),
		registry.AgeColumn(),
	}, workload.ContainerColumns()...)
}

func (strategy) Row(r *appsv1.ReplicaSet) []any {
	return append([]any{r.Name, int64(workload.Int32(r.Spec.Replicas, 1)), int64(r.Status.Replicas),
		int64(r.Status.ReadyReplicas), registry.Age(r)}, workload.ContainerCells(&r.Spec.Template, r.Spec.Selector)...)
}
