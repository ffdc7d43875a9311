package proxy

import (
	"cmp"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
)

// defaultAffinitySeconds is the ClientIP affinity timeout when the
// service does not say (upstream's default, 3 hours).
const defaultAffinitySeconds = 10800

// svcPort is one port of one service, as the ruleset needs it.
type svcPort struct {
	id        string     // ns/name/proto/port[/ipv6], unique; the base of object names
	clusterIP netip.Addr // of one family: a dual-stack service has a port of each
	proto     string     // tcp, udp or sctp
	port      uint16
	nodePort  uint16 // 0: none
	local     bool   // externalTrafficPolicy Local
	// internalLocal: internalTrafficPolicy Local, the ClusterIP reaches
	// only the endpoints on this node.
	internalLocal bool
	// externalIPs: spec.externalIPs of the ClusterIP's family, handled
	// like NodePorts (externalTrafficPolicy applies).
	externalIPs []netip.Addr
	// lbIPs: the load balancer's addresses (status.loadBalancer.ingress)
	// of a LoadBalancer service, handled like external IPs; sourceRanges
	// (loadBalancerSourceRanges) restrict who may use them.
	lbIPs        []netip.Addr
	sourceRanges []netip.Prefix
	affinity     int // ClientIP affinity timeout in seconds; 0: none
	endpoints    []endpoint
}

// endpoint is a ready endpoint of a service port.
type endpoint struct {
	addr  netip.AddrPort
	local bool // on this node
}

// localEndpoints returns the endpoints on this node.
func (p *svcPort) localEndpoints() []endpoint {
	var out []endpoint
	for _, ep := range p.endpoints {
		if ep.local {
			out = append(out, ep)
		}
	}
	return out
}

// buildModel returns the service ports to program, sorted by id, from
// the services and the EndpointSlices; node is this node's name. A
// service has its ports once per family of its ClusterIPs, each with the
// endpoints of the slices of that address type. It skips what the proxy
// does not serve: headless and ExternalName services, and protocols
// other than TCP, UDP and SCTP.
func buildModel(services []*corev1.Service, eps []*discoveryv1.EndpointSlice, node string) []svcPort {
	byService := map[string][]*discoveryv1.EndpointSlice{}
	for _, s := range eps {
		name := s.Labels[discoveryv1.LabelServiceName]
		if name == "" || (s.AddressType != discoveryv1.AddressTypeIPv4 && s.AddressType != discoveryv1.AddressTypeIPv6) {
			continue
		}
		key := s.Namespace + "/" + name + "/" + string(s.AddressType)
		byService[key] = append(byService[key], s)
	}
	var out []svcPort
	for _, svc := range services {
		for _, ip := range serviceIPs(svc) {
			out = append(out, familyPorts(svc, ip, byService, node)...)
		}
	}
	slices.SortFunc(out, func(a, b svcPort) int { return strings.Compare(a.id, b.id) })
	return out
}

// familyPorts returns the ports of svc for its ClusterIP ip.
func familyPorts(svc *corev1.Service, ip netip.Addr, byService map[string][]*discoveryv1.EndpointSlice, node string) []svcPort {
	at, idSuffix := discoveryv1.AddressTypeIPv4, ""
	if ip.Is6() {
		at, idSuffix = discoveryv1.AddressTypeIPv6, "/ipv6"
	}
	slcs := byService[svc.Namespace+"/"+svc.Name+"/"+string(at)]
	var out []svcPort
	for _, sp := range svc.Spec.Ports {
		proto := strings.ToLower(string(sp.Protocol))
		if proto != "tcp" && proto != "udp" && proto != "sctp" {
			continue
		}
		portID := sp.Name
		if portID == "" {
			portID = strconv.Itoa(int(sp.Port))
		}
		p := svcPort{
			id:        svc.Namespace + "/" + svc.Name + "/" + proto + "/" + portID + idSuffix,
			clusterIP: ip,
			proto:     proto,
			port:      uint16(sp.Port),
			local:     svc.Spec.ExternalTrafficPolicy == corev1.ServiceExternalTrafficPolicyLocal,
			internalLocal: svc.Spec.InternalTrafficPolicy != nil &&
				*svc.Spec.InternalTrafficPolicy == corev1.ServiceInternalTrafficPolicyLocal,
			affinity:     affinitySeconds(svc),
			endpoints:    readyEndpoints(slcs, sp, ip.Is4(), node),
			externalIPs:  sameFamily(ip, svc.Spec.ExternalIPs),
			lbIPs:        sameFamily(ip, loadBalancerIPs(svc)),
			sourceRanges: sourceRanges(ip, svc),
		}
		if svc.Spec.Type == corev1.ServiceTypeNodePort || svc.Spec.Type == corev1.ServiceTypeLoadBalancer {
			p.nodePort = uint16(sp.NodePort)
		}
		out = append(out, p)
	}
	return out
}

// serviceIPs are the service's ClusterIPs the proxy serves, the first of
// each family (none for headless and ExternalName services).
func serviceIPs(svc *corev1.Service) []netip.Addr {
	if svc.Spec.Type == corev1.ServiceTypeExternalName {
		return nil
	}
	ips := svc.Spec.ClusterIPs
	if len(ips) == 0 {
		ips = []string{svc.Spec.ClusterIP}
	}
	var out []netip.Addr
	for _, s := range ips {
		ip, err := netip.ParseAddr(s)
		if err != nil || ip.Is4In6() || slices.ContainsFunc(out, func(o netip.Addr) bool { return o.Is4() == ip.Is4() }) {
			continue
		}
		out = append(out, ip)
	}
	return out
}

// family is the port's IP family.
func (p *svcPort) family() family { return familyOf(p.clusterIP) }

// sameFamily returns the addresses of ips of ip's family, once each, in
// order; it skips what does not parse.
func sameFamily(ip netip.Addr, ips []string) []netip.Addr {
	var out []netip.Addr
	for _, s := range ips {
		a, err := netip.ParseAddr(s)
		if err != nil || a.Is4() != ip.Is4() || slices.Contains(out, a) {
			continue
		}
		out = append(out, a)
	}
	return out
}

// loadBalancerIPs are the ingress IPs of a LoadBalancer service, but for
// those whose load balancer proxies the traffic (ipMode Proxy): their
// packets arrive with a node's address as destination.
func loadBalancerIPs(svc *corev1.Service) []string {
	if svc.Spec.Type != corev1.ServiceTypeLoadBalancer {
		return nil
	}
	var out []string
	for _, in := range svc.Status.LoadBalancer.Ingress {
		if in.IP != "" && (in.IPMode == nil || *in.IPMode != corev1.LoadBalancerIPModeProxy) {
			out = append(out, in.IP)
		}
	}
	return out
}

// annotationSourceRanges is the older way to say loadBalancerSourceRanges,
// read when the field is empty.
const annotationSourceRanges = "service.beta.kubernetes.io/load-balancer-source-ranges"

// sourceRanges returns the loadBalancerSourceRanges of ip's family. As
// upstream, a family without ranges is not filtered.
func sourceRanges(ip netip.Addr, svc *corev1.Service) []netip.Prefix {
	ranges := svc.Spec.LoadBalancerSourceRanges
	if len(ranges) == 0 && svc.Annotations[annotationSourceRanges] != "" {
		ranges = strings.Split(svc.Annotations[annotationSourceRanges], ",")
	}
	var out []netip.Prefix
	for _, r := range ranges {
		p, err := netip.ParsePrefix(strings.TrimSpace(r))
		if err != nil || p.Addr().Is4() != ip.Is4() || slices.Contains(out, p.Masked()) {
			continue
		}
		out = append(out, p.Masked())
	}
	return out
}

// external tells whether the port takes traffic from outside the
// cluster: a NodePort or external addresses.
func (p *svcPort) external() bool {
	return p.nodePort != 0 || len(p.externalIPs) > 0 || len(p.lbIPs) > 0
}

func affinitySeconds(svc *corev1.Service) int {
	if svc.Spec.SessionAffinity != corev1.ServiceAffinityClientIP {
		return 0
	}
	if c := svc.Spec.SessionAffinityConfig; c != nil && c.ClientIP != nil && c.ClientIP.TimeoutSeconds != nil {
		return int(*c.ClientIP.TimeoutSeconds)
	}
	return defaultAffinitySeconds
}

// readyEndpoints returns the ready, not terminating endpoints of the
// slices for the service port sp, of the family v4 says, sorted and
// without duplicates. A slice
// port matches by name and protocol. A nil ready condition counts as
// ready, as the API says consumers should read it.
func readyEndpoints(slcs []*discoveryv1.EndpointSlice, sp corev1.ServicePort, v4 bool, node string) []endpoint {
	seen := map[netip.AddrPort]bool{}
	var out []endpoint
	for _, s := range slcs {
		port, ok := slicePort(s, sp)
		if !ok {
			continue
		}
		for _, e := range s.Endpoints {
			if !ready(e.Conditions) || len(e.Addresses) == 0 {
				continue
			}
			ip, err := netip.ParseAddr(e.Addresses[0])
			if err != nil || ip.Is4() != v4 || ip.Is4In6() {
				continue
			}
			ap := netip.AddrPortFrom(ip, port)
			if seen[ap] {
				continue
			}
			seen[ap] = true
			out = append(out, endpoint{addr: ap, local: node != "" && e.NodeName != nil && *e.NodeName == node})
		}
	}
	slices.SortFunc(out, func(a, b endpoint) int { return cmp.Compare(a.addr.String(), b.addr.String()) })
	return out
}

func slicePort(s *discoveryv1.EndpointSlice, sp corev1.ServicePort) (uint16, bool) {
	for _, p := range s.Ports {
		name, proto := "", corev1.ProtocolTCP
		if p.Name != nil {
			name = *p.Name
		}
		if p.Protocol != nil {
			proto = *p.Protocol
		}
		if name == sp.Name && proto == sp.Protocol && p.Port != nil && *p.Port > 0 && *p.Port < 65536 {
			return uint16(*p.Port), true
		}
	}
	return 0, false
}

func ready(c discoveryv1.EndpointConditions) bool {
	if c.Terminating != nil && *c.Terminating {
		return false
	}
	return c.Ready == nil || *c.Ready
}
