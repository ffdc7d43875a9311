//go:build e2e

package controlplane

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// The cluster DNS of `skiff server`: kube-system/kube-dns on 10.96.0.10
// lists the server's listener, which answers a Service created with
// kubectl by its ClusterIP, over UDP and TCP.
func TestClusterDNS(t *testing.T) {
	s := startServer(t, "")
	if ip := s.k("get", "svc", "-n", "kube-system", "kube-dns", "-o", "jsonpath={.spec.clusterIP}"); ip != "10.96.0.10" {
		t.Fatalf("kube-dns cluster IP %q, want 10.96.0.10", ip)
	}
	var listener string
	ok, last := poll(30*time.Second, 200*time.Millisecond, func() (bool, string) {
		out, _ := s.kubectl(t.Context(), nil, "get", "endpointslice", "-n", "kube-system", "kube-dns",
			"-o", "jsonpath={.endpoints[0].addresses[0]} {.ports[0].name} {.ports[0].protocol} {.ports[0].port}")
		f := strings.Fields(out)
		ok := len(f) == 4 && f[1] == "dns" && f[2] == "UDP"
		if ok {
			listener = net.JoinHostPort(f[0], f[3])
		}
		return ok, out
	})
	if !ok {
		t.Fatalf("kube-dns endpoints not listed after 30s: %q\n%s", last, tail(s.stderr.String()))
	}
	s.k("create", "service", "clusterip", "web", "--tcp=80:8080")
	ip := s.k("get", "svc", "web", "-o", "jsonpath={.spec.clusterIP}")
	for _, network := range []string{"udp", "tcp"} {
		c := &dns.Client{Net: network, Timeout: 2 * time.Second}
		var got string
		start := time.Now()
		for time.Since(start) < 10*time.Second {
			r, _, err := c.Exchange(new(dns.Msg).SetQuestion("web.default.svc.cluster.local.", dns.TypeA), listener)
			if err == nil && len(r.Answer) == 1 {
				got = r.Answer[0].(*dns.A).A.String()
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		if got != ip {
			t.Fatalf("%s: web.default.svc.cluster.local A = %q, want %s", network, got, ip)
		}
		t.Logf("%s: answered %s within %s", network, got, time.Since(start).Round(time.Millisecond))
		r, _, err := c.Exchange(new(dns.Msg).SetQuestion("nope.default.svc.cluster.local.", dns.TypeA), listener)
		if err != nil || r.Rcode != dns.RcodeNameError || len(r.Ns) != 1 {
			t.Errorf("%s: nope.default.svc.cluster.local: %v, %v; want NXDOMAIN with the SOA", network, r, err)
		}
	}
}
