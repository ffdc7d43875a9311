package proxy

import (
	"fmt"
	"net"
	"net/netip"
	"slices"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// Flow selects UDP conntrack entries to delete: those whose original
// destination is Dst (any when invalid) and DstPort, and whose reply
// source is ReplySrc (any when invalid).
type Flow struct {
	IPv6     bool // the family; IPv4 when false
	Dst      netip.Addr
	DstPort  uint16
	ReplySrc netip.Addr
}

// Conntrack deletes conntrack entries.
type Conntrack interface {
	DeleteUDP(flows []Flow) error
}

// NetlinkConntrack deletes entries through netlink in the current network
// namespace.
type NetlinkConntrack struct{}

// DeleteUDP implements Conntrack.
func (NetlinkConntrack) DeleteUDP(flows []Flow) error {
	var v4, v6 []netlink.CustomConntrackFilter
	for _, f := range flows {
		cf := &netlink.ConntrackFilter{}
		if err := cf.AddProtocol(unix.IPPROTO_UDP); err != nil {
			return err
		}
		if err := cf.AddPort(netlink.ConntrackOrigDstPort, f.DstPort); err != nil {
			return err
		}
		if f.Dst.IsValid() {
			if err := cf.AddIP(netlink.ConntrackOrigDstIP, net.IP(f.Dst.AsSlice())); err != nil {
				return err
			}
		}
		if f.ReplySrc.IsValid() {
			if err := cf.AddIP(netlink.ConntrackReplySrcIP, net.IP(f.ReplySrc.AsSlice())); err != nil {
				return err
			}
		}
		if f.IPv6 {
			v6 = append(v6, cf)
		} else {
			v4 = append(v4, cf)
		}
	}
	for _, fam := range []struct {
		af      netlink.InetFamily
		filters []netlink.CustomConntrackFilter
	}{{unix.AF_INET, v4}, {unix.AF_INET6, v6}} {
		if len(fam.filters) == 0 {
			continue
		}
		if _, err := netlink.ConntrackDeleteFilters(netlink.ConntrackTable, fam.af, fam.filters...); err != nil {
			return fmt.Errorf("delete conntrack entries: %w", err)
		}
	}
	return nil
}

// udpState is, per UDP service port, the endpoints the ruleset sends to.
type udpState map[string]udpPort

type udpPort struct {
	v6        bool
	vips      []netip.Addr // the ClusterIP, then the external addresses
	port      uint16
	nodePort  uint16
	endpoints map[netip.Addr]bool
}

func udpStateOf(ports []svcPort) udpState {
	st := udpState{}
	for _, p := range ports {
		if p.proto != "udp" {
			continue
		}
		vips := append(append([]netip.Addr{p.clusterIP}, p.externalIPs...), p.lbIPs...)
		u := udpPort{v6: p.clusterIP.Is6(), vips: vips, port: p.port, nodePort: p.nodePort, endpoints: map[netip.Addr]bool{}}
		for _, ep := range p.endpoints {
			u.endpoints[ep.addr.Addr()] = true
		}
		st[p.id] = u
	}
	return st
}

// staleFlows returns the UDP flows to forget going from old to cur: those
// to an endpoint that is gone, and those to a service port that had no
// endpoint (they were never DNATed and would stay stuck).
func staleFlows(old, cur udpState) []Flow {
	var out []Flow
	for _, id := range sortedKeys(old) {
		o := old[id]
		c, ok := cur[id]
		for _, ip := range sortedAddrs(o.endpoints) {
			if ok && c.endpoints[ip] && slices.Equal(c.vips, o.vips) && c.port == o.port {
				continue
			}
			for _, vip := range o.vips {
				out = append(out, Flow{IPv6: o.v6, Dst: vip, DstPort: o.port, ReplySrc: ip})
			}
			if o.nodePort != 0 {
				out = append(out, Flow{IPv6: o.v6, DstPort: o.nodePort, ReplySrc: ip})
			}
		}
	}
	for _, id := range sortedKeys(cur) {
		c := cur[id]
		if o, ok := old[id]; len(c.endpoints) == 0 || (ok && len(o.endpoints) > 0) {
			continue
		}
		for _, vip := range c.vips {
			out = append(out, Flow{IPv6: c.v6, Dst: vip, DstPort: c.port})
		}
		if c.nodePort != 0 {
			out = append(out, Flow{IPv6: c.v6, DstPort: c.nodePort})
		}
	}
	return out
}

func sortedAddrs(m map[netip.Addr]bool) []netip.Addr {
	out := make([]netip.Addr, 0, len(m))
	for a := range m {
		out = append(out, a)
	}
	slicesSortAddrs(out)
	return out
}
