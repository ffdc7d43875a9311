package scheduler

import (
	"errors"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/skiffrt/skiff/controlplane/scheduler/algorithm"
)

func TestVolumeNodes(t *testing.T) {
	claims := cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{cache.NamespaceIndex: cache.MetaNamespaceIndexFunc})
	volumes := cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{})
	add := func(ix cache.Indexer, obj any) {
		if err := ix.Add(obj); err != nil {
			t.Fatal(err)
		}
	}
	add(claims, &corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "unbound"}})
	add(claims, &corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "on-n2"}, Spec: corev1.PersistentVolumeClaimSpec{VolumeName: "pv-n2"}})
	add(claims, &corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "on-n3"}, Spec: corev1.PersistentVolumeClaimSpec{VolumeName: "pv-n3"}})
	add(claims, &corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "dangling"}, Spec: corev1.PersistentVolumeClaimSpec{VolumeName: "gone"}})
	for _, n := range []string{"n2", "n3"} {
		add(volumes, &corev1.PersistentVolume{ObjectMeta: metav1.ObjectMeta{Name: "pv-" + n}, Spec: corev1.PersistentVolumeSpec{
			NodeAffinity: &corev1.VolumeNodeAffinity{Required: &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{{
				MatchFields: []corev1.NodeSelectorRequirement{{Key: "metadata.name", Operator: corev1.NodeSelectorOpIn, Values: []string{n}}},
			}}}},
		}})
	}
	l := volumeListers{claims: corelisters.NewPersistentVolumeClaimLister(claims), volumes: corelisters.NewPersistentVolumeLister(volumes)}
	var nodes []*algorithm.NodeInfo
	for _, n := range []string{"n1", "n2", "n3"} {
		nodes = append(nodes, algorithm.NewNodeInfo(&corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: n}}))
	}
	for _, tt := range []struct {
		claims []string
		want   string // the nodes kept, or the reason
	}{
		{nil, "n1 n2 n3"},
		{[]string{"unbound"}, "n1 n2 n3"},
		{[]string{"unbound", "on-n2"}, "n2"},
		{[]string{"on-n2", "on-n3"}, reasonVolumeNode},
		{[]string{"missing"}, `persistentvolumeclaim "missing" not found`},
		{[]string{"dangling"}, "pvc(s) bound to non-existent pv(s)"},
	} {
		pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "p"}}
		for _, c := range tt.claims {
			pod.Spec.Volumes = append(pod.Spec.Volumes, corev1.Volume{Name: c, VolumeSource: corev1.VolumeSource{
				PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: c}}})
		}
		kept, err := l.volumeNodes(pod, nodes)
		var got string
		var fit *algorithm.FitError
		switch {
		case errors.As(err, &fit):
			for r := range fit.Reasons {
				got = r
			}
		case err != nil:
			t.Fatalf("%v: %v", tt.claims, err)
		default:
			var names []string
			for _, n := range kept {
				names = append(names, n.Node.Name)
			}
			got = strings.Join(names, " ")
		}
		if got != tt.want {
			t.Errorf("%v: %q, want %q", tt.claims, got, tt.want)
		}
	}
}
