package pods

import (
	"fmt"
	"slices"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

// events records events as "type reason message".
type events []string

func (e *events) Eventf(_ runtime.Object, eventtype, reason, messageFmt string, args ...any) {
	*e = append(*e, eventtype+" "+reason+" "+fmt.Sprintf(messageFmt, args...))
}

func TestControl(t *testing.T) {
	rs := &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "web-5d4f", UID: "rs-uid"}}
	ref := *metav1.NewControllerRef(rs, appsv1.SchemeGroupVersion.WithKind("ReplicaSet"))
	template := &corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "web"}, Annotations: map[string]string{"a": "b"}},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "busybox"}}},
	}
	client := fake.NewClientset()
	client.PrependReactor("create", "pods", func(a k8stesting.Action) (bool, runtime.Object, error) {
		p := a.(k8stesting.CreateAction).GetObject().(*corev1.Pod)
		p.Name = p.GenerateName + "abcde"
		return false, nil, nil
	})
	var ev events
	c := Control{Client: client, Recorder: &ev}
	p, err := c.Create(t.Context(), template, rs, ref)
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "web-5d4f-abcde" || p.Labels["app"] != "web" || p.Annotations["a"] != "b" || p.Spec.Containers[0].Image != "busybox" ||
		!metav1.IsControlledBy(p, rs) {
		t.Fatalf("created %+v", p)
	}
	template.Labels["app"] = "changed"
	if p.Labels["app"] != "web" {
		t.Fatal("pod shares its labels with the template")
	}
	if err := c.Delete(t.Context(), rs, p.Name); err != nil {
		t.Fatal(err)
	}
	if err := c.Delete(t.Context(), rs, p.Name); !apierrors.IsNotFound(err) {
		t.Fatalf("second delete: %v", err)
	}
	client.PrependReactor("create", "pods", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(corev1.Resource("pods"), "", fmt.Errorf("quota"))
	})
	if _, err := c.Create(t.Context(), template, rs, ref); err == nil {
		t.Fatal("create succeeded")
	}
	want := []string{
		"Normal SuccessfulCreate Created pod: web-5d4f-abcde",
		"Normal SuccessfulDelete Deleted pod: web-5d4f-abcde",
		`Warning FailedCreate Error creating: pods is forbidden: quota`,
	}
	if !slices.Equal(ev, want) {
		t.Fatalf("events\n%q\nwant\n%q", ev, want)
	}
}
