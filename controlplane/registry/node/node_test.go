package node

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

func TestDefaultAllocatable(t *testing.T) {
	capacity := corev1.ResourceList{"cpu": resource.MustParse("4"), "pods": resource.MustParse("110")}
	tests := []struct {
		name   string
		status corev1.NodeStatus
		want   string // allocatable cpu, "" for none
	}{
		{"from capacity", corev1.NodeStatus{Capacity: capacity}, "4"},
		{"given", corev1.NodeStatus{Capacity: capacity, Allocatable: corev1.ResourceList{"cpu": resource.MustParse("3")}}, "3"},
		{"given empty", corev1.NodeStatus{Capacity: capacity, Allocatable: corev1.ResourceList{}}, ""},
		{"no capacity", corev1.NodeStatus{}, ""},
	}
	for _, tc := range tests {
		n := &corev1.Node{Status: tc.status}
		strategy{}.Default(n)
		got := ""
		if q, ok := n.Status.Allocatable["cpu"]; ok {
			got = q.String()
		}
		if got != tc.want {
			t.Errorf("%s: allocatable cpu %q, want %q", tc.name, got, tc.want)
		}
	}
	n := &corev1.Node{Status: corev1.NodeStatus{Capacity: capacity}}
	strategy{}.Default(n)
	n.Status.Allocatable["cpu"] = resource.MustParse("1")
	if q := n.Status.Capacity["cpu"]; q.String() != "4" {
		t.Errorf("allocatable shares capacity's map")
	}
}
