package dns

import (
	"context"
	"fmt"
	"net"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// upstream is a resolver on loopback that answers every A question
// with 192.0.2.1, and "big.example." with 60 addresses (too much for 512
// bytes); it counts the questions by network.
type upstream struct {
	addr string
	asks chan string // "udp example.org. A"
}

func startUpstream(t *testing.T) *upstream {
	t.Helper()
	pc, ln, err := listenBoth("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	u := &upstream{addr: pc.LocalAddr().String(), asks: make(chan string, 100)}
	handler := func(network string) dns.HandlerFunc {
		return func(w dns.ResponseWriter, r *dns.Msg) {
			q := r.Question[0]
			u.asks <- network + " " + q.Name + " " + dns.TypeToString[q.Qtype]
			m := new(dns.Msg).SetReply(r)
			m.RecursionAvailable = true
			switch {
			case q.Name == "nx.example.":
				m.Rcode = dns.RcodeNameError
			case q.Name == "big.example." && q.Qtype == dns.TypeA:
				for i := range 60 {
					rr, _ := dns.NewRR(fmt.Sprintf("big.example. 60 IN A 192.0.2.%d", i+1))
					m.Answer = append(m.Answer, rr)
				}
			case q.Qtype == dns.TypeA:
				rr, _ := dns.NewRR(q.Name + " 60 IN A 192.0.2.1")
				m.Answer = append(m.Answer, rr)
			}
			if network == "udp" {
				m.Truncate(dns.MinMsgSize)
			}
			_ = w.WriteMsg(m)
		}
	}
	servers := []*dns.Server{{PacketConn: pc, Handler: handler("udp")}, {Listener: ln, Handler: handler("tcp")}}
	for _, s := range servers {
		go func() { _ = s.ActivateAndServe() }()
	}
	t.Cleanup(func() {
		for _, s := range servers {
			_ = s.Shutdown()
		}
	})
	return u
}

// startServer runs a Server on 127.0.0.1:0 over the test catalog,
// forwarding to upstreams.
func startServer(t *testing.T, upstreams ...string) string {
	t.Helper()
	s, err := Listen("127.0.0.1:0", NewZone("cluster.local", 5, testCatalog()), &Forwarder{Upstreams: upstreams, Timeout: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	if s.Addr().Port() == 0 || !s.Addr().Addr().IsLoopback() {
		t.Fatalf("Addr() = %v", s.Addr())
	}
	return s.Addr().String()
}

func ask(t *testing.T, network, server, name string, qtype uint16) *dns.Msg {
	t.Helper()
	m := new(dns.Msg).SetQuestion(name, qtype)
	c := &dns.Client{Net: network, Timeout: 2 * time.Second}
	var resp *dns.Msg
	var err error
	for range 20 { // the listeners may not serve yet
		if resp, _, err = c.Exchange(m, server); err == nil {
			return resp
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s %s over %s: %v", name, dns.TypeToString[qtype], network, err)
	return nil
}

func TestServerZone(t *testing.T) {
	srv := startServer(t)
	for _, network := range []string{"udp", "tcp"} {
		t.Run(network, func(t *testing.T) {
			r := ask(t, network, srv, "web.default.svc.cluster.local.", dns.TypeA)
			if r.Rcode != dns.RcodeSuccess || !r.Authoritative || !slices.Equal(shorts(r.Answer), []string{"A 10.96.0.20"}) || len(r.Ns) != 0 {
				t.Errorf("A: %v", r)
			}
			r = ask(t, network, srv, "nope.default.svc.cluster.local.", dns.TypeA)
			if r.Rcode != dns.RcodeNameError || len(r.Answer) != 0 || len(r.Ns) != 1 || r.Ns[0].Header().Rrtype != dns.TypeSOA {
				t.Errorf("NXDOMAIN: %v", r)
			}
			if r.Ns[0].Header().Name != "cluster.local." || r.Ns[0].Header().Ttl != 5 {
				t.Errorf("SOA: %v", r.Ns[0])
			}
			r = ask(t, network, srv, "web.default.svc.cluster.local.", dns.TypeAAAA)
			if r.Rcode != dns.RcodeSuccess || len(r.Answer) != 0 || len(r.Ns) != 1 || r.Ns[0].Header().Rrtype != dns.TypeSOA {
				t.Errorf("NODATA: %v", r)
			}
			r = ask(t, network, srv, "_http._tcp.web.default.svc.cluster.local.", dns.TypeSRV)
			if len(r.Answer) != 1 || len(r.Extra) != 1 {
				t.Errorf("SRV: %v", r)
			}
			// the alias's CNAME is followed in the zone
			r = ask(t, network, srv, "alias.default.svc.cluster.local.", dns.TypeA)
			if want := []string{"A 10.96.0.20", "CNAME web.default.svc.cluster.local."}; !slices.Equal(shorts(r.Answer), want) {
				t.Errorf("CNAME chase: %q, want %q", shorts(r.Answer), want)
			}
		})
	}
}

func TestServerForward(t *testing.T) {
	up := startUpstream(t)
	// the first upstream does not answer: the forwarder moves on
	dead, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer dead.Close()
	srv := startServer(t, dead.LocalAddr().String(), up.addr)
	for _, network := range []string{"udp", "tcp"} {
		t.Run(network, func(t *testing.T) {
			r := ask(t, network, srv, "Example.ORG.", dns.TypeA)
			if r.Rcode != dns.RcodeSuccess || r.Authoritative || !slices.Equal(shorts(r.Answer), []string{"A 192.0.2.1"}) {
				t.Errorf("forwarded: %v", r)
			}
			if got := <-up.asks; got != network+" Example.ORG. A" {
				t.Errorf("upstream asked %q", got)
			}
			r = ask(t, network, srv, "nx.example.", dns.TypeA)
			if r.Rcode != dns.RcodeNameError {
				t.Errorf("forwarded NXDOMAIN: %v", r)
			}
			<-up.asks
			// the ExternalName's target comes from upstream
			r = ask(t, network, srv, "ext.default.svc.cluster.local.", dns.TypeA)
			if want := []string{"A 192.0.2.1", "CNAME example.org."}; !slices.Equal(shorts(r.Answer), want) {
				t.Errorf("ExternalName: %q, want %q", shorts(r.Answer), want)
			}
			<-up.asks
		})
	}
}

// TestServerTruncation: an answer too big for UDP comes truncated, and
// whole over TCP, as a client falls back.
func TestServerTruncation(t *testing.T) {
	up := startUpstream(t)
	srv := startServer(t, up.addr)
	r := ask(t, "udp", srv, "big.example.", dns.TypeA)
	if !r.Truncated || len(r.Answer) >= 60 {
		t.Errorf("UDP: truncated %v with %d answers, want TC and fewer than 60", r.Truncated, len(r.Answer))
	}
	r = ask(t, "tcp", srv, "big.example.", dns.TypeA)
	if r.Truncated || len(r.Answer) != 60 {
		t.Errorf("TCP: truncated %v with %d answers, want 60", r.Truncated, len(r.Answer))
	}
	// a client with a bigger EDNS buffer gets everything over UDP
	m := new(dns.Msg).SetQuestion("db.default.svc.cluster.local.", dns.TypeA)
	m.SetEdns0(4096, false)
	resp, _, err := (&dns.Client{Net: "udp", UDPSize: 4096}).Exchange(m, srv)
	if err != nil || resp.IsEdns0() == nil || len(resp.Answer) != 2 {
		t.Errorf("EDNS: %v, %v", resp, err)
	}
}

func TestServerNoUpstream(t *testing.T) {
	srv := startServer(t)
	if r := ask(t, "udp", srv, "example.org.", dns.TypeA); r.Rcode != dns.RcodeServerFailure {
		t.Errorf("rcode %s, want SERVFAIL", dns.RcodeToString[r.Rcode])
	}
}

func TestParseUpstreams(t *testing.T) {
	got, err := ParseUpstreams("192.0.2.1, 192.0.2.2:5353,[2001:db8::1]:53,2001:db8::2")
	want := []string{"192.0.2.1:53", "192.0.2.2:5353", "[2001:db8::1]:53", "[2001:db8::2]:53"}
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("got %q, %v, want %q", got, err, want)
	}
	if _, err := ParseUpstreams("dns.example:53"); err == nil {
		t.Error("a host name was accepted")
	}
}

func TestResolvConfUpstreams(t *testing.T) {
	path := t.TempDir() + "/resolv.conf"
	if err := os.WriteFile(path, []byte("# host\nnameserver 192.0.2.53\nnameserver 2001:db8::53\nsearch corp\noptions ndots:2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := ResolvConfUpstreams(path)
	if want := []string{"192.0.2.53:53", "[2001:db8::53]:53"}; err != nil || !slices.Equal(got, want) {
		t.Errorf("got %q, %v, want %q", got, err, want)
	}
	if _, err := ResolvConfUpstreams(path + ".missing"); err == nil {
		t.Error("a missing file gave no error")
	}
}
