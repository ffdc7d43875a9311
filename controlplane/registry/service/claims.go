package service

import (
	"strconv"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// The claims of services (registry.Kind.Claims): one etcd key per cluster
// IP and per node port, holding the service's identity, taken and freed
// in the transactions that write the service.
const (
	ipPrefix   = "ranges/serviceips/"
	portPrefix = "ranges/servicenodeports/"
)

func ipKey(ip string) string    { return ipPrefix + ip }
func portKey(port int32) string { return portPrefix + strconv.Itoa(int(port)) }

// claims returns the keys of the addresses a service holds: its cluster
// IPs, node ports and health check node port.
func claims(obj runtime.Object) []string {
	s := obj.(*corev1.Service)
	var keys []string
	for _, ip := range clusterIPs(s) {
		keys = append(keys, ipKey(ip))
	}
	for _, p := range nodePorts(s) {
		keys = append(keys, portKey(p))
	}
	return keys
}

// clusterIPs are the allocated cluster IPs of s (none for a headless or
// ExternalName service).
func clusterIPs(s *corev1.Service) []string {
	var out []string
	for _, ip := range s.Spec.ClusterIPs {
		if ip != "" && ip != corev1.ClusterIPNone {
			out = append(out, ip)
		}
	}
	if len(out) == 0 && s.Spec.ClusterIP != "" && s.Spec.ClusterIP != corev1.ClusterIPNone {
		out = append(out, s.Spec.ClusterIP)
	}
	return out
}

// nodePorts are the node ports s holds, each once (a port may serve TCP
// and UDP of one service), its health check node port included.
func nodePorts(s *corev1.Service) []int32 {
	var out []int32
	seen := map[int32]bool{}
	add := func(p int32) {
		if p != 0 && !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	for _, p := range s.Spec.Ports {
		add(p.NodePort)
	}
	add(s.Spec.HealthCheckNodePort)
	return out
}
