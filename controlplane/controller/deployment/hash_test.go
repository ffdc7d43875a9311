package deployment

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestTemplateHash(t *testing.T) {
	template := &corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "web"}},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "httpd", Image: "httpd:2.4"}}},
	}
	h := templateHash(template, nil)
	// Pinned: the hash is part of ReplicaSet names, which must not change
	// between versions of skiff (a new name would roll every Deployment).
	if h != "644d9f677b" {
		t.Errorf("hash %q changed", h)
	}
	if strings.ContainsAny(h, "aeiou013") {
		t.Errorf("hash %q uses letters of the unsafe alphabet", h)
	}
	if again := templateHash(template.DeepCopy(), nil); again != h {
		t.Errorf("hash not stable: %s, %s", h, again)
	}
	one := int32(1)
	if c := templateHash(template, &one); c == h {
		t.Error("the collision count does not change the hash")
	}
	other := template.DeepCopy()
	other.Spec.Containers[0].Image = "httpd:2.5"
	if templateHash(other, nil) == h {
		t.Error("another image, the same hash")
	}
}

func TestReplicaSetName(t *testing.T) {
	if n := replicaSetName("web", "5d4f8"); n != "web-5d4f8" {
		t.Fatal(n)
	}
	long := strings.Repeat("a", 260)
	if n := replicaSetName(long, "5d4f8"); len(n) != 253 || !strings.HasSuffix(n, "a-5d4f8") {
		t.Fatalf("%d %s", len(n), n[240:])
	}
}
