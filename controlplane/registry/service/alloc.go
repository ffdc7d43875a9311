package service

import (
	"context"
	"fmt"
	"math/big"
	"math/rand/v2"
	"net/netip"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/skiffrt/skiff/controlplane/registry"
)

// allocator hands out cluster IPs and node ports. What is taken is the
// set of claims (claims.go), which the Store writes in the same etcd
// transaction as the service: when another API server takes an address
// between this choice and the write, the write fails and the Store
// admits the service again, so two services never get one address.
type allocator struct {
	cfg Config
}

var clusterIPsPath = field.NewPath("spec", "clusterIPs").Index(0)

// admit sets the IP family fields, checks the addresses a service asks
// for and allocates the ones it leaves to the server.
func (a *allocator) admit(ctx context.Context, obj, old runtime.Object, claimed registry.ClaimedFunc) error {
	s := obj.(*corev1.Service)
	var prev *corev1.Service
	if old != nil {
		prev = old.(*corev1.Service)
	}
	errs := a.families(s, prev)
	if len(errs) == 0 && wantsIP(s) {
		taken, err := claimed(ctx, ipPrefix)
		if err != nil {
			return err
		}
		errs = a.clusterIP(s, prev, taken)
	}
	if len(errs) == 0 && hasNodePorts(s) {
		taken, err := claimed(ctx, portPrefix)
		if err != nil {
			return err
		}
		errs = a.nodePorts(s, prev, taken)
	}
	if len(errs) > 0 {
		return apierrors.NewInvalid(corev1.SchemeGroupVersion.WithKind("Service").GroupKind(), s.Name, errs)
	}
	return nil
}

func wantsIP(s *corev1.Service) bool {
	return s.Spec.Type != corev1.ServiceTypeExternalName && s.Spec.ClusterIP != corev1.ClusterIPNone
}

// hasNodePorts: NodePort and LoadBalancer services may hold node ports.
func hasNodePorts(s *corev1.Service) bool {
	return s.Spec.Type == corev1.ServiceTypeNodePort || s.Spec.Type == corev1.ServiceTypeLoadBalancer
}

// allocatesNodePorts: the server gives every port a node port, unless a
// LoadBalancer service says allocateLoadBalancerNodePorts: false (its
// load balancer then reaches the pods directly). Node ports it asks for
// are still checked and held, as upstream.
func allocatesNodePorts(s *corev1.Service) bool {
	return s.Spec.Type == corev1.ServiceTypeNodePort ||
		s.Spec.AllocateLoadBalancerNodePorts == nil || *s.Spec.AllocateLoadBalancerNodePorts
}

// clusterIP checks a requested cluster IP or allocates one. The IP a
// service already holds stays its own.
func (a *allocator) clusterIP(s, old *corev1.Service, taken map[string]bool) field.ErrorList {
	sp := &s.Spec
	switch {
	case sp.ClusterIP == "":
		ip, ok := a.freeIP(taken)
		if !ok {
			return field.ErrorList{field.InternalError(clusterIPsPath, fmt.Errorf("failed to allocate a serviceIP: range %s is full", a.cfg.CIDR))}
		}
		sp.ClusterIP = ip
	case old != nil && old.Spec.ClusterIP == sp.ClusterIP:
	default:
		ip, err := netip.ParseAddr(sp.ClusterIP)
		switch {
		case err != nil:
			return field.ErrorList{field.Invalid(clusterIPsPath, sp.ClusterIP, "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)")}
		case !a.cfg.CIDR.Contains(ip):
			return field.ErrorList{field.Invalid(clusterIPsPath, sp.ClusterIP,
				fmt.Sprintf("failed to allocate IP %s: the provided IP (%s) is not in the valid range. The range of valid IPs is %s", ip, ip, a.cfg.CIDR))}
		case taken[ipKey(ip.String())]:
			return field.ErrorList{field.Invalid(clusterIPsPath, sp.ClusterIP,
				fmt.Sprintf("failed to allocate IP %s: provided IP is already allocated", ip))}
		}
		sp.ClusterIP = ip.String()
	}
	sp.ClusterIPs = []string{sp.ClusterIP}
	return nil
}

// freeIP picks a random free address of the range, keeping out the
// network address, the first address (the kubernetes service's) and the
// last.
func (a *allocator) freeIP(taken map[string]bool) (string, bool) {
	cidr := a.cfg.CIDR.Masked()
	base := new(big.Int).SetBytes(cidr.Addr().AsSlice())
	bits := cidr.Addr().BitLen() - cidr.Bits()
	size := int64(1) << min(bits, 62)
	if size < 4 {
		return "", false
	}
	start := rand.Int64N(size - 3)
	for i := range size - 3 {
		off := (start+i)%(size-3) + 2
		n := new(big.Int).Add(base, big.NewInt(off)).FillBytes(make([]byte, cidr.Addr().BitLen()/8))
		ip, _ := netip.AddrFromSlice(n)
		if !taken[ipKey(ip.String())] {
			return ip.String(), true
		}
	}
	return "", false
}

// nodePorts checks requested node ports and allocates the missing ones
// (unless allocatesNodePorts says not to), and the health check node
// port of a LoadBalancer service with externalTrafficPolicy Local
// (always). The ports a service already holds stay
// its own; one port may serve two protocols of one service.
func (a *allocator) nodePorts(s, old *corev1.Service, taken map[string]bool) field.ErrorList {
	held := map[int32]bool{}
	if old != nil {
		for _, p := range nodePorts(old) {
			held[p] = true
		}
	}
	mine := map[int32]bool{} // given to this service in this call
	free := func(p int32) bool { return held[p] || mine[p] || !taken[portKey(p)] }
	var errs field.ErrorList
	for i := range s.Spec.Ports {
		p := &s.Spec.Ports[i]
		if p.NodePort == 0 && !allocatesNodePorts(s) {
			continue
		}
		if err := a.nodePort(&p.NodePort, field.NewPath("spec", "ports").Index(i).Child("nodePort"), free, mine); err != nil {
			errs = append(errs, err)
		}
	}
	if needsHealthCheck(s) {
		if err := a.nodePort(&s.Spec.HealthCheckNodePort, field.NewPath("spec", "healthCheckNodePort"), free, mine); err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

// nodePort checks *port, or allocates it when 0.
func (a *allocator) nodePort(port *int32, path *field.Path, free func(int32) bool, mine map[int32]bool) *field.Error {
	lo, hi := a.cfg.NodePortMin, a.cfg.NodePortMax
	switch {
	case *port == 0:
		span := hi - lo + 1
		start := rand.Int32N(span)
		for j := range span {
			if p := lo + (start+j)%span; free(p) && !mine[p] {
				*port = p
				break
			}
		}
		if *port == 0 {
			return field.InternalError(path, fmt.Errorf("failed to allocate a nodePort: range %d-%d is full", lo, hi))
		}
	case *port < lo || *port > hi:
		return field.Invalid(path, *port, fmt.Sprintf("provided port is not in the valid range. The range of valid ports is %d-%d", lo, hi))
	case !free(*port):
		return field.Invalid(path, *port, "provided port is already allocated")
	}
	mine[*port] = true
	return nil
}

// needsHealthCheck: a LoadBalancer service that keeps the client's
// address (externalTrafficPolicy Local) has a health check node port.
func needsHealthCheck(s *corev1.Service) bool {
	return s.Spec.Type == corev1.ServiceTypeLoadBalancer && s.Spec.ExternalTrafficPolicy == corev1.ServiceExternalTrafficPolicyLocal
}
