package algorithm

import (
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

func TestResourcesFit(t *testing.T) {
	extended := func(name corev1.ResourceName, q string) func(*corev1.Pod) {
		return func(p *corev1.Pod) { p.Spec.Containers[0].Resources.Requests[name] = resource.MustParse(q) }
	}
	offers := func(name corev1.ResourceName, q string) func(*corev1.Node) {
		return func(n *corev1.Node) { n.Status.Allocatable[name] = resource.MustParse(q) }
	}
	tests := []struct {
		name     string
		node     *corev1.Node
		existing []*corev1.Pod
		pod      *corev1.Pod
		want     []string
	}{
		{"fits", node("n", "2", "2Gi", 10), nil, pod("p", "1", "1Gi"), nil},
		{"fits exactly", node("n", "2", "2Gi", 10), []*corev1.Pod{pod("a", "1", "1Gi")}, pod("p", "1", "1Gi"), nil},
		{"cpu taken", node("n", "2", "2Gi", 10), []*corev1.Pod{pod("a", "1500m", "")}, pod("p", "1", "1Gi"), []string{"Insufficient cpu"}},
		{"too big for the node", node("n", "2", "2Gi", 10), nil, pod("p", "3", "3Gi"), []string{"Insufficient cpu", "Insufficient memory"}},
		{"nothing requested fits a full node", node("n", "1", "1Gi", 10), []*corev1.Pod{pod("a", "1", "1Gi")}, pod("p", "", ""), nil},
		{"too many pods", node("n", "2", "2Gi", 1), []*corev1.Pod{pod("a", "", "")}, pod("p", "", ""), []string{"Too many pods"}},
		{"too many pods and too little memory", node("n", "2", "1Gi", 1), []*corev1.Pod{pod("a", "", "")}, pod("p", "", "2Gi"),
			[]string{"Too many pods", "Insufficient memory"}},
		{"no pods allocatable", node("n", "2", "2Gi", 0), nil, pod("p", "", ""), []string{"Too many pods"}},
		{"ephemeral storage", node("n", "2", "2Gi", 10, offers("ephemeral-storage", "10Gi")),
			[]*corev1.Pod{pod("a", "", "", extended("ephemeral-storage", "8Gi"))}, pod("p", "", "", extended("ephemeral-storage", "4Gi")),
			[]string{"Insufficient ephemeral-storage"}},
		{"an extended resource the node lacks", node("n", "2", "2Gi", 10), nil, pod("p", "", "", extended("example.com/gpu", "1")),
			[]string{"Insufficient example.com/gpu"}},
		{"an extended resource the node has", node("n", "2", "2Gi", 10, offers("example.com/gpu", "2")), nil, pod("p", "", "", extended("example.com/gpu", "2")), nil},
	}
	for _, tc := range tests {
		if got := resourcesFit(tc.pod, NewNodeInfo(tc.node, tc.existing...)); !slices.Equal(got, tc.want) {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}
