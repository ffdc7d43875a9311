package apiserver

import (
	"fmt"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
)

func TestEncodedEvents(t *testing.T) {
	c := newEncodedEvents()
	cm := func(name string) *corev1.ConfigMap {
		return &corev1.ConfigMap{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"}, ObjectMeta: metav1.ObjectMeta{Name: name}}
	}
	a := cm("a")
	l1, err := c.line(watch.Added, a)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"type":"ADDED","object":{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"a"}}}` + "\n"; string(l1) != want {
		t.Fatalf("line %s, want %s", l1, want)
	}
	l2, _ := c.line(watch.Added, a)
	if &l1[0] != &l2[0] {
		t.Error("the same event was encoded twice")
	}
	if l3, _ := c.line(watch.Modified, a); !strings.HasPrefix(string(l3), `{"type":"MODIFIED"`) {
		t.Errorf("another type: %s", l3)
	}
	if l4, _ := c.line(watch.Added, cm("a")); &l4[0] == &l1[0] {
		t.Error("an equal but other object shared a line")
	}
	for i := range 2 * encodedCapacity {
		if _, err := c.line(watch.Added, cm(fmt.Sprint(i))); err != nil {
			t.Fatal(err)
		}
	}
	if len(c.lines) > encodedCapacity {
		t.Errorf("%d lines kept", len(c.lines))
	}
}
