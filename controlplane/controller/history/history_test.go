package history

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/skiffrt/skiff/controlplane/controller/history/historytest"
)

var stsKind = appsv1.SchemeGroupVersion.WithKind("StatefulSet")

func owner() *appsv1.StatefulSet {
	return &appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "web", UID: "sts-uid"}}
}

func TestHash(t *testing.T) {
	a, b := []byte(`{"a":1}`), []byte(`{"a":2}`)
	zero, one := int32(0), int32(1)
	if Hash(a, nil) != Hash(a, nil) || Hash(a, nil) != Hash(a, &zero) {
		t.Fatal("not stable")
	}
	if Hash(a, nil) == Hash(b, nil) || Hash(a, nil) == Hash(a, &one) {
		t.Fatal("data or collision count ignored")
	}
	r := New(owner(), stsKind, map[string]string{"app": "web"}, a, 3, nil)
	if r.Name != "web-"+Hash(a, nil) || r.Labels[HashLabel] != Hash(a, nil) || r.Labels["app"] != "web" || r.Revision != 3 ||
		!metav1.IsControlledBy(r, owner()) {
		t.Fatalf("revision %+v", r.ObjectMeta)
	}
}

func TestCreateCollision(t *testing.T) {
	f := historytest.New()
	data := []byte(`{"spec":1}`)
	// A namesake of other data takes the first name.
	f.Revs[Name("web", Hash(data, nil))] = &appsv1.ControllerRevision{Data: runtime.RawExtension{Raw: []byte(`{"other":1}`)}}
	var count int32
	rev := New(owner(), stsKind, nil, data, 1, &count)
	got, err := Create(t.Context(), f, owner(), rev, &count)
	if err != nil || count != 1 || got.Name != Name("web", Hash(data, &count)) {
		t.Fatalf("got %v, %v, count %d", got, err, count)
	}
	// The same data again is the existing revision.
	again, err := Create(t.Context(), f, owner(), rev, &count)
	if err != nil || again.Name != got.Name || count != 1 {
		t.Fatalf("again %v, %v, count %d", again, err, count)
	}
}

func TestSortNext(t *testing.T) {
	revs := []*appsv1.ControllerRevision{{Revision: 3}, {Revision: 1}, {Revision: 2}}
	Sort(revs)
	if revs[0].Revision != 1 || revs[2].Revision != 3 || Next(revs) != 4 || Next(nil) != 1 {
		t.Fatalf("%v", revs)
	}
}
