package algorithm

import (
	"maps"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

func TestPodRequests(t *testing.T) {
	always := corev1.ContainerRestartPolicyAlways
	container := func(name, cpu, memory string) corev1.Container {
		return corev1.Container{Name: name, Resources: corev1.ResourceRequirements{Requests: list(cpu, memory)}}
	}
	sidecar := func(name, cpu, memory string) corev1.Container {
		c := container(name, cpu, memory)
		c.RestartPolicy = &always
		return c
	}
	const mi = 1 << 20
	tests := []struct {
		name    string
		spec    corev1.PodSpec
		want    amounts
		nonZero amounts
	}{
		{"containers add up",
			corev1.PodSpec{Containers: []corev1.Container{container("a", "100m", "64Mi"), container("b", "250m", "")}},
			amounts{"cpu": 350, "memory": 64 * mi},
			amounts{"cpu": 350, "memory": 264 * mi}},
		{"nothing requested",
			corev1.PodSpec{Containers: []corev1.Container{container("a", "", "")}},
			amounts{},
			amounts{"cpu": 100, "memory": 200 * mi}},
		{"the largest init container wins over a smaller sum",
			corev1.PodSpec{
				InitContainers: []corev1.Container{container("i1", "2", "10Mi"), container("i2", "500m", "1Gi")},
				Containers:     []corev1.Container{container("a", "1", "100Mi")},
			},
			amounts{"cpu": 2000, "memory": 1024 * mi},
			amounts{"cpu": 2000, "memory": 1024 * mi}},
		{"sidecars add to the containers and to later init containers",
			corev1.PodSpec{
				InitContainers: []corev1.Container{sidecar("s", "500m", "100Mi"), container("i", "1", "50Mi")},
				Containers:     []corev1.Container{container("a", "200m", "10Mi")},
			},
			amounts{"cpu": 1500, "memory": 150 * mi},
			amounts{"cpu": 1500, "memory": 150 * mi}},
		{"an init container before the sidecar runs alone",
			corev1.PodSpec{
				InitContainers: []corev1.Container{container("i", "1", ""), sidecar("s", "500m", "")},
				Containers:     []corev1.Container{container("a", "200m", "")},
			},
			amounts{"cpu": 1000},
			amounts{"cpu": 1000, "memory": 400 * mi}},
		{"pod-level requests replace the containers' and overhead adds",
			corev1.PodSpec{
				Containers: []corev1.Container{container("a", "100m", "10Mi")},
				Resources:  &corev1.ResourceRequirements{Requests: list("1", "")},
				Overhead:   list("50m", "20Mi"),
			},
			amounts{"cpu": 1050, "memory": 30 * mi},
			amounts{"cpu": 1050, "memory": 30 * mi}},
		{"other resources count in units",
			corev1.PodSpec{Containers: []corev1.Container{{Name: "a", Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{
				"ephemeral-storage": resourceQuantity("1Gi"), "example.com/gpu": resourceQuantity("2")}}}}},
			amounts{"ephemeral-storage": 1024 * mi, "example.com/gpu": 2},
			amounts{"ephemeral-storage": 1024 * mi, "example.com/gpu": 2, "cpu": 100, "memory": 200 * mi}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := &corev1.Pod{Spec: tc.spec}
			if got := requests(p); !maps.Equal(got, tc.want) {
				t.Errorf("requests = %v, want %v", got, tc.want)
			}
			if got := nonZeroRequests(p); !maps.Equal(got, tc.nonZero) {
				t.Errorf("nonZeroRequests = %v, want %v", got, tc.nonZero)
			}
		})
	}
}

func TestNewNodeInfoSumsRequests(t *testing.T) {
	n := NewNodeInfo(node("n", "2", "1Gi", 10), pod("a", "500m", "100Mi"), pod("b", "", ""))
	if want := (amounts{"cpu": 500, "memory": 100 << 20}); !maps.Equal(n.requested, want) {
		t.Errorf("requested = %v, want %v", n.requested, want)
	}
	if want := (amounts{"cpu": 600, "memory": 300 << 20}); !maps.Equal(n.nonZeroRequested, want) {
		t.Errorf("nonZeroRequested = %v, want %v", n.nonZeroRequested, want)
	}
}
