package dns

import (
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/miekg/dns"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
)

// addressRecords are the A records of the IPv4 addresses in addrs and
// the AAAA records of the IPv6 ones, as qtype asks.
func (z *Zone) addressRecords(owner string, qtype uint16, addrs []string) []dns.RR {
	var out []dns.RR
	for _, s := range addrs {
		ip, err := netip.ParseAddr(s)
		if err != nil {
			continue
		}
		ip = ip.Unmap()
		switch {
		case ip.Is4() && (qtype == dns.TypeA || qtype == dns.TypeANY):
			out = append(out, &dns.A{Hdr: z.header(owner, dns.TypeA), A: ip.AsSlice()})
		case ip.Is6() && (qtype == dns.TypeAAAA || qtype == dns.TypeANY):
			out = append(out, &dns.AAAA{Hdr: z.header(owner, dns.TypeAAAA), AAAA: ip.AsSlice()})
		}
	}
	return out
}

// endpoint is a ready endpoint of a service: its label under the
// service's name (hostname, or dashed address), addresses, and the ports
// of its slice.
type endpoint struct {
	label string
	addrs []string
	ports []discoveryv1.EndpointPort
}

// readyEndpoints are the endpoints of the service's IP slices that are
// ready, or all of them when the service publishes not-ready addresses.
// A nil ready condition counts as ready, as the API says.
func readyEndpoints(s *corev1.Service, slices []*discoveryv1.EndpointSlice) []endpoint {
	var out []endpoint
	for _, sl := range slices {
		if sl.AddressType != discoveryv1.AddressTypeIPv4 && sl.AddressType != discoveryv1.AddressTypeIPv6 {
			continue
		}
		for _, ep := range sl.Endpoints {
			ready := ep.Conditions.Ready == nil || *ep.Conditions.Ready
			if (!ready && !s.Spec.PublishNotReadyAddresses) || len(ep.Addresses) == 0 {
				continue
			}
			label := ""
			if ep.Hostname != nil {
				label = strings.ToLower(*ep.Hostname)
			}
			if label == "" {
				ip, err := netip.ParseAddr(ep.Addresses[0])
				if err != nil {
					continue
				}
				label = dashed(ip)
			}
			out = append(out, endpoint{label: label, addrs: ep.Addresses, ports: sl.Ports})
		}
	}
	return out
}

func dedupe(s []string) []string {
	slices.Sort(s)
	return slices.Compact(s)
}

// namedPorts are the service's ports named port (any name when "")
// with protocol proto ("tcp", "udp", "sctp"; a missing protocol is TCP).
func namedPorts(s *corev1.Service, proto, port string) []corev1.ServicePort {
	var out []corev1.ServicePort
	for _, p := range s.Spec.Ports {
		if p.Name != "" && protoMatches(p.Protocol, proto) && (port == "" || strings.EqualFold(p.Name, port)) {
			out = append(out, p)
		}
	}
	return out
}

func protoMatches(have corev1.Protocol, want string) bool {
	if have == "" {
		have = corev1.ProtocolTCP
	}
	return strings.EqualFold(string(have), want)
}

// srv answers for _<port>._<proto>.<svc>.<ns>.svc.<domain>: the
// service's name and port, or for a headless service each ready
// endpoint's name and port; the targets' addresses go to Extra.
func (z *Zone) srv(q dns.Question, s *corev1.Service, proto, port string) Answer {
	ports := namedPorts(s, proto, port)
	if len(ports) == 0 {
		return nxdomain()
	}
	type target struct {
		name  string
		port  int32
		addrs []string
	}
	var targets []target
	switch {
	case s.Spec.Type == corev1.ServiceTypeExternalName:
		targets = append(targets, target{name: strings.ToLower(dns.Fqdn(s.Spec.ExternalName)), port: ports[0].Port})
	case isHeadless(s):
		for _, ep := range readyEndpoints(s, z.catalog.EndpointSlices(s.Namespace, s.Name)) {
			for _, p := range ep.ports {
				if p.Name != nil && strings.EqualFold(*p.Name, port) && p.Port != nil && protoMatches(ptrValue(p.Protocol), proto) {
					targets = append(targets, target{name: ep.label + "." + z.serviceName(s), port: *p.Port, addrs: ep.addrs})
				}
			}
		}
	default:
		targets = append(targets, target{name: z.serviceName(s), port: ports[0].Port, addrs: serviceIPs(s)})
	}
	a := nodata()
	if q.Qtype != dns.TypeSRV && q.Qtype != dns.TypeANY {
		return a
	}
	seen := map[string]bool{}
	for _, t := range targets {
		key := t.name + "/" + strconv.Itoa(int(t.port))
		if seen[key] {
			continue
		}
		seen[key] = true
		a.Records = append(a.Records, &dns.SRV{Hdr: z.header(q.Name, dns.TypeSRV),
			Priority: 0, Weight: weight(len(targets)), Port: uint16(t.port), Target: t.name}) //nolint:gosec // ports are validated 1-65535
		a.Extra = append(a.Extra, z.addressRecords(t.name, dns.TypeANY, t.addrs)...)
	}
	return a
}

// weight shares 100 among n targets of equal priority.
func weight(n int) uint16 {
	return uint16(max(1, 100/max(n, 1))) //nolint:gosec // at most 100
}

func ptrValue[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// ptr answers the PTR question of a cluster IP: the names of the
// services holding it. Other addresses are not the zone's.
func (z *Zone) ptr(q dns.Question, ip netip.Addr) (Answer, bool) {
	var a Answer
	for _, s := range z.catalog.ServicesByIP(ip.String()) {
		a.Records = append(a.Records, &dns.PTR{Hdr: z.header(q.Name, dns.TypePTR), Ptr: z.serviceName(s)})
	}
	return a, len(a.Records) > 0
}

// reverseIP reads the address of a lower-case in-addr.arpa or ip6.arpa
// name; ok is false for other names and partial ones.
func reverseIP(name string) (netip.Addr, bool) {
	var labels []string
	var v6 bool
	switch {
	case strings.HasSuffix(name, ".in-addr.arpa."):
		labels = strings.Split(strings.TrimSuffix(name, ".in-addr.arpa."), ".")
		if len(labels) != 4 {
			return netip.Addr{}, false
		}
	case strings.HasSuffix(name, ".ip6.arpa."):
		labels = strings.Split(strings.TrimSuffix(name, ".ip6.arpa."), ".")
		if len(labels) != 32 {
			return netip.Addr{}, false
		}
		v6 = true
	default:
		return netip.Addr{}, false
	}
	slices.Reverse(labels)
	var s string
	if v6 {
		var b strings.Builder
		for i, l := range labels {
			if len(l) != 1 {
				return netip.Addr{}, false
			}
			if i > 0 && i%4 == 0 {
				b.WriteByte(':')
			}
			b.WriteString(l)
		}
		s = b.String()
	} else {
		s = strings.Join(labels, ".")
	}
	ip, err := netip.ParseAddr(s)
	return ip, err == nil
}

// dashed is an address as one label: 10-0-0-1, fd00--1.
func dashed(ip netip.Addr) string {
	ip = ip.Unmap()
	if ip.Is4() {
		return strings.ReplaceAll(ip.String(), ".", "-")
	}
	return strings.ReplaceAll(ip.String(), ":", "-")
}

// undash reads a dashed address.
func undash(label string) (netip.Addr, bool) {
	if strings.Count(label, "-") == 3 {
		if ip, err := netip.ParseAddr(strings.ReplaceAll(label, "-", ".")); err == nil {
			return ip, true
		}
	}
	ip, err := netip.ParseAddr(strings.ReplaceAll(label, "-", ":"))
	if err != nil || !ip.Is6() || ip.Zone() != "" {
		return netip.Addr{}, false
	}
	return ip, true
}
