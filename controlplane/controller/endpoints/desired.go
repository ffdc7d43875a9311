package endpoints

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/skiffrt/skiff/controlplane/controller/servicepods"
)

const (
	// maxAddresses an Endpoints lists (upstream's).
	maxAddresses = 1000
	// overCapacity marks Endpoints cut at maxAddresses.
	overCapacity = "endpoints.kubernetes.io/over-capacity"
)

// subsets returns the subsets of svc's Endpoints for the pods it
// selects, sorted.
func subsets(svc *corev1.Service, selected []*corev1.Pod) []corev1.EndpointSubset {
	publish := svc.Spec.PublishNotReadyAddresses
	byPorts := map[string]*corev1.EndpointSubset{}
	for _, p := range selected {
		if !servicepods.IsEndpoint(p, publish) {
			continue
		}
		addr, ok := address(svc, p)
		if !ok {
			continue
		}
		ports, ok := podPorts(svc, p)
		if !ok {
			continue
		}
		k := portsKey(ports)
		ss := byPorts[k]
		if ss == nil {
			ss = &corev1.EndpointSubset{Ports: ports}
			byPorts[k] = ss
		}
		if publish || servicepods.IsReady(p) {
			ss.Addresses = append(ss.Addresses, addr)
		} else {
			ss.NotReadyAddresses = append(ss.NotReadyAddresses, addr)
		}
	}
	out := []corev1.EndpointSubset{}
	for _, k := range slices.Sorted(maps.Keys(byPorts)) {
		ss := byPorts[k]
		sortAddresses(ss.Addresses)
		sortAddresses(ss.NotReadyAddresses)
		out = append(out, *ss)
	}
	return out
}

// address is p's address in svc's Endpoints: its IP of svc's first
// family (for a headless Service without families, that of its first
// IP).
func address(svc *corev1.Service, p *corev1.Pod) (corev1.EndpointAddress, bool) {
	v6 := false
	switch {
	case len(svc.Spec.IPFamilies) > 0:
		v6 = svc.Spec.IPFamilies[0] == corev1.IPv6Protocol
	case svc.Spec.ClusterIP != "" && svc.Spec.ClusterIP != corev1.ClusterIPNone:
		v6 = servicepods.IsV6(svc.Spec.ClusterIP)
	default:
		v6 = servicepods.IsV6(p.Status.PodIP)
	}
	ips := servicepods.IPs(p, v6)
	if len(ips) == 0 {
		return corev1.EndpointAddress{}, false
	}
	a := corev1.EndpointAddress{
		IP:        ips[0],
		TargetRef: &corev1.ObjectReference{Kind: "Pod", Namespace: p.Namespace, Name: p.Name, UID: p.UID},
	}
	if n := p.Spec.NodeName; n != "" {
		a.NodeName = &n
	}
	if servicepods.SetsHostname(p, svc) {
		a.Hostname = p.Spec.Hostname
	}
	return a, true
}

// podPorts returns svc's ports as they reach p; false when svc has
// ports and none reaches p, or has none and is not headless.
func podPorts(svc *corev1.Service, p *corev1.Pod) ([]corev1.EndpointPort, bool) {
	if len(svc.Spec.Ports) == 0 {
		return nil, svc.Spec.ClusterIP == corev1.ClusterIPNone
	}
	var out []corev1.EndpointPort
	for i := range svc.Spec.Ports {
		sp := &svc.Spec.Ports[i]
		n, ok := servicepods.TargetPort(p, sp)
		if !ok {
			continue
		}
		out = append(out, corev1.EndpointPort{Name: sp.Name, Port: n, Protocol: cmp.Or(sp.Protocol, corev1.ProtocolTCP), AppProtocol: sp.AppProtocol})
	}
	slices.SortFunc(out, func(a, b corev1.EndpointPort) int {
		return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.Port, b.Port), cmp.Compare(a.Protocol, b.Protocol))
	})
	return out, len(out) > 0
}

func portsKey(ports []corev1.EndpointPort) string {
	parts := make([]string, len(ports))
	for i, p := range ports {
		app := ""
		if p.AppProtocol != nil {
			app = *p.AppProtocol
		}
		parts[i] = fmt.Sprintf("%s/%s/%d/%s", p.Name, p.Protocol, p.Port, app)
	}
	return strings.Join(parts, ",")
}

func sortAddresses(as []corev1.EndpointAddress) {
	slices.SortFunc(as, func(a, b corev1.EndpointAddress) int {
		return cmp.Or(cmp.Compare(a.IP, b.IP), cmp.Compare(a.TargetRef.UID, b.TargetRef.UID))
	})
}

// truncate cuts subsets to maxAddresses addresses, ready ones first;
// true if it cut.
func truncate(subsets []corev1.EndpointSubset) bool {
	total := 0
	for _, ss := range subsets {
		total += len(ss.Addresses) + len(ss.NotReadyAddresses)
	}
	if total <= maxAddresses {
		return false
	}
	budget := maxAddresses
	for i := range subsets {
		n := min(budget, len(subsets[i].Addresses))
		subsets[i].Addresses = subsets[i].Addresses[:n]
		budget -= n
	}
	for i := range subsets {
		n := min(budget, len(subsets[i].NotReadyAddresses))
		subsets[i].NotReadyAddresses = subsets[i].NotReadyAddresses[:n]
		budget -= n
	}
	return true
}

// triggerTime is when the endpoints last changed as far as the objects
// tell: the newest readiness change among the pods, or the Service's
// creation.
func triggerTime(svc *corev1.Service, selected []*corev1.Pod) time.Time {
	t := svc.CreationTimestamp.Time
	for _, p := range selected {
		for _, c := range p.Status.Conditions {
			if c.Type == corev1.PodReady && c.LastTransitionTime.After(t) {
				t = c.LastTransitionTime.Time
			}
		}
	}
	return t
}

// labels are the labels of svc's Endpoints.
func labels(svc *corev1.Service) map[string]string {
	out := maps.Clone(svc.Labels)
	if out == nil {
		out = map[string]string{}
	}
	delete(out, corev1.IsHeadlessService)
	if svc.Spec.ClusterIP == corev1.ClusterIPNone {
		out[corev1.IsHeadlessService] = ""
	}
	return out
}
