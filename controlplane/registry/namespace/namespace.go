// Package namespace is the strategy of v1 Namespaces.
package namespace

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/skiffrt/skiff/controlplane/registry"
)

// Kind describes namespaces: cluster-scoped, names are DNS labels.
func Kind() registry.Kind {
	return registry.Kind{
		GroupVersionKind: corev1.SchemeGroupVersion.WithKind("Namespace"),
		Resource:         "namespaces", Singular: "namespace", ShortNames: []string{"ns"},
		Status:    true,
		ValidName: validation.ValidateNamespaceName,
		Strategy:  registry.Typed[*corev1.Namespace](strategy{}),
	}
}

type strategy struct{}

func (strategy) PrepareForCreate(ns *corev1.Namespace) {
	ns.Status = corev1.NamespaceStatus{Phase: corev1.NamespaceActive}
}

func (strategy) PrepareForUpdate(ns, old *corev1.Namespace) {
	// spec.finalizers change only through the finalize subresource.
	ns.Spec.Finalizers = old.Spec.Finalizers
}

// Default labels a namespace with its own name, as upstream does, so
// selectors can name namespaces.
func (strategy) Default(ns *corev1.Namespace) {
	if ns.Labels == nil {
		ns.Labels = map[string]string{}
	}
	ns.Labels[corev1.LabelMetadataName] = ns.Name
	if ns.Status.Phase == "" {
		ns.Status.Phase = corev1.NamespaceActive
	}
}

func (strategy) Validate(ns *corev1.Namespace) field.ErrorList {
	var errs field.ErrorList
	for i, f := range ns.Spec.Finalizers {
		errs = append(errs, validation.ValidateFinalizerName(string(f), field.NewPath("spec", "finalizers").Index(i))...)
	}
	return errs
}

func (strategy) ValidateUpdate(ns, old *corev1.Namespace) field.ErrorList { return nil }

func (strategy) SelectableFields(ns *corev1.Namespace) fields.Set {
	return fields.Set{"status.phase": string(ns.Status.Phase)}
}

func (strategy) Columns() []metav1.TableColumnDefinition {
	return []metav1.TableColumnDefinition{
		registry.Column("Status", "string", "The status of the namespace", 0),
		registry.AgeColumn(),
	}
}

func (strategy) Row(ns *corev1.Namespace) []any {
	return []any{string(ns.Status.Phase), registry.Age(ns)}
}
