package algorithm

import corev1 "k8s.io/api/core/v1"

const reasonPorts = "node(s) didn't have free ports for the requested pod ports"

// hostPort is one port a pod takes on its node's addresses.
type hostPort struct {
	ip       string // "" or 0.0.0.0: every address
	protocol corev1.Protocol
	port     int32
}

// conflicts tells whether two host ports cannot both be bound.
func (a hostPort) conflicts(b hostPort) bool {
	if a.port != b.port || a.protocol != b.protocol {
		return false
	}
	return a.ip == b.ip || wildcard(a.ip) || wildcard(b.ip)
}

func wildcard(ip string) bool { return ip == "" || ip == "0.0.0.0" }

// hostPorts are the host ports of a pod's containers and sidecars.
func hostPorts(pod *corev1.Pod) []hostPort {
	var out []hostPort
	add := func(c *corev1.Container) {
		for _, p := range c.Ports {
			if p.HostPort <= 0 {
				continue
			}
			proto := p.Protocol
			if proto == "" {
				proto = corev1.ProtocolTCP
			}
			out = append(out, hostPort{ip: p.HostIP, protocol: proto, port: p.HostPort})
		}
	}
	for i := range pod.Spec.Containers {
		add(&pod.Spec.Containers[i])
	}
	for i := range pod.Spec.InitContainers {
		if isSidecar(&pod.Spec.InitContainers[i]) {
			add(&pod.Spec.InitContainers[i])
		}
	}
	return out
}

// nodePorts refuses a node where a pod already holds one of the host
// ports the pod wants.
func nodePorts(pod *corev1.Pod, n *NodeInfo) []string {
	want := hostPorts(pod)
	if len(want) == 0 {
		return nil
	}
	for _, other := range n.Pods {
		for _, used := range hostPorts(other) {
			for _, w := range want {
				if w.conflicts(used) {
					return []string{reasonPorts}
				}
			}
		}
	}
	return nil
}
