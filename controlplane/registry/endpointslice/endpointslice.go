// Package endpointslice is the strategy of discovery.k8s.io/v1
// EndpointSlices.
package endpointslice

import (
	"fmt"
	"net"
	"strings"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/skiffrt/skiff/controlplane/registry"
)

// maxEndpoints per slice, as upstream.
const maxEndpoints = 1000

// Kind describes endpoint slices.
func Kind() registry.Kind {
	return registry.Kind{
		GroupVersionKind: discoveryv1.SchemeGroupVersion.WithKind("EndpointSlice"),
		Resource:         "endpointslices", Singular: "endpointslice",
		Namespaced: true,
		Strategy:   registry.Typed[*discoveryv1.EndpointSlice](strategy{}),
	}
}

type strategy struct{}

func (strategy) PrepareForCreate(*discoveryv1.EndpointSlice)      {}
func (strategy) PrepareForUpdate(_, _ *discoveryv1.EndpointSlice) {}

func (strategy) Default(s *discoveryv1.EndpointSlice) {
	for i := range s.Ports {
		if s.Ports[i].Protocol == nil {
			tcp := corev1.ProtocolTCP
			s.Ports[i].Protocol = &tcp
		}
	}
}

var addressTypes = []string{string(discoveryv1.AddressTypeIPv4), string(discoveryv1.AddressTypeIPv6), string(discoveryv1.AddressTypeFQDN)}

func (strategy) Validate(s *discoveryv1.EndpointSlice) field.ErrorList {
	var errs field.ErrorList
	switch s.AddressType {
	case discoveryv1.AddressTypeIPv4, discoveryv1.AddressTypeIPv6, discoveryv1.AddressTypeFQDN:
	default:
		errs = append(errs, field.NotSupported(field.NewPath("addressType"), s.AddressType, addressTypes))
	}
	if len(s.Endpoints) > maxEndpoints {
		errs = append(errs, field.TooMany(field.NewPath("endpoints"), len(s.Endpoints), maxEndpoints))
	}
	for i, ep := range s.Endpoints {
		p := field.NewPath("endpoints").Index(i).Child("addresses")
		if len(ep.Addresses) == 0 || len(ep.Addresses) > 100 {
			errs = append(errs, field.Invalid(p, len(ep.Addresses), "must contain between 1 and 100 addresses"))
		}
		for j, a := range ep.Addresses {
			if msg := checkAddress(s.AddressType, a); msg != "" {
				errs = append(errs, field.Invalid(p.Index(j), a, msg))
			}
		}
	}
	for i, port := range s.Ports {
		if port.Port != nil {
			for _, msg := range validation.IsValidPortNum(int(*port.Port)) {
				errs = append(errs, field.Invalid(field.NewPath("ports").Index(i).Child("port"), *port.Port, msg))
			}
		}
	}
	return errs
}

func checkAddress(t discoveryv1.AddressType, a string) string {
	ip := net.ParseIP(a)
	switch {
	case t == discoveryv1.AddressTypeIPv4 && (ip == nil || ip.To4() == nil):
		return "must be a valid IPv4 address"
	case t == discoveryv1.AddressTypeIPv6 && (ip == nil || ip.To4() != nil):
		return "must be a valid IPv6 address"
	case t == discoveryv1.AddressTypeFQDN:
		if msgs := validation.IsFullyQualifiedDomainName(field.NewPath(""), a); len(msgs) > 0 {
			return msgs[0].Detail
		}
	}
	return ""
}

// ValidateUpdate: addressType is immutable.
func (strategy) ValidateUpdate(s, old *discoveryv1.EndpointSlice) field.ErrorList {
	if s.AddressType != old.AddressType {
		return field.ErrorList{field.Invalid(field.NewPath("addressType"), s.AddressType, "field is immutable")}
	}
	return nil
}

func (strategy) SelectableFields(*discoveryv1.EndpointSlice) fields.Set { return nil }

func (strategy) Columns() []metav1.TableColumnDefinition {
	return []metav1.TableColumnDefinition{
		registry.NameColumn(),
		registry.Column("AddressType", "string", "The IP protocol for this slice", 0),
		registry.Column("Ports", "string", "The ports contained in this slice", 0),
		registry.Column("Endpoints", "string", "The endpoints contained in this slice", 0),
		registry.AgeColumn(),
	}
}

func (strategy) Row(s *discoveryv1.EndpointSlice) []any {
	return []any{s.Name, string(s.AddressType), ports(s.Ports), endpoints(s.Endpoints), registry.Age(s)}
}

func ports(ps []discoveryv1.EndpointPort) string {
	if len(ps) == 0 {
		return "<unset>"
	}
	var out []string
	for _, p := range ps {
		if p.Port == nil {
			out = append(out, "<unset>")
			continue
		}
		out = append(out, fmt.Sprint(*p.Port))
	}
	return strings.Join(out, ",")
}

func endpoints(eps []discoveryv1.Endpoint) string {
	var list []string
	total := 0
	for _, ep := range eps {
		for _, a := range ep.Addresses {
			total++
			if len(list) < 3 {
				list = append(list, a)
			}
		}
	}
	return registry.Summarize(list, total, "<unset>")
}
