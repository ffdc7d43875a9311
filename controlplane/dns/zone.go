package dns

import (
	"strings"
	"time"

	"github.com/miekg/dns"
	corev1 "k8s.io/api/core/v1"
)

// Zone answers the questions about the cluster domain, and those for
// the PTR records of cluster IPs, from a Catalog. It is safe for
// concurrent use as long as its Catalog is.
type Zone struct {
	domain  string // lower-case FQDN: "cluster.local."
	labels  int    // of domain
	ttl     uint32
	catalog Catalog
	soa     *dns.SOA
}

// NewZone returns the zone of domain ("cluster.local"), whose records
// live ttl seconds (also the negative TTL).
func NewZone(domain string, ttl uint32, c Catalog) *Zone {
	d := strings.ToLower(dns.Fqdn(domain))
	return &Zone{
		domain: d, labels: dns.CountLabel(d), ttl: ttl, catalog: c,
		soa: &dns.SOA{
			Hdr: dns.RR_Header{Name: d, Rrtype: dns.TypeSOA, Class: dns.ClassINET, Ttl: ttl},
			Ns:  "ns.dns." + d, Mbox: "hostmaster." + d,
			Serial:  uint32(time.Now().Unix()), //nolint:gosec // a serial wraps by design (RFC 1982)
			Refresh: 7200, Retry: 1800, Expire: 86400, Minttl: ttl,
		},
	}
}

// Domain is the zone's lower-case FQDN.
func (z *Zone) Domain() string { return z.domain }

// SOA is the zone's SOA record, for the authority section of negative
// answers.
func (z *Zone) SOA() dns.RR { return dns.Copy(z.soa) }

// Answer is the zone's reply to one question.
type Answer struct {
	// Rcode is dns.RcodeSuccess (with no Records: NODATA) or
	// dns.RcodeNameError (NXDOMAIN).
	Rcode int
	// Records answer the question; Extra are the addresses of the
	// targets of SRV records.
	Records, Extra []dns.RR
}

func nodata() Answer   { return Answer{Rcode: dns.RcodeSuccess} }
func nxdomain() Answer { return Answer{Rcode: dns.RcodeNameError} }

// Lookup answers q. ok is false when the name is not the zone's (a name
// outside the domain, or a PTR of an address no service holds): it is
// for the upstream resolvers. Names are matched without regard to case;
// the records are owned by q.Name as asked.
func (z *Zone) Lookup(q dns.Question) (a Answer, ok bool) {
	name := strings.ToLower(dns.Fqdn(q.Name))
	if q.Qtype == dns.TypePTR {
		if ip, isReverse := reverseIP(name); isReverse {
			return z.ptr(q, ip)
		}
	}
	if !dns.IsSubDomain(z.domain, name) {
		return Answer{}, false
	}
	labels := dns.SplitDomainName(name)
	rel := labels[:len(labels)-z.labels]
	// rel from the domain down: svc, <ns>, <svc>, …
	for i, j := 0, len(rel)-1; i < j; i, j = i+1, j-1 {
		rel[i], rel[j] = rel[j], rel[i]
	}
	switch {
	case len(rel) == 0:
		return z.apex(q), true
	case rel[0] == "svc":
		return z.services(q, rel[1:]), true
	case rel[0] == "pod":
		return z.pods(q, rel[1:]), true
	}
	return nxdomain(), true
}

// apex answers for the domain itself: its SOA and NS.
func (z *Zone) apex(q dns.Question) Answer {
	a := nodata()
	if q.Qtype == dns.TypeSOA || q.Qtype == dns.TypeANY {
		soa := z.SOA()
		soa.Header().Name = q.Name
		a.Records = append(a.Records, soa)
	}
	if q.Qtype == dns.TypeNS || q.Qtype == dns.TypeANY {
		a.Records = append(a.Records, &dns.NS{Hdr: z.header(q.Name, dns.TypeNS), Ns: z.soa.Ns})
	}
	return a
}

// services answers for the names under svc.<domain>; r is [<ns>,
// <svc>, …].
func (z *Zone) services(q dns.Question, r []string) Answer {
	switch len(r) {
	case 0:
		return nodata()
	case 1:
		if z.catalog.HasServices(r[0]) {
			return nodata()
		}
		return nxdomain()
	}
	s := z.catalog.Service(r[0], r[1])
	if s == nil {
		return nxdomain()
	}
	switch {
	case len(r) == 2:
		return z.service(q, s)
	case len(r) == 3 && isUnderscored(r[2]):
		if len(namedPorts(s, r[2][1:], "")) > 0 {
			return nodata() // _<proto>.<svc>…: an empty non-terminal
		}
	case len(r) == 3 && isHeadless(s):
		return z.endpoint(q, s, r[2])
	case len(r) == 4 && isUnderscored(r[2]) && isUnderscored(r[3]):
		return z.srv(q, s, r[2][1:], r[3][1:])
	}
	return nxdomain()
}

func isUnderscored(label string) bool { return len(label) > 1 && label[0] == '_' }

// isHeadless: the service has no cluster IP; its name gives the
// endpoints' addresses.
func isHeadless(s *corev1.Service) bool {
	return s.Spec.Type != corev1.ServiceTypeExternalName && s.Spec.ClusterIP == corev1.ClusterIPNone
}

// service answers for <svc>.<ns>.svc.<domain>.
func (z *Zone) service(q dns.Question, s *corev1.Service) Answer {
	switch {
	case s.Spec.Type == corev1.ServiceTypeExternalName:
		a := nodata()
		if s.Spec.ExternalName != "" {
			a.Records = []dns.RR{&dns.CNAME{Hdr: z.header(q.Name, dns.TypeCNAME), Target: strings.ToLower(dns.Fqdn(s.Spec.ExternalName))}}
		}
		return a
	case isHeadless(s):
		var addrs []string
		for _, ep := range readyEndpoints(s, z.catalog.EndpointSlices(s.Namespace, s.Name)) {
			addrs = append(addrs, ep.addrs...)
		}
		return Answer{Records: z.addressRecords(q.Name, q.Qtype, dedupe(addrs))}
	}
	return Answer{Records: z.addressRecords(q.Name, q.Qtype, serviceIPs(s))}
}

// serviceIPs are a service's cluster IPs.
func serviceIPs(s *corev1.Service) []string {
	if len(s.Spec.ClusterIPs) > 0 {
		return s.Spec.ClusterIPs
	}
	if s.Spec.ClusterIP != "" && s.Spec.ClusterIP != corev1.ClusterIPNone {
		return []string{s.Spec.ClusterIP}
	}
	return nil
}

// endpoint answers for <ep>.<svc>.<ns>.svc.<domain> of a headless
// service.
func (z *Zone) endpoint(q dns.Question, s *corev1.Service, label string) Answer {
	var addrs []string
	for _, ep := range readyEndpoints(s, z.catalog.EndpointSlices(s.Namespace, s.Name)) {
		if ep.label == label {
			addrs = append(addrs, ep.addrs...)
		}
	}
	if len(addrs) == 0 {
		return nxdomain()
	}
	return Answer{Records: z.addressRecords(q.Name, q.Qtype, dedupe(addrs))}
}

// serviceName is <svc>.<ns>.svc.<domain>.
func (z *Zone) serviceName(s *corev1.Service) string {
	return strings.ToLower(s.Name + "." + s.Namespace + ".svc." + z.domain)
}

// pods answers for the names under pod.<domain>; r is [<ns>,
// <dashed address>]. A name is only answered for a pod of that
// namespace holding the address.
func (z *Zone) pods(q dns.Question, r []string) Answer {
	switch len(r) {
	case 0, 1:
		return nodata()
	case 2:
		ip, ok := undash(r[1])
		if !ok {
			return nxdomain()
		}
		for _, p := range z.catalog.PodsByIP(ip.String()) {
			if p.Namespace == r[0] {
				return Answer{Records: z.addressRecords(q.Name, q.Qtype, []string{ip.String()})}
			}
		}
	}
	return nxdomain()
}

func (z *Zone) header(name string, rrtype uint16) dns.RR_Header {
	return dns.RR_Header{Name: name, Rrtype: rrtype, Class: dns.ClassINET, Ttl: z.ttl}
}
