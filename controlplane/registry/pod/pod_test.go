package pod

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

func TestDefaultPullPolicy(t *testing.T) {
	for image, want := range map[string]corev1.PullPolicy{
		"busybox": "Always", "busybox:latest": "Always", "busybox:1.36": "IfNotPresent",
		"localhost:5000/busybox": "Always", "localhost:5000/busybox:1": "IfNotPresent", "busybox@sha256:abc": "IfNotPresent",
	} {
		if got := defaultPullPolicy(image); got != want {
			t.Errorf("%s: %s, want %s", image, got, want)
		}
	}
}

func TestValidateSpec(t *testing.T) {
	ok := func() corev1.PodSpec {
		s := corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "busybox"}}}
		DefaultSpec(&s)
		return s
	}
	tests := []struct {
		name   string
		change func(*corev1.PodSpec)
		path   string
	}{
		{"no containers", func(s *corev1.PodSpec) { s.Containers = nil }, "spec.containers"},
		{"no image", func(s *corev1.PodSpec) { s.Containers[0].Image = "" }, "spec.containers[0].image"},
		{"bad name", func(s *corev1.PodSpec) { s.Containers[0].Name = "Bad_Name" }, "spec.containers[0].name"},
		{"duplicate name", func(s *corev1.PodSpec) { s.Containers = append(s.Containers, s.Containers[0]) }, "spec.containers[1].name"},
		{"bad port", func(s *corev1.PodSpec) {
			s.Containers[0].Ports = []corev1.ContainerPort{{ContainerPort: 70000, Protocol: "TCP"}}
		}, "spec.containers[0].ports[0].containerPort"},
		{"request above limit", func(s *corev1.PodSpec) {
			s.Containers[0].Resources = corev1.ResourceRequirements{
				Requests: corev1.ResourceList{"cpu": resource.MustParse("2")}, Limits: corev1.ResourceList{"cpu": resource.MustParse("1")}}
		}, "spec.containers[0].resources.requests[cpu]"},
		{"bad restart policy", func(s *corev1.PodSpec) { s.RestartPolicy = "Sometimes" }, "spec.restartPolicy"},
	}
	for _, tc := range tests {
		s := ok()
		tc.change(&s)
		errs := ValidateSpec(&s, field.NewPath("spec"))
		if len(errs) == 0 || errs[0].Field != tc.path {
			t.Errorf("%s: %v, want an error on %s", tc.name, errs, tc.path)
		}
	}
	if s := ok(); len(ValidateSpec(&s, field.NewPath("spec"))) > 0 {
		t.Error("valid spec refused")
	}
}

func TestValidateUpdate(t *testing.T) {
	old := &corev1.Pod{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "a"}}}}
	DefaultSpec(&old.Spec)
	image := old.DeepCopy()
	image.Spec.Containers[0].Image = "b"
	bind := old.DeepCopy()
	bind.Spec.NodeName = "n1"
	env := old.DeepCopy()
	env.Spec.Containers[0].Env = []corev1.EnvVar{{Name: "X", Value: "1"}}
	for name, tc := range map[string]struct {
		pod *corev1.Pod
		ok  bool
	}{"image": {image, true}, "first node": {bind, true}, "env": {env, false}} {
		if errs := (strategy{}).ValidateUpdate(tc.pod, old); (len(errs) == 0) != tc.ok {
			t.Errorf("%s: %v", name, errs)
		}
	}
	moved := bind.DeepCopy()
	moved.Spec.NodeName = "n2"
	if errs := (strategy{}).ValidateUpdate(moved, bind); len(errs) == 0 {
		t.Error("pod moved to another node")
	}
}
