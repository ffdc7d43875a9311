package dns

import (
	"net/netip"
	"slices"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// fakeCatalog is a Catalog over plain lists.
type fakeCatalog struct {
	services []*corev1.Service
	slices   []*discoveryv1.EndpointSlice
	pods     []*corev1.Pod
}

func (f *fakeCatalog) Service(ns, name string) *corev1.Service {
	for _, s := range f.services {
		if s.Namespace == ns && s.Name == name {
			return s
		}
	}
	return nil
}

func (f *fakeCatalog) HasServices(ns string) bool {
	return slices.ContainsFunc(f.services, func(s *corev1.Service) bool { return s.Namespace == ns })
}

func (f *fakeCatalog) ServicesByIP(ip string) []*corev1.Service {
	var out []*corev1.Service
	for _, s := range f.services {
		if slices.Contains(serviceIPs(s), ip) {
			out = append(out, s)
		}
	}
	return out
}

func (f *fakeCatalog) EndpointSlices(ns, name string) []*discoveryv1.EndpointSlice {
	var out []*discoveryv1.EndpointSlice
	for _, s := range f.slices {
		if s.Namespace == ns && s.Labels[discoveryv1.LabelServiceName] == name {
			out = append(out, s)
		}
	}
	return out
}

func (f *fakeCatalog) PodsByIP(ip string) []*corev1.Pod {
	var out []*corev1.Pod
	for _, p := range f.pods {
		if slices.ContainsFunc(p.Status.PodIPs, func(i corev1.PodIP) bool { return i.IP == ip }) {
			out = append(out, p)
		}
	}
	return out
}

func service(ns, name string, ips []string, ports ...corev1.ServicePort) *corev1.Service {
	s := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeClusterIP, ClusterIPs: ips, Ports: ports}}
	if len(ips) > 0 {
		s.Spec.ClusterIP = ips[0]
	}
	return s
}

func port(name string, proto corev1.Protocol, n int32) corev1.ServicePort {
	return corev1.ServicePort{Name: name, Protocol: proto, Port: n}
}

// ep is an endpoint: hostname ("" for none), ready, addresses.
type ep struct {
	host  string
	ready *bool
	addrs []string
}

func slice(ns, svc, name string, family discoveryv1.AddressType, ports []discoveryv1.EndpointPort, eps ...ep) *discoveryv1.EndpointSlice {
	s := &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Namespace: ns, Name: name, Labels: map[string]string{discoveryv1.LabelServiceName: svc}},
		AddressType: family, Ports: ports,
	}
	for _, e := range eps {
		x := discoveryv1.Endpoint{Addresses: e.addrs, Conditions: discoveryv1.EndpointConditions{Ready: e.ready}}
		if e.host != "" {
			x.Hostname = ptr(e.host)
		}
		s.Endpoints = append(s.Endpoints, x)
	}
	return s
}

func slicePort(name string, proto corev1.Protocol, n int32) discoveryv1.EndpointPort {
	return discoveryv1.EndpointPort{Name: ptr(name), Protocol: ptr(proto), Port: ptr(n)}
}

func pod(ns, name string, ips ...string) *corev1.Pod {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	for _, ip := range ips {
		p.Status.PodIPs = append(p.Status.PodIPs, corev1.PodIP{IP: ip})
	}
	return p
}

func ptr[T any](v T) *T { return &v }

// testCatalog is a small cluster:
//
//	default/web        10.96.0.20, ports http/80 TCP, dns/53 UDP, 8080 unnamed
//	default/dual       10.96.0.21 and fd00::21
//	default/db         headless: db-0 (10.244.0.5, ready), db-1 (10.244.1.6,
//	                   not ready), 10.244.2.7 (ready, no hostname), fd00::7
//	default/late       headless, publishNotReadyAddresses: one not-ready
//	default/ext        ExternalName example.org
//	default/alias      ExternalName web.default.svc.cluster.local
//	default/empty      headless, no endpoints
//	kube-system/kube-dns 10.96.0.10
//	pods: default/p1 10.244.0.9, other/p2 10.244.0.10, default/p6 fd00::9
func testCatalog() *fakeCatalog {
	ready, notReady := ptr(true), ptr(false)
	headless := func(s *corev1.Service) *corev1.Service {
		s.Spec.ClusterIP = corev1.ClusterIPNone
		s.Spec.ClusterIPs = []string{corev1.ClusterIPNone}
		return s
	}
	late := headless(service("default", "late", nil, port("http", corev1.ProtocolTCP, 80)))
	late.Spec.PublishNotReadyAddresses = true
	ext := service("default", "ext", nil, port("http", corev1.ProtocolTCP, 80))
	ext.Spec.Type, ext.Spec.ExternalName = corev1.ServiceTypeExternalName, "Example.org"
	alias := service("default", "alias", nil)
	alias.Spec.Type, alias.Spec.ExternalName = corev1.ServiceTypeExternalName, "web.default.svc.cluster.local"
	dbPorts := []discoveryv1.EndpointPort{slicePort("pg", corev1.ProtocolTCP, 5432)}
	return &fakeCatalog{
		services: []*corev1.Service{
			service("default", "web", []string{"10.96.0.20"}, port("http", corev1.ProtocolTCP, 80), port("dns", corev1.ProtocolUDP, 53), port("", corev1.ProtocolTCP, 8080)),
			service("default", "dual", []string{"10.96.0.21", "fd00::21"}, port("http", "", 80)),
			headless(service("default", "db", nil, port("pg", corev1.ProtocolTCP, 5432))),
			late, ext, alias,
			headless(service("default", "empty", nil)),
			service("kube-system", "kube-dns", []string{"10.96.0.10"}, port("dns", corev1.ProtocolUDP, 53), port("dns-tcp", corev1.ProtocolTCP, 53)),
		},
		slices: []*discoveryv1.EndpointSlice{
			slice("default", "db", "db-a", discoveryv1.AddressTypeIPv4, dbPorts,
				ep{host: "db-0", ready: ready, addrs: []string{"10.244.0.5"}},
				ep{host: "db-1", ready: notReady, addrs: []string{"10.244.1.6"}},
				ep{addrs: []string{"10.244.2.7"}}),
			slice("default", "db", "db-b", discoveryv1.AddressTypeIPv6, dbPorts, ep{ready: ready, addrs: []string{"fd00::7"}}),
			slice("default", "late", "late-a", discoveryv1.AddressTypeIPv4, []discoveryv1.EndpointPort{slicePort("http", corev1.ProtocolTCP, 8080)},
				ep{host: "late-0", ready: notReady, addrs: []string{"10.244.3.3"}}),
		},
		pods: []*corev1.Pod{pod("default", "p1", "10.244.0.9"), pod("other", "p2", "10.244.0.10"), pod("default", "p6", "fd00::9")},
	}
}

func netipParse(s string) (netip.Addr, error) { return netip.ParseAddr(s) }
