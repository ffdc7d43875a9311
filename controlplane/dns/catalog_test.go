package dns

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/tools/cache"
)

// The informer catalog indexes what the fake API holds, and keeps of
// pods only their addresses.
func TestInformers(t *testing.T) {
	c := testCatalog()
	full := pod("default", "p1", "10.244.0.9")
	full.Spec.Containers = []corev1.Container{{Name: "c", Image: "busybox"}}
	client := fake.NewClientset(c.services[0], c.services[2], c.slices[0], c.slices[1], full)
	f := informers.NewSharedInformerFactory(client, 0)
	cat, err := NewInformers(f)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer func() { cancel(); f.Shutdown() }()
	f.Start(ctx.Done())
	if !cache.WaitForCacheSync(ctx.Done(), cat.HasSynced) {
		t.Fatal("caches did not sync")
	}
	if s := cat.Service("default", "web"); s == nil || s.Spec.ClusterIP != "10.96.0.20" {
		t.Errorf("Service(default, web) = %v", s)
	}
	if s := cat.Service("default", "nope"); s != nil {
		t.Errorf("Service(default, nope) = %v", s)
	}
	if !cat.HasServices("default") || cat.HasServices("other") {
		t.Error("HasServices wrong")
	}
	if got := cat.ServicesByIP("10.96.0.20"); len(got) != 1 || got[0].Name != "web" {
		t.Errorf("ServicesByIP = %v", got)
	}
	if got := cat.EndpointSlices("default", "db"); len(got) != 2 {
		t.Errorf("EndpointSlices(default, db): %d slices, want 2", len(got))
	}
	got := cat.PodsByIP("10.244.0.9")
	if len(got) != 1 || got[0].Name != "p1" {
		t.Fatalf("PodsByIP = %v", got)
	}
	if len(got[0].Spec.Containers) != 0 {
		t.Error("the cached pod keeps its spec")
	}
	// the zone over the informers answers
	a, _ := NewZone("cluster.local", 5, cat).Lookup(questionA("db-0.db.default.svc.cluster.local."))
	if len(a.Records) != 1 {
		t.Errorf("headless endpoint over informers: %v", a)
	}
}
