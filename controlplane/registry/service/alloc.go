package service

import (
	"context"
	"fmt"
	"math/big"
	"math/rand/v2"
	"net/netip"
	"sync"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/skiffrt/skiff/controlplane/registry"
)

// allocator hands out cluster IPs and node ports. It finds the free ones
// from the services stored now, and mu serialises allocations within one
// server. Two API servers allocating at the same instant could pick the
// same address; with random picks over the ranges that is unlikely, and a
// repair loop (or upstream's IPAddress objects) is the cure if it matters.
type allocator struct {
	cfg Config
	mu  sync.Mutex
}

var clusterIPsPath = field.NewPath("spec", "clusterIPs").Index(0)

// admit checks the addresses a service asks for and allocates the ones it
// leaves to the server.
func (a *allocator) admit(ctx context.Context, obj, old runtime.Object, list registry.ListFunc) error {
	s := obj.(*corev1.Service)
	wantIP := s.Spec.Type != corev1.ServiceTypeExternalName && s.Spec.ClusterIP != corev1.ClusterIPNone
	wantPorts := s.Spec.Type == corev1.ServiceTypeNodePort ||
		(s.Spec.Type == corev1.ServiceTypeLoadBalancer && (s.Spec.AllocateLoadBalancerNodePorts == nil || *s.Spec.AllocateLoadBalancerNodePorts))
	if !wantIP && !wantPorts {
		return nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	all, err := list(ctx)
	if err != nil {
		return err
	}
	ips, ports := inUse(all, s)
	var errs field.ErrorList
	if wantIP {
		errs = append(errs, a.clusterIP(s, old, ips)...)
	}
	if wantPorts {
		errs = append(errs, a.nodePorts(s, ports)...)
	}
	if len(errs) > 0 {
		return apierrors.NewInvalid(corev1.SchemeGroupVersion.WithKind("Service").GroupKind(), s.Name, errs)
	}
	return nil
}

// inUse returns the cluster IPs and node ports of every service but s.
func inUse(all []runtime.Object, s *corev1.Service) (map[string]bool, map[int32]bool) {
	ips, ports := map[string]bool{}, map[int32]bool{}
	for _, o := range all {
		other := o.(*corev1.Service)
		if other.Namespace == s.Namespace && other.Name == s.Name {
			continue
		}
		for _, ip := range other.Spec.ClusterIPs {
			ips[ip] = true
		}
		for _, p := range other.Spec.Ports {
			if p.NodePort != 0 {
				ports[p.NodePort] = true
			}
		}
	}
	return ips, ports
}

// clusterIP checks a requested cluster IP or allocates one, and sets the
// IP family fields.
func (a *allocator) clusterIP(s *corev1.Service, old runtime.Object, used map[string]bool) field.ErrorList {
	sp := &s.Spec
	if sp.ClusterIP == "" {
		ip, ok := a.freeIP(used)
		if !ok {
			return field.ErrorList{field.InternalError(clusterIPsPath, fmt.Errorf("range %s is full", a.cfg.CIDR))}
		}
		sp.ClusterIP = ip
	} else if kept := old != nil && old.(*corev1.Service).Spec.ClusterIP == sp.ClusterIP; !kept {
		ip, err := netip.ParseAddr(sp.ClusterIP)
		switch {
		case err != nil:
			return field.ErrorList{field.Invalid(clusterIPsPath, sp.ClusterIP, "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)")}
		case !a.cfg.CIDR.Contains(ip):
			return field.ErrorList{field.Invalid(clusterIPsPath, sp.ClusterIP,
				fmt.Sprintf("failed to allocate IP %s: the provided IP (%s) is not in the valid range. The range of valid IPs is %s", ip, ip, a.cfg.CIDR))}
		case used[sp.ClusterIP]:
			return field.ErrorList{field.Invalid(clusterIPsPath, sp.ClusterIP,
				fmt.Sprintf("failed to allocate IP %s: provided IP is already allocated", ip))}
		}
	}
	sp.ClusterIPs = []string{sp.ClusterIP}
	family := corev1.IPv4Protocol
	if a.cfg.CIDR.Addr().Is6() {
		family = corev1.IPv6Protocol
	}
	sp.IPFamilies = []corev1.IPFamily{family}
	if sp.IPFamilyPolicy == nil {
		single := corev1.IPFamilyPolicySingleStack
		sp.IPFamilyPolicy = &single
	}
	return nil
}

// freeIP picks a random free address of the range, keeping out the
// network address, the first address (the kubernetes service's) and the
// last.
func (a *allocator) freeIP(used map[string]bool) (string, bool) {
	base := new(big.Int).SetBytes(a.cfg.CIDR.Masked().Addr().AsSlice())
	bits := a.cfg.CIDR.Addr().BitLen() - a.cfg.CIDR.Bits()
	size := int64(1) << min(bits, 62)
	if size < 4 {
		return "", false
	}
	start := rand.Int64N(size-3) + 2
	for i := int64(0); i < size-3; i++ {
		off := (start-2+i)%(size-3) + 2
		n := new(big.Int).Add(base, big.NewInt(off)).FillBytes(make([]byte, a.cfg.CIDR.Addr().BitLen()/8))
		ip, _ := netip.AddrFromSlice(n)
		if !used[ip.String()] {
			return ip.String(), true
		}
	}
	return "", false
}

// nodePorts checks requested node ports and allocates the missing ones.
func (a *allocator) nodePorts(s *corev1.Service, used map[int32]bool) field.ErrorList {
	var errs field.ErrorList
	span := a.cfg.NodePortMax - a.cfg.NodePortMin + 1
	for i := range s.Spec.Ports {
		p := &s.Spec.Ports[i]
		path := field.NewPath("spec", "ports").Index(i).Child("nodePort")
		switch {
		case p.NodePort == 0:
			start := rand.Int32N(span)
			for j := int32(0); j < span; j++ {
				if port := a.cfg.NodePortMin + (start+j)%span; !used[port] {
					p.NodePort = port
					break
				}
			}
			if p.NodePort == 0 {
				errs = append(errs, field.InternalError(path, fmt.Errorf("range %d-%d is full", a.cfg.NodePortMin, a.cfg.NodePortMax)))
			}
		case p.NodePort < a.cfg.NodePortMin || p.NodePort > a.cfg.NodePortMax:
			errs = append(errs, field.Invalid(path, p.NodePort, fmt.Sprintf("provided port is not in the valid range. The range of valid ports is %d-%d",
				a.cfg.NodePortMin, a.cfg.NodePortMax)))
		case used[p.NodePort]:
			errs = append(errs, field.Invalid(path, p.NodePort, "provided port is already allocated"))
		}
		used[p.NodePort] = true
	}
	return errs
}
