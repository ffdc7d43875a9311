package proxy

import (
	"net/netip"
	"strings"
)

// family is what the ruleset writes differently for IPv4 and IPv6. Both
// live in the one inet table: the maps keyed on addresses exist once per
// family (nftables types their keys), everything else is shared.
type family struct {
	ip       string // the keyword of matches and dnat: ip or ip6
	addrType string // the nftables type of an address
	suffix   string // of the per-family maps' names
	loopback string // the range NodePorts never listen on by default
}

var (
	ipv4     = family{ip: "ip", addrType: "ipv4_addr", suffix: "", loopback: "127.0.0.0/8"}
	ipv6     = family{ip: "ip6", addrType: "ipv6_addr", suffix: "-ipv6", loopback: "::1"}
	families = []family{ipv4, ipv6}
)

func familyOf(a netip.Addr) family {
	if a.Is4() {
		return ipv4
	}
	return ipv6
}

func (f family) is4() bool { return f.ip == "ip" }

// m is the name of this family's copy of the map base.
func (f family) m(base string) string { return base + f.suffix }

// of returns the prefixes of this family.
func (f family) of(ps []netip.Prefix) []netip.Prefix {
	var out []netip.Prefix
	for _, p := range ps {
		if p.Addr().Is4() == f.is4() {
			out = append(out, p)
		}
	}
	return out
}

// nameSafe writes an address so that it can be part of an nftables
// name (which may not hold ':').
func nameSafe(a netip.Addr) string { return strings.ReplaceAll(a.String(), ":", ".") }
