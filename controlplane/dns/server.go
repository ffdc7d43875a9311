package dns

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"syscall"
	"time"

	"github.com/miekg/dns"

	"github.com/skiffrt/skiff/internal/log"
)

// maxChase bounds the CNAMEs followed for one answer.
const maxChase = 8

// forwardTimeout bounds forwarding one question, over all upstreams.
const forwardTimeout = 5 * time.Second

// Server answers DNS over UDP and TCP on one address: the zone's names
// from the Zone, the others through the Forwarder. Create it with
// Listen, run it with Serve.
type Server struct {
	zone *Zone
	fwd  *Forwarder
	addr netip.AddrPort
	udp  *dns.Server
	tcp  *dns.Server
}

// Listen binds UDP and TCP on addr ("host:port"; port 0 picks one free
// for both).
func Listen(addr string, zone *Zone, fwd *Forwarder) (*Server, error) {
	pc, ln, err := listenBoth(addr)
	if err != nil {
		return nil, err
	}
	ap, err := netip.ParseAddrPort(pc.LocalAddr().String())
	if err != nil {
		pc.Close()
		ln.Close()
		return nil, err
	}
	s := &Server{zone: zone, fwd: fwd, addr: netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())}
	s.udp = &dns.Server{PacketConn: pc, Handler: s.handler("udp")}
	s.tcp = &dns.Server{Listener: ln, Handler: s.handler("tcp"), ReadTimeout: 10 * time.Second}
	return s, nil
}

// listenBoth binds the UDP socket, then TCP on its port; with port 0 it
// tries again when that port is taken for TCP.
func listenBoth(addr string) (net.PacketConn, net.Listener, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, nil, fmt.Errorf("dns address: %w", err)
	}
	for range 10 {
		pc, err := net.ListenPacket("udp", addr)
		if err != nil {
			return nil, nil, fmt.Errorf("dns listen: %w", err)
		}
		_, p, _ := net.SplitHostPort(pc.LocalAddr().String())
		ln, err := net.Listen("tcp", net.JoinHostPort(host, p))
		if err == nil {
			return pc, ln, nil
		}
		pc.Close()
		if port != "0" || !errors.Is(err, syscall.EADDRINUSE) {
			return nil, nil, fmt.Errorf("dns listen: %w", err)
		}
	}
	return nil, nil, errors.New("dns listen: no port free for both UDP and TCP")
}

// Addr is the address the server listens on (UDP and TCP).
func (s *Server) Addr() netip.AddrPort { return s.addr }

// Serve answers until ctx ends.
func (s *Server) Serve(ctx context.Context) error {
	errc := make(chan error, 2)
	var wg sync.WaitGroup
	for _, srv := range []*dns.Server{s.udp, s.tcp} {
		wg.Go(func() { errc <- srv.ActivateAndServe() })
	}
	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	_ = s.udp.ShutdownContext(sctx)
	_ = s.tcp.ShutdownContext(sctx)
	wg.Wait()
	return err
}

// handler answers the queries that came over network.
func (s *Server) handler(network string) dns.Handler {
	return dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		ctx, cancel := context.WithTimeout(context.Background(), forwardTimeout)
		defer cancel()
		m := s.reply(ctx, r, network)
		fit(m, r, network)
		if err := w.WriteMsg(m); err != nil {
			log.G(ctx).Debug("dns reply", "network", network, log.KeyError, err)
		}
	})
}

// fit sizes the reply for the client: an OPT record when it sent one,
// and over UDP no more than its buffer (truncated, with TC set, so it
// asks again over TCP).
func fit(m, r *dns.Msg, network string) {
	size := dns.MinMsgSize
	if opt := r.IsEdns0(); opt != nil {
		size = max(int(opt.UDPSize()), dns.MinMsgSize)
		if m.IsEdns0() == nil {
			m.SetEdns0(uint16(min(size, dns.DefaultMsgSize)), false) //nolint:gosec // bounded above
		}
	} else if o := m.IsEdns0(); o != nil { // from upstream, for a client that did not ask
		m.Extra = removeOPT(m.Extra)
	}
	if network == "udp" {
		m.Truncate(size)
	}
}

func removeOPT(rrs []dns.RR) []dns.RR {
	out := rrs[:0]
	for _, rr := range rrs {
		if rr.Header().Rrtype != dns.TypeOPT {
			out = append(out, rr)
		}
	}
	return out
}

// reply is the answer to r: the zone's, or the upstreams'.
func (s *Server) reply(ctx context.Context, r *dns.Msg, network string) *dns.Msg {
	m := new(dns.Msg)
	switch {
	case r.Opcode != dns.OpcodeQuery:
		return m.SetRcode(r, dns.RcodeNotImplemented)
	case len(r.Question) != 1:
		return m.SetRcode(r, dns.RcodeFormatError)
	}
	q := r.Question[0]
	a, ours := s.zone.Lookup(q)
	if !ours {
		return s.forward(ctx, r, network)
	}
	if q.Qclass != dns.ClassINET && q.Qclass != dns.ClassANY {
		return m.SetRcode(r, dns.RcodeRefused)
	}
	m.SetReply(r)
	m.Authoritative, m.RecursionAvailable = true, true
	m.Rcode, m.Answer, m.Extra = a.Rcode, a.Records, a.Extra
	negative := len(a.Records) == 0
	if !negative && q.Qtype != dns.TypeCNAME && q.Qtype != dns.TypeANY {
		negative = s.chase(ctx, m, q, network)
	}
	if negative {
		m.Ns = []dns.RR{s.zone.SOA()}
	}
	return m
}

// chase follows the CNAME ending m's answer (an ExternalName service)
// to the target's records of the asked type, in the zone or upstream,
// and adds them to m; it tells whether the last name answered nothing.
func (s *Server) chase(ctx context.Context, m *dns.Msg, q dns.Question, network string) (negative bool) {
	for range maxChase {
		cname, ok := m.Answer[len(m.Answer)-1].(*dns.CNAME)
		if !ok {
			return false
		}
		next := dns.Question{Name: cname.Target, Qtype: q.Qtype, Qclass: q.Qclass}
		if a, ours := s.zone.Lookup(next); ours {
			m.Rcode = a.Rcode
			m.Answer = append(m.Answer, a.Records...)
			m.Extra = append(m.Extra, a.Extra...)
			if len(a.Records) == 0 {
				return true
			}
			continue
		}
		up := new(dns.Msg)
		up.Question = []dns.Question{next}
		up.RecursionDesired = true
		up.SetEdns0(dns.DefaultMsgSize, false)
		resp, err := s.fwd.Exchange(ctx, up, network)
		if err != nil {
			log.G(ctx).Debug("dns chase", log.KeyError, err)
			m.Rcode = dns.RcodeServerFailure
			return false
		}
		m.Rcode = resp.Rcode
		m.Answer = append(m.Answer, resp.Answer...)
		m.Truncated = m.Truncated || resp.Truncated
		return false
	}
	return false
}

// forward asks the upstreams; SERVFAIL when none answers.
func (s *Server) forward(ctx context.Context, r *dns.Msg, network string) *dns.Msg {
	resp, err := s.fwd.Exchange(ctx, r, network)
	if err != nil {
		log.G(ctx).Debug("dns forward", "network", network, log.KeyError, err)
		return new(dns.Msg).SetRcode(r, dns.RcodeServerFailure)
	}
	resp.Id = r.Id
	return resp
}
