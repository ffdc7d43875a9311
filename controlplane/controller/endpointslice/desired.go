package endpointslice

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"

	"github.com/skiffrt/skiff/controlplane/controller/servicepods"
)

// group is the endpoints of one address type that share one list of
// ports: the content of one or more slices.
type group struct {
	ports     []discoveryv1.EndpointPort
	endpoints map[string]discoveryv1.Endpoint // by address
}

// addressTypes returns the address types svc has slices of: its
// ipFamilies, else the family of its cluster IP, else (headless) both.
func addressTypes(svc *corev1.Service) []discoveryv1.AddressType {
	var out []discoveryv1.AddressType
	add := func(v6 bool) {
		at := discoveryv1.AddressTypeIPv4
		if v6 {
			at = discoveryv1.AddressTypeIPv6
		}
		if !slices.Contains(out, at) {
			out = append(out, at)
		}
	}
	for _, f := range svc.Spec.IPFamilies {
		add(f == corev1.IPv6Protocol)
	}
	if len(out) > 0 {
		return out
	}
	if ip := svc.Spec.ClusterIP; ip != "" && ip != corev1.ClusterIPNone {
		add(servicepods.IsV6(ip))
		return out
	}
	add(false)
	add(true)
	return out
}

// desiredGroups returns the endpoints of address type at that svc should
// list, from the pods it selects, by ports key. zone returns a node's
// topology zone.
func desiredGroups(svc *corev1.Service, pods []*corev1.Pod, at discoveryv1.AddressType, zone func(node string) string) map[string]*group {
	groups := map[string]*group{}
	for _, p := range pods {
		if !servicepods.IsEndpoint(p, true) {
			continue
		}
		ep, ok := podEndpoint(svc, p, at, zone)
		if !ok {
			continue
		}
		ports := podPorts(svc, p)
		key := portsKey(ports)
		g := groups[key]
		if g == nil {
			g = &group{ports: ports, endpoints: map[string]discoveryv1.Endpoint{}}
			groups[key] = g
		}
		g.endpoints[ep.Addresses[0]] = ep
	}
	return groups
}

// podEndpoint is p's endpoint in slices of address type at; false when p
// has no IP of that family.
func podEndpoint(svc *corev1.Service, p *corev1.Pod, at discoveryv1.AddressType, zone func(string) string) (discoveryv1.Endpoint, bool) {
	ips := servicepods.IPs(p, at == discoveryv1.AddressTypeIPv6)
	if len(ips) == 0 {
		return discoveryv1.Endpoint{}, false
	}
	serving := svc.Spec.PublishNotReadyAddresses || servicepods.IsReady(p)
	terminating := p.DeletionTimestamp != nil
	ready := svc.Spec.PublishNotReadyAddresses || (serving && !terminating)
	ep := discoveryv1.Endpoint{
		Addresses:  ips,
		Conditions: discoveryv1.EndpointConditions{Ready: &ready, Serving: &serving, Terminating: &terminating},
		TargetRef:  &corev1.ObjectReference{Kind: "Pod", Namespace: p.Namespace, Name: p.Name, UID: p.UID},
	}
	if n := p.Spec.NodeName; n != "" {
		ep.NodeName = &n
		if z := zone(n); z != "" {
			ep.Zone = &z
		}
	}
	if servicepods.SetsHostname(p, svc) {
		h := p.Spec.Hostname
		ep.Hostname = &h
	}
	return ep, true
}

// podPorts returns svc's ports as they reach p, in svc's order; a port
// whose name p lacks is left out.
func podPorts(svc *corev1.Service, p *corev1.Pod) []discoveryv1.EndpointPort {
	out := []discoveryv1.EndpointPort{}
	for i := range svc.Spec.Ports {
		sp := &svc.Spec.Ports[i]
		n, ok := servicepods.TargetPort(p, sp)
		if !ok {
			continue
		}
		name, proto := sp.Name, cmp.Or(sp.Protocol, corev1.ProtocolTCP)
		out = append(out, discoveryv1.EndpointPort{Name: &name, Protocol: &proto, Port: &n, AppProtocol: sp.AppProtocol})
	}
	return out
}

// portsKey identifies a list of ports, whatever its order.
func portsKey(ports []discoveryv1.EndpointPort) string {
	parts := make([]string, len(ports))
	for i, p := range ports {
		parts[i] = fmt.Sprintf("%s/%s/%d/%s", deref(p.Name), deref(p.Protocol), deref(p.Port), deref(p.AppProtocol))
	}
	slices.Sort(parts)
	return strings.Join(parts, ",")
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// sortedKeys returns m's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}
