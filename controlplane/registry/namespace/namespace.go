// Package namespace is the strategy of v1 Namespaces.
package namespace

import (
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/skiffrt/skiff/controlplane/registry"
)

// Kind describes namespaces: cluster-scoped, names are DNS labels. A
// deleted namespace stays Terminating while its "kubernetes" finalizer
// (spec.finalizers) is there: the namespace controller removes it
// through namespaces/<name>/finalize once the namespace is empty.
func Kind() registry.Kind {
	return registry.Kind{
		GroupVersionKind: corev1.SchemeGroupVersion.WithKind("Namespace"),
		Resource:         "namespaces", Singular: "namespace", ShortNames: []string{"ns"},
		Status:     true,
		ValidName:  validation.ValidateNamespaceName,
		Finalizing: finalizing,
		Finalize:   finalize,
		Strategy:   registry.Typed[*corev1.Namespace](strategy{}),
	}
}

func finalizing(obj runtime.Object) bool {
	return len(obj.(*corev1.Namespace).Spec.Finalizers) > 0
}

// finalize takes spec.finalizers from a write to namespaces/<name>/finalize.
func finalize(cur, in runtime.Object) {
	cur.(*corev1.Namespace).Spec.Finalizers = in.(*corev1.Namespace).Spec.Finalizers
}

type strategy struct{}

// PrepareForCreate adds the "kubernetes" finalizer, as upstream.
func (strategy) PrepareForCreate(ns *corev1.Namespace) {
	ns.Status = corev1.NamespaceStatus{Phase: corev1.NamespaceActive}
	if !slices.Contains(ns.Spec.Finalizers, corev1.FinalizerKubernetes) {
		ns.Spec.Finalizers = append(ns.Spec.Finalizers, corev1.FinalizerKubernetes)
	}
}

// PrepareForUpdate keeps spec.finalizers: only finalize changes them, as
// upstream.
func (strategy) PrepareForUpdate(ns, old *corev1.Namespace) {
	ns.Spec.Finalizers = old.Spec.Finalizers
}

// Default labels a namespace with its own name, as upstream does, so
// selectors can name namespaces; a deleted one is Terminating.
func (strategy) Default(ns *corev1.Namespace) {
	if ns.Labels == nil {
		ns.Labels = map[string]string{}
	}
	ns.Labels[corev1.LabelMetadataName] = ns.Name
	if ns.Status.Phase == "" {
		ns.Status.Phase = corev1.NamespaceActive
	}
	if ns.DeletionTimestamp != nil {
		ns.Status.Phase = corev1.NamespaceTerminating
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
		registry.NameColumn(),
		registry.Column("Status", "string", "The status of the namespace", 0),
		registry.AgeColumn(),
	}
}

func (strategy) Row(ns *corev1.Namespace) []any {
	phase := string(ns.Status.Phase)
	if ns.DeletionTimestamp != nil {
		phase = string(corev1.NamespaceTerminating)
	}
	return []any{ns.Name, phase, registry.Age(ns)}
}
