package algorithm

import (
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestLeastAllocated(t *testing.T) {
	tests := []struct {
		name     string
		node     *corev1.Node
		existing []*corev1.Pod
		pod      *corev1.Pod
		want     int64
	}{
		{"empty node, small pod", node("n", "4", "4Gi", 10), nil, pod("p", "1", "1Gi"), 75},
		{"cpu and memory average", node("n", "4", "4Gi", 10), nil, pod("p", "2", "1Gi"), (50 + 75) / 2},
		{"existing pods count", node("n", "4", "4Gi", 10), []*corev1.Pod{pod("a", "1", "1Gi")}, pod("p", "1", "1Gi"), 50},
		{"best-effort pods count with defaults", node("n", "1", "1000Mi", 10), []*corev1.Pod{pod("a", "", "")}, pod("p", "", ""),
			(80 + 60) / 2},
		{"full node", node("n", "1", "1Gi", 10), nil, pod("p", "1", "1Gi"), 0},
		{"more than the node", node("n", "1", "1Gi", 10), nil, pod("p", "2", "2Gi"), 0},
		{"nothing allocatable", node("n", "", "", 10), nil, pod("p", "1", "1Gi"), 0},
	}
	for _, tc := range tests {
		if got := leastAllocated(tc.pod, NewNodeInfo(tc.node, tc.existing...)); got != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, got, tc.want)
		}
	}
}

func TestSiblings(t *testing.T) {
	gone := func(p *corev1.Pod) { p.DeletionTimestamp = &metav1.Time{Time: time.Now()} }
	elsewhere := func(p *corev1.Pod) { p.Namespace = "other" }
	notController := func(p *corev1.Pod) { p.OwnerReferences[0].Controller = nil }
	n := NewNodeInfo(node("n", "4", "4Gi", 10),
		pod("a", "", "", ownedBy("rs1")),
		pod("b", "", "", ownedBy("rs1")),
		pod("c", "", "", ownedBy("rs2")),
		pod("d", "", ""),
		pod("e", "", "", ownedBy("rs1"), gone),
		pod("f", "", "", ownedBy("rs1"), elsewhere),
		pod("g", "", "", ownedBy("rs1"), notController),
	)
	tests := []struct {
		name string
		pod  *corev1.Pod
		want int64
	}{
		{"same controller", pod("p", "", "", ownedBy("rs1")), 2},
		{"other controller", pod("p", "", "", ownedBy("rs2")), 1},
		{"no pods of its controller", pod("p", "", "", ownedBy("rs3")), 0},
		{"no controller", pod("p", "", ""), 0},
		{"an owner that is not its controller", pod("p", "", "", ownedBy("rs1"), notController), 0},
	}
	for _, tc := range tests {
		if got := siblings(tc.pod, n); got != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, got, tc.want)
		}
	}
}

func TestNormalize(t *testing.T) {
	tests := []struct {
		name           string
		in             []int64
		plain, reverse []int64
	}{
		{"scaled to the highest", []int64{0, 5, 10}, []int64{0, 50, 100}, []int64{100, 50, 0}},
		{"all zero", []int64{0, 0}, []int64{0, 0}, []int64{100, 100}},
		{"all equal", []int64{3, 3}, []int64{100, 100}, []int64{0, 0}},
	}
	for _, tc := range tests {
		plain, reverse := slices.Clone(tc.in), slices.Clone(tc.in)
		normalize(plain)
		normalizeReverse(reverse)
		if !slices.Equal(plain, tc.plain) || !slices.Equal(reverse, tc.reverse) {
			t.Errorf("%s: normalize %v, reverse %v; want %v, %v", tc.name, plain, reverse, tc.plain, tc.reverse)
		}
	}
}
