package podnet

import (
	"errors"
	"net"
	"net/netip"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// RouteProtocol marks the routes skiff installs (`ip route show proto
// 115`).
const RouteProtocol netlink.RouteProtocol = 115

// Kernel is the RouteTable of the network namespace the agent runs in,
// through netlink. Routes go to the main table.
type Kernel struct{}

// Routes lists the main table's routes of RouteProtocol.
func (Kernel) Routes() ([]Route, error) {
	var out []Route
	for _, family := range []int{netlink.FAMILY_V4, netlink.FAMILY_V6} {
		rs, err := netlink.RouteListFiltered(family, &netlink.Route{Protocol: RouteProtocol, Table: unix.RT_TABLE_MAIN},
			netlink.RT_FILTER_PROTOCOL|netlink.RT_FILTER_TABLE)
		if err != nil {
			return nil, err
		}
		for _, r := range rs {
			if r.Dst == nil || r.Gw == nil {
				continue
			}
			dst, ok := prefixOf(r.Dst)
			via, ok2 := netip.AddrFromSlice(r.Gw)
			if ok && ok2 {
				out = append(out, Route{Dst: dst, Via: via.Unmap()})
			}
		}
	}
	return out, nil
}

// Replace installs r in the main table with RouteProtocol.
func (Kernel) Replace(r Route) error { return netlink.RouteReplace(kernelRoute(r)) }

// Delete removes r.
func (Kernel) Delete(r Route) error {
	err := netlink.RouteDel(kernelRoute(r))
	if errors.Is(err, unix.ESRCH) {
		return nil
	}
	return err
}

// OnLink reports whether the kernel reaches addr without a gateway.
func (Kernel) OnLink(addr netip.Addr) (bool, error) {
	rs, err := netlink.RouteGet(net.IP(addr.AsSlice()))
	if err != nil {
		return false, err
	}
	for _, r := range rs {
		if r.Gw == nil && r.LinkIndex > 0 && r.Type != unix.RTN_LOCAL {
			return true, nil
		}
	}
	return false, nil
}

func kernelRoute(r Route) *netlink.Route {
	bits := r.Dst.Addr().BitLen()
	return &netlink.Route{
		Dst:      &net.IPNet{IP: r.Dst.Addr().AsSlice(), Mask: net.CIDRMask(r.Dst.Bits(), bits)},
		Gw:       r.Via.AsSlice(),
		Protocol: RouteProtocol,
		Table:    unix.RT_TABLE_MAIN,
	}
}

func prefixOf(n *net.IPNet) (netip.Prefix, bool) {
	a, ok := netip.AddrFromSlice(n.IP)
	if !ok {
		return netip.Prefix{}, false
	}
	ones, _ := n.Mask.Size()
	return netip.PrefixFrom(a.Unmap(), ones), true
}
