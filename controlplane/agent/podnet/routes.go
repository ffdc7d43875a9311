package podnet

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"

	corev1 "k8s.io/api/core/v1"

	"github.com/skiffrt/skiff/internal/log"
)

// Route sends a pod CIDR to the node that holds it.
type Route struct {
	Dst netip.Prefix
	Via netip.Addr
	// Node holds Dst (for logs; not part of the kernel's route).
	Node string
}

func (r Route) String() string { return r.Dst.String() + " via " + r.Via.String() }

// RouteTable is the kernel's routing table, as far as host-gw routes go.
type RouteTable interface {
	// Routes lists the routes skiff installed.
	Routes() ([]Route, error)
	// Replace installs r, replacing a route to the same Dst.
	Replace(r Route) error
	// Delete removes r.
	Delete(r Route) error
	// OnLink reports whether addr is on a directly connected network.
	OnLink(addr netip.Addr) (bool, error)
}

// Desired returns the pod CIDRs of node self (for the runtime) and the
// routes to every other node's pod CIDRs, through its InternalIP of
// the same IP family, sorted by destination.
func Desired(self string, nodes []*corev1.Node) (own []string, routes []Route) {
	for _, n := range nodes {
		cidrs := podCIDRs(n)
		if n.Name == self {
			own = cidrs
			continue
		}
		for _, c := range cidrs {
			dst, err := netip.ParsePrefix(c)
			if err != nil {
				continue
			}
			if via, ok := internalIP(n, dst.Addr().Is4()); ok {
				routes = append(routes, Route{Dst: dst.Masked(), Via: via, Node: n.Name})
			}
		}
	}
	slices.SortFunc(routes, func(a, b Route) int { return cmp.Compare(a.Dst.String(), b.Dst.String()) })
	return own, routes
}

// podCIDRs are a node's pod CIDRs (podCIDRs, or podCIDR alone).
func podCIDRs(n *corev1.Node) []string {
	if len(n.Spec.PodCIDRs) > 0 {
		return n.Spec.PodCIDRs
	}
	if n.Spec.PodCIDR != "" {
		return []string{n.Spec.PodCIDR}
	}
	return nil
}

// internalIP is the node's first InternalIP of the family.
func internalIP(n *corev1.Node, v4 bool) (netip.Addr, bool) {
	for _, a := range n.Status.Addresses {
		if a.Type != corev1.NodeInternalIP {
			continue
		}
		if ip, err := netip.ParseAddr(a.Address); err == nil && ip.Unmap().Is4() == v4 {
			return ip.Unmap(), true
		}
	}
	return netip.Addr{}, false
}

// Reconcile makes the table's skiff routes be want: it removes the
// routes no longer wanted and installs the missing or changed ones. A
// route whose gateway is not directly reachable is left out with a
// warning, once per route (warned remembers them across calls).
func Reconcile(ctx context.Context, table RouteTable, want []Route, warned map[Route]bool) error {
	have, err := table.Routes()
	if err != nil {
		return fmt.Errorf("list routes: %w", err)
	}
	var usable []Route
	for _, r := range want {
		ok, err := table.OnLink(r.Via)
		if err != nil || !ok {
			if !warned[r] {
				log.G(ctx).Warn("no host-gw route to a node's pod CIDR: its address is not on a directly connected network "+
					"(host-gw needs the nodes on one L2 segment)", "node", r.Node, "pod_cidr", r.Dst, "node_ip", r.Via, log.KeyError, err)
				warned[r] = true
			}
			continue
		}
		delete(warned, r)
		usable = append(usable, r)
	}
	var errs []error
	for _, h := range have {
		if !slices.ContainsFunc(usable, func(r Route) bool { return same(r, h) }) {
			if err := table.Delete(h); err != nil {
				errs = append(errs, fmt.Errorf("delete route %s: %w", h, err))
				continue
			}
			log.G(ctx).Info("host-gw route removed", "route", h.String())
		}
	}
	for _, r := range usable {
		if slices.ContainsFunc(have, func(h Route) bool { return same(r, h) }) {
			continue
		}
		if err := table.Replace(r); err != nil {
			errs = append(errs, fmt.Errorf("route %s: %w", r, err))
			continue
		}
		log.G(ctx).Info("host-gw route installed", "node", r.Node, "route", r.String())
	}
	return errors.Join(errs...)
}

// same compares the kernel's part of two routes.
func same(a, b Route) bool { return a.Dst == b.Dst && a.Via == b.Via }
