package algorithm

import (
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

func TestNodePorts(t *testing.T) {
	always := corev1.ContainerRestartPolicyAlways
	ports := func(ps ...corev1.ContainerPort) func(*corev1.Pod) {
		return func(p *corev1.Pod) { p.Spec.Containers[0].Ports = ps }
	}
	sidecarPorts := func(ps ...corev1.ContainerPort) func(*corev1.Pod) {
		return func(p *corev1.Pod) {
			p.Spec.InitContainers = []corev1.Container{{Name: "s", RestartPolicy: &always, Ports: ps}}
		}
	}
	initPorts := func(ps ...corev1.ContainerPort) func(*corev1.Pod) {
		return func(p *corev1.Pod) { p.Spec.InitContainers = []corev1.Container{{Name: "i", Ports: ps}} }
	}
	hp := func(ip string, proto corev1.Protocol, port int32) corev1.ContainerPort {
		return corev1.ContainerPort{ContainerPort: 80, HostIP: ip, Protocol: proto, HostPort: port}
	}
	tests := []struct {
		name      string
		existing  func(*corev1.Pod)
		pod       func(*corev1.Pod)
		conflicts bool
	}{
		{"no host ports", ports(hp("", "TCP", 8080)), ports(corev1.ContainerPort{ContainerPort: 8080}), false},
		{"same port", ports(hp("", "TCP", 8080)), ports(hp("", "TCP", 8080)), true},
		{"empty protocol is TCP", ports(hp("", "", 8080)), ports(hp("", "TCP", 8080)), true},
		{"other port", ports(hp("", "TCP", 8080)), ports(hp("", "TCP", 8081)), false},
		{"other protocol", ports(hp("", "TCP", 53)), ports(hp("", "UDP", 53)), false},
		{"other addresses", ports(hp("10.0.0.1", "TCP", 80)), ports(hp("10.0.0.2", "TCP", 80)), false},
		{"same address", ports(hp("10.0.0.1", "TCP", 80)), ports(hp("10.0.0.1", "TCP", 80)), true},
		{"wildcard against an address", ports(hp("0.0.0.0", "TCP", 80)), ports(hp("10.0.0.2", "TCP", 80)), true},
		{"address against the wildcard", ports(hp("10.0.0.1", "TCP", 80)), ports(hp("", "TCP", 80)), true},
		{"a sidecar holds its port", sidecarPorts(hp("", "TCP", 80)), ports(hp("", "TCP", 80)), true},
		{"an init container holds none", initPorts(hp("", "TCP", 80)), ports(hp("", "TCP", 80)), false},
		{"the pod's sidecar wants one", ports(hp("", "TCP", 80)), sidecarPorts(hp("", "TCP", 80)), true},
	}
	for _, tc := range tests {
		n := NewNodeInfo(node("n", "1", "1Gi", 10), pod("other", "", "", tc.existing))
		want := []string(nil)
		if tc.conflicts {
			want = []string{reasonPorts}
		}
		if got := nodePorts(pod("p", "", "", tc.pod), n); !slices.Equal(got, want) {
			t.Errorf("%s: %q, want %q", tc.name, got, want)
		}
	}
}
