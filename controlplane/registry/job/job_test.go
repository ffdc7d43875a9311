package job

import (
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestGeneratedSelector(t *testing.T) {
	j := &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Name: "pi", UID: "u-1"},
		Spec: batchv1.JobSpec{Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{RestartPolicy: "Never",
			Containers: []corev1.Container{{Name: "c", Image: "busybox"}}}}}}
	s := strategy{}
	s.PrepareForCreate(j)
	s.Default(j)
	if errs := s.Validate(j); len(errs) > 0 {
		t.Fatal(errs)
	}
	if j.Spec.Selector.MatchLabels[batchv1.ControllerUidLabel] != "u-1" || j.Spec.Template.Labels[batchv1.JobNameLabel] != "pi" {
		t.Fatalf("selector %v, labels %v", j.Spec.Selector, j.Spec.Template.Labels)
	}
	if *j.Spec.Completions != 1 || *j.Spec.Parallelism != 1 || *j.Spec.BackoffLimit != 6 {
		t.Fatalf("defaults %+v", j.Spec)
	}
	j.Spec.Template.Spec.RestartPolicy = "Always"
	if errs := s.Validate(j); len(errs) != 1 || errs[0].Field != "spec.template.spec.restartPolicy" {
		t.Fatalf("restartPolicy Always: %v", errs)
	}
	old := j.DeepCopy()
	j.Spec.Template.Spec.Containers[0].Image = "other"
	if errs := s.ValidateUpdate(j, old); len(errs) != 1 || errs[0].Field != "spec.template" {
		t.Fatalf("template change: %v", errs)
	}
}
