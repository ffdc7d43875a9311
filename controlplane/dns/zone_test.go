package dns

import (
	"slices"
	"strings"
	"testing"

	"github.com/miekg/dns"
)

// short is a record without owner, TTL and class: "A 10.96.0.20".
func short(rr dns.RR) string {
	f := strings.Fields(rr.String())
	return strings.Join(f[3:], " ")
}

func shorts(rrs []dns.RR) []string {
	out := make([]string, 0, len(rrs))
	for _, rr := range rrs {
		out = append(out, short(rr))
	}
	slices.Sort(out)
	return out
}

func TestZoneLookup(t *testing.T) {
	z := NewZone("cluster.local", 5, testCatalog())
	const (
		ok = dns.RcodeSuccess
		nx = dns.RcodeNameError
	)
	tests := []struct {
		name  string
		qname string
		qtype uint16
		rcode int
		want  []string // answers, sorted
		extra []string
	}{
		{"service A", "web.default.svc.cluster.local.", dns.TypeA, ok, []string{"A 10.96.0.20"}, nil},
		{"service AAAA of an IPv4 service is NODATA", "web.default.svc.cluster.local.", dns.TypeAAAA, ok, nil, nil},
		{"service MX is NODATA", "web.default.svc.cluster.local.", dns.TypeMX, ok, nil, nil},
		{"dual-stack A", "dual.default.svc.cluster.local.", dns.TypeA, ok, []string{"A 10.96.0.21"}, nil},
		{"dual-stack AAAA", "dual.default.svc.cluster.local.", dns.TypeAAAA, ok, []string{"AAAA fd00::21"}, nil},
		{"ANY", "dual.default.svc.cluster.local.", dns.TypeANY, ok, []string{"A 10.96.0.21", "AAAA fd00::21"}, nil},
		{"case does not matter", "WEB.Default.SVC.Cluster.Local.", dns.TypeA, ok, []string{"A 10.96.0.20"}, nil},
		{"no trailing dot", "web.default.svc.cluster.local", dns.TypeA, ok, []string{"A 10.96.0.20"}, nil},
		{"unknown service", "nope.default.svc.cluster.local.", dns.TypeA, nx, nil, nil},
		{"unknown namespace", "web.nope.svc.cluster.local.", dns.TypeA, nx, nil, nil},
		{"namespace with services", "default.svc.cluster.local.", dns.TypeA, ok, nil, nil},
		{"namespace without services", "nope.svc.cluster.local.", dns.TypeA, nx, nil, nil},
		{"svc", "svc.cluster.local.", dns.TypeA, ok, nil, nil},
		{"unknown branch", "foo.cluster.local.", dns.TypeA, nx, nil, nil},
		{"too deep", "a.b.web.default.svc.cluster.local.", dns.TypeA, nx, nil, nil},
		{"apex SOA", "cluster.local.", dns.TypeSOA, ok, []string{"SOA ns.dns.cluster.local. hostmaster.cluster.local."}, nil},
		{"apex NS", "cluster.local.", dns.TypeNS, ok, []string{"NS ns.dns.cluster.local."}, nil},
		{"apex A", "cluster.local.", dns.TypeA, ok, nil, nil},

		{"headless: ready endpoints", "db.default.svc.cluster.local.", dns.TypeA, ok, []string{"A 10.244.0.5", "A 10.244.2.7"}, nil},
		{"headless AAAA", "db.default.svc.cluster.local.", dns.TypeAAAA, ok, []string{"AAAA fd00::7"}, nil},
		{"headless endpoint by hostname", "db-0.db.default.svc.cluster.local.", dns.TypeA, ok, []string{"A 10.244.0.5"}, nil},
		{"headless endpoint hostname, AAAA", "db-0.db.default.svc.cluster.local.", dns.TypeAAAA, ok, nil, nil},
		{"headless endpoint not ready", "db-1.db.default.svc.cluster.local.", dns.TypeA, nx, nil, nil},
		{"headless endpoint by dashed address", "10-244-2-7.db.default.svc.cluster.local.", dns.TypeA, ok, []string{"A 10.244.2.7"}, nil},
		{"headless endpoint by dashed IPv6", "fd00--7.db.default.svc.cluster.local.", dns.TypeAAAA, ok, []string{"AAAA fd00::7"}, nil},
		{"no endpoint names under a cluster IP", "x.web.default.svc.cluster.local.", dns.TypeA, nx, nil, nil},
		{"headless without endpoints is NODATA", "empty.default.svc.cluster.local.", dns.TypeA, ok, nil, nil},
		{"publishNotReadyAddresses", "late.default.svc.cluster.local.", dns.TypeA, ok, []string{"A 10.244.3.3"}, nil},

		{"SRV of a named port", "_http._tcp.web.default.svc.cluster.local.", dns.TypeSRV, ok,
			[]string{"SRV 0 100 80 web.default.svc.cluster.local."}, []string{"A 10.96.0.20"}},
		{"SRV of a UDP port", "_dns._udp.web.default.svc.cluster.local.", dns.TypeSRV, ok,
			[]string{"SRV 0 100 53 web.default.svc.cluster.local."}, []string{"A 10.96.0.20"}},
		{"SRV, case", "_HTTP._TCP.web.default.svc.cluster.local.", dns.TypeSRV, ok,
			[]string{"SRV 0 100 80 web.default.svc.cluster.local."}, []string{"A 10.96.0.20"}},
		{"SRV, protocol left out is TCP", "_http._tcp.dual.default.svc.cluster.local.", dns.TypeSRV, ok,
			[]string{"SRV 0 100 80 dual.default.svc.cluster.local."}, []string{"A 10.96.0.21", "AAAA fd00::21"}},
		{"SRV, wrong protocol", "_http._udp.web.default.svc.cluster.local.", dns.TypeSRV, nx, nil, nil},
		{"SRV, unknown port", "_https._tcp.web.default.svc.cluster.local.", dns.TypeSRV, nx, nil, nil},
		{"SRV name, A", "_http._tcp.web.default.svc.cluster.local.", dns.TypeA, ok, nil, nil},
		{"_proto is an empty non-terminal", "_tcp.web.default.svc.cluster.local.", dns.TypeSRV, ok, nil, nil},
		{"_proto without such ports", "_sctp.web.default.svc.cluster.local.", dns.TypeSRV, nx, nil, nil},
		{"SRV of a headless service", "_pg._tcp.db.default.svc.cluster.local.", dns.TypeSRV, ok,
			[]string{"SRV 0 33 5432 10-244-2-7.db.default.svc.cluster.local.", "SRV 0 33 5432 db-0.db.default.svc.cluster.local.", "SRV 0 33 5432 fd00--7.db.default.svc.cluster.local."},
			[]string{"A 10.244.0.5", "A 10.244.2.7", "AAAA fd00::7"}},
		{"SRV of an ExternalName", "_http._tcp.ext.default.svc.cluster.local.", dns.TypeSRV, ok,
			[]string{"SRV 0 100 80 example.org."}, nil},

		{"ExternalName", "ext.default.svc.cluster.local.", dns.TypeA, ok, []string{"CNAME example.org."}, nil},
		{"ExternalName CNAME", "ext.default.svc.cluster.local.", dns.TypeCNAME, ok, []string{"CNAME example.org."}, nil},

		{"pod", "10-244-0-9.default.pod.cluster.local.", dns.TypeA, ok, []string{"A 10.244.0.9"}, nil},
		{"pod AAAA of IPv4 is NODATA", "10-244-0-9.default.pod.cluster.local.", dns.TypeAAAA, ok, nil, nil},
		{"pod IPv6", "fd00--9.default.pod.cluster.local.", dns.TypeAAAA, ok, []string{"AAAA fd00::9"}, nil},
		{"pod of another namespace", "10-244-0-10.default.pod.cluster.local.", dns.TypeA, nx, nil, nil},
		{"no such pod", "10-244-9-9.default.pod.cluster.local.", dns.TypeA, nx, nil, nil},
		{"not an address", "web.default.pod.cluster.local.", dns.TypeA, nx, nil, nil},
		{"pod namespace", "default.pod.cluster.local.", dns.TypeA, ok, nil, nil},

		{"PTR of a cluster IP", "20.0.96.10.in-addr.arpa.", dns.TypePTR, ok, []string{"PTR web.default.svc.cluster.local."}, nil},
		{"PTR of an IPv6 cluster IP", "1.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa.", dns.TypePTR, ok,
			[]string{"PTR dual.default.svc.cluster.local."}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, ours := z.Lookup(dns.Question{Name: tt.qname, Qtype: tt.qtype, Qclass: dns.ClassINET})
			if !ours {
				t.Fatalf("%s %s: not the zone's", tt.qname, dns.TypeToString[tt.qtype])
			}
			if a.Rcode != tt.rcode {
				t.Errorf("rcode = %s, want %s", dns.RcodeToString[a.Rcode], dns.RcodeToString[tt.rcode])
			}
			got := shorts(a.Records)
			if tt.qtype == dns.TypeSOA && len(got) == 1 {
				got[0] = strings.Join(strings.Fields(got[0])[:3], " ") // serial and timers aside
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("answer = %q, want %q", got, tt.want)
			}
			if got := shorts(a.Extra); !slices.Equal(got, tt.extra) {
				t.Errorf("extra = %q, want %q", got, tt.extra)
			}
			for _, rr := range a.Records {
				if rr.Header().Name != tt.qname && rr.Header().Name != dns.Fqdn(tt.qname) {
					t.Errorf("owner %q, want the name asked, %q", rr.Header().Name, tt.qname)
				}
				if rr.Header().Ttl != 5 {
					t.Errorf("TTL %d, want 5", rr.Header().Ttl)
				}
			}
		})
	}
}

func TestZoneNotOurs(t *testing.T) {
	z := NewZone("cluster.local.", 5, testCatalog())
	for _, q := range []dns.Question{
		{Name: "example.org.", Qtype: dns.TypeA},
		{Name: "local.", Qtype: dns.TypeA},
		{Name: "xcluster.local.", Qtype: dns.TypeA},
		{Name: "9.9.9.9.in-addr.arpa.", Qtype: dns.TypePTR}, // no service holds it
		{Name: "0.96.10.in-addr.arpa.", Qtype: dns.TypePTR}, // partial
		{Name: "20.0.96.10.in-addr.arpa.", Qtype: dns.TypeA},
	} {
		if _, ours := z.Lookup(q); ours {
			t.Errorf("%s %s: answered by the zone, want forwarded", q.Name, dns.TypeToString[q.Qtype])
		}
	}
}

func TestZoneOtherDomain(t *testing.T) {
	z := NewZone("Skiff.Example", 30, testCatalog())
	a, ours := z.Lookup(dns.Question{Name: "web.default.svc.skiff.example.", Qtype: dns.TypeA})
	if !ours || len(a.Records) != 1 || a.Records[0].Header().Ttl != 30 {
		t.Fatalf("got %v (ours %v), want one A record with TTL 30", a.Records, ours)
	}
	if _, ours := z.Lookup(dns.Question{Name: "web.default.svc.cluster.local.", Qtype: dns.TypeA}); ours {
		t.Error("cluster.local answered by the skiff.example zone")
	}
	if soa := z.SOA().(*dns.SOA); soa.Hdr.Name != "skiff.example." || soa.Minttl != 30 {
		t.Errorf("SOA %v", soa)
	}
}

func TestDashed(t *testing.T) {
	for _, s := range []string{"10.1.2.3", "fd00::7", "2001:db8:1:2:3:4:5:6", "::1"} {
		ip, _ := netipParse(s)
		got, ok := undash(dashed(ip))
		if !ok || got != ip {
			t.Errorf("undash(dashed(%s)) = %v, %v", s, got, ok)
		}
	}
	for _, s := range []string{"web", "10-1-2", "1-2-3-4-5", "fd00--7%eth0", "256-1-1-1"} {
		if ip, ok := undash(s); ok {
			t.Errorf("undash(%q) = %v, want no address", s, ip)
		}
	}
}

func questionA(name string) dns.Question {
	return dns.Question{Name: name, Qtype: dns.TypeA, Qclass: dns.ClassINET}
}
