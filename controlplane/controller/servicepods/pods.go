package servicepods

import (
	"net/netip"
	"reflect"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/skiffrt/skiff/controlplane/controller/pods"
)

// Selects tells whether svc selects pods at all: a Service without a
// selector has user-managed endpoints, an ExternalName Service none.
func Selects(svc *corev1.Service) bool {
	return svc.Spec.Selector != nil && svc.Spec.Type != corev1.ServiceTypeExternalName
}

// Selected returns the pods of all whose labels match svc's selector.
func Selected(svc *corev1.Service, all []*corev1.Pod) []*corev1.Pod {
	sel := labels.SelectorFromValidatedSet(svc.Spec.Selector)
	var out []*corev1.Pod
	for _, p := range all {
		if sel.Matches(labels.Set(p.Labels)) {
			out = append(out, p)
		}
	}
	return out
}

// IsEndpoint tells whether p is an endpoint: it has an IP and has not
// finished (Succeeded, Failed). A terminating pod is one only when
// includeTerminating.
func IsEndpoint(p *corev1.Pod, includeTerminating bool) bool {
	if p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
		return false
	}
	if p.Status.PodIP == "" && len(p.Status.PodIPs) == 0 {
		return false
	}
	return includeTerminating || p.DeletionTimestamp == nil
}

// IsReady: the pod's Ready condition is True.
func IsReady(p *corev1.Pod) bool { return pods.IsReady(p) }

// IPs returns the pod's IPs, IPv6 ones when v6, IPv4 ones otherwise.
func IPs(p *corev1.Pod, v6 bool) []string {
	all := p.Status.PodIPs
	if len(all) == 0 && p.Status.PodIP != "" {
		all = []corev1.PodIP{{IP: p.Status.PodIP}}
	}
	var out []string
	for _, ip := range all {
		a, err := netip.ParseAddr(ip.IP)
		if err != nil {
			continue
		}
		if a.Unmap().Is6() == v6 {
			out = append(out, ip.IP)
		}
	}
	return out
}

// IsV6 tells whether ip is an IPv6 address.
func IsV6(ip string) bool {
	a, err := netip.ParseAddr(ip)
	return err == nil && a.Unmap().Is6()
}

// TargetPort returns the port number sp reaches on p: a number as it is
// (the port itself when unset), a name looked up among p's container
// ports of sp's protocol. False when p has no port of that name.
func TargetPort(p *corev1.Pod, sp *corev1.ServicePort) (int32, bool) {
	tp := sp.TargetPort
	switch {
	case tp.Type == intstr.String && tp.StrVal != "":
		proto := sp.Protocol
		if proto == "" {
			proto = corev1.ProtocolTCP
		}
		for _, c := range p.Spec.Containers {
			for _, cp := range c.Ports {
				cpProto := cp.Protocol
				if cpProto == "" {
					cpProto = corev1.ProtocolTCP
				}
				if cp.Name == tp.StrVal && cpProto == proto {
					return cp.ContainerPort, true
				}
			}
		}
		return 0, false
	case tp.Type == intstr.Int && tp.IntVal != 0:
		return tp.IntVal, true
	}
	return sp.Port, true
}

// SetsHostname tells whether p's endpoint carries p's hostname: the pod
// names svc as its subdomain (the DNS name <hostname>.<svc>.<ns>.svc).
func SetsHostname(p *corev1.Pod, svc *corev1.Service) bool {
	return p.Spec.Hostname != "" && p.Spec.Subdomain == svc.Name && p.Namespace == svc.Namespace
}

// Changed tells whether cur differs from old in what endpoints show:
// IPs, readiness, deletion, phase, node, hostname, ports.
func Changed(old, cur *corev1.Pod) bool {
	if IsReady(old) != IsReady(cur) ||
		(old.DeletionTimestamp == nil) != (cur.DeletionTimestamp == nil) ||
		old.Status.Phase != cur.Status.Phase ||
		old.Status.PodIP != cur.Status.PodIP ||
		!reflect.DeepEqual(old.Status.PodIPs, cur.Status.PodIPs) ||
		old.Spec.NodeName != cur.Spec.NodeName ||
		old.Spec.Hostname != cur.Spec.Hostname || old.Spec.Subdomain != cur.Spec.Subdomain ||
		old.UID != cur.UID {
		return true
	}
	if len(old.Spec.Containers) != len(cur.Spec.Containers) {
		return true
	}
	for i := range old.Spec.Containers {
		if !reflect.DeepEqual(old.Spec.Containers[i].Ports, cur.Spec.Containers[i].Ports) {
			return true
		}
	}
	return false
}
