// Package endpoints is the strategy of v1 Endpoints.
package endpoints

import (
	"fmt"
	"net"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/skiffrt/skiff/controlplane/registry"
)

// Kind describes endpoints.
func Kind() registry.Kind {
	return registry.Kind{
		GroupVersionKind: corev1.SchemeGroupVersion.WithKind("Endpoints"),
		Resource:         "endpoints", Singular: "endpoints", ShortNames: []string{"ep"},
		Namespaced: true,
		Strategy:   registry.Typed[*corev1.Endpoints](strategy{}),
	}
}

type strategy struct{}

func (strategy) PrepareForCreate(*corev1.Endpoints)      {}
func (strategy) PrepareForUpdate(_, _ *corev1.Endpoints) {}

func (strategy) Default(e *corev1.Endpoints) {
	for i := range e.Subsets {
		for j := range e.Subsets[i].Ports {
			if e.Subsets[i].Ports[j].Protocol == "" {
				e.Subsets[i].Ports[j].Protocol = corev1.ProtocolTCP
			}
		}
	}
}

func (strategy) Validate(e *corev1.Endpoints) field.ErrorList {
	var errs field.ErrorList
	for i, ss := range e.Subsets {
		p := field.NewPath("subsets").Index(i)
		for j, a := range append(append([]corev1.EndpointAddress{}, ss.Addresses...), ss.NotReadyAddresses...) {
			if net.ParseIP(a.IP) == nil {
				errs = append(errs, field.Invalid(p.Child("addresses").Index(j).Child("ip"), a.IP, "must be a valid IP address"))
			}
		}
		for j, port := range ss.Ports {
			for _, msg := range validation.IsValidPortNum(int(port.Port)) {
				errs = append(errs, field.Invalid(p.Child("ports").Index(j).Child("port"), port.Port, msg))
			}
		}
	}
	return errs
}

func (strategy) ValidateUpdate(_, _ *corev1.Endpoints) field.ErrorList { return nil }
func (strategy) SelectableFields(*corev1.Endpoints) fields.Set         { return nil }

func (strategy) Columns() []metav1.TableColumnDefinition {
	return []metav1.TableColumnDefinition{
		registry.NameColumn(),
		registry.Column("Endpoints", "string", "Endpoints of the service", 0),
		registry.AgeColumn(),
	}
}

func (strategy) Row(e *corev1.Endpoints) []any {
	return []any{e.Name, formatEndpoints(e), registry.Age(e)}
}

// formatEndpoints prints up to three ip:port pairs, as kubectl shows them.
func formatEndpoints(e *corev1.Endpoints) string {
	var list []string
	total := 0
	add := func(s string) {
		total++
		if len(list) < 3 {
			list = append(list, s)
		}
	}
	for _, ss := range e.Subsets {
		for _, a := range ss.Addresses {
			if len(ss.Ports) == 0 {
				add(a.IP)
			}
			for _, port := range ss.Ports {
				add(net.JoinHostPort(a.IP, fmt.Sprint(port.Port)))
			}
		}
	}
	return registry.Summarize(list, total, "<none>")
}
