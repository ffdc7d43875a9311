// Package lease is the strategy of coordination.k8s.io/v1 Leases (node
// heartbeats, leader election).
package lease

import (
	coordinationv1 "k8s.io/api/coordination/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/skiffrt/skiff/controlplane/registry"
)

// Kind describes leases.
func Kind() registry.Kind {
	return registry.Kind{
		GroupVersionKind: coordinationv1.SchemeGroupVersion.WithKind("Lease"),
		Resource:         "leases", Singular: "lease",
		Namespaced: true,
		Strategy:   registry.Typed[*coordinationv1.Lease](strategy{}),
	}
}

type strategy struct{}

func (strategy) PrepareForCreate(*coordinationv1.Lease)      {}
func (strategy) PrepareForUpdate(_, _ *coordinationv1.Lease) {}
func (strategy) Default(*coordinationv1.Lease)               {}

func (strategy) Validate(l *coordinationv1.Lease) field.ErrorList {
	var errs field.ErrorList
	spec := field.NewPath("spec")
	if d := l.Spec.LeaseDurationSeconds; d != nil && *d <= 0 {
		errs = append(errs, field.Invalid(spec.Child("leaseDurationSeconds"), *d, "must be greater than 0"))
	}
	if t := l.Spec.LeaseTransitions; t != nil && *t < 0 {
		errs = append(errs, field.Invalid(spec.Child("leaseTransitions"), *t, "must be greater than or equal to 0"))
	}
	return errs
}

func (strategy) ValidateUpdate(_, _ *coordinationv1.Lease) field.ErrorList { return nil }
func (strategy) SelectableFields(*coordinationv1.Lease) fields.Set         { return nil }

func (strategy) Columns() []metav1.TableColumnDefinition {
	return []metav1.TableColumnDefinition{
		registry.NameColumn(),
		registry.Column("Holder", "string", "The holder of the lease.", 0),
		registry.AgeColumn(),
	}
}

func (strategy) Row(l *coordinationv1.Lease) []any {
	holder := ""
	if l.Spec.HolderIdentity != nil {
		holder = *l.Spec.HolderIdentity
	}
	return []any{l.Name, holder, registry.Age(l)}
}
