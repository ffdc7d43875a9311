// Package serviceaccount is the strategy of v1 ServiceAccounts.
package serviceaccount

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/skiffrt/skiff/controlplane/registry"
)

// Kind describes service accounts.
func Kind() registry.Kind {
	return registry.Kind{
		GroupVersionKind: corev1.SchemeGroupVersion.WithKind("ServiceAccount"),
		Resource:         "serviceaccounts", Singular: "serviceaccount", ShortNames: []string{"sa"},
		Namespaced: true,
		Strategy:   registry.Typed[*corev1.ServiceAccount](strategy{}),
	}
}

type strategy struct{}

func (strategy) PrepareForCreate(*corev1.ServiceAccount)                    {}
func (strategy) PrepareForUpdate(_, _ *corev1.ServiceAccount)               {}
func (strategy) Default(*corev1.ServiceAccount)                             {}
func (strategy) Validate(*corev1.ServiceAccount) field.ErrorList            { return nil }
func (strategy) ValidateUpdate(_, _ *corev1.ServiceAccount) field.ErrorList { return nil }
func (strategy) SelectableFields(*corev1.ServiceAccount) fields.Set         { return nil }

func (strategy) Columns() []metav1.TableColumnDefinition {
	return []metav1.TableColumnDefinition{
		registry.NameColumn(),
		registry.Column("Secrets", "string", "Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use.", 0),
		registry.AgeColumn(),
	}
}

func (strategy) Row(sa *corev1.ServiceAccount) []any {
	return []any{sa.Name, int64(len(sa.Secrets)), registry.Age(sa)}
}
