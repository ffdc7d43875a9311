//go:build e2e

package controlplane

import (
	"context"
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
)

// TestInformer: client-go's typed client (protobuf bodies, protobuf-then-
// JSON Accept) and a shared informer, which lists with watch-list
// (sendInitialEvents and the initial-events-end bookmark) and then
// follows: what the controllers and the node agent will run on.
func TestInformer(t *testing.T) {
	s := startServer(t, "")
	cs, err := kubernetes.NewForConfig(s.restConfig())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	create := func(name string) {
		t.Helper()
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"set": "x"}}}
		if _, err := cs.CoreV1().ConfigMaps("default").Create(ctx, cm, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 3 {
		create(fmt.Sprintf("before-%d", i))
	}

	factory := informers.NewSharedInformerFactoryWithOptions(cs, 0, informers.WithNamespace("default"),
		informers.WithTweakListOptions(func(o *metav1.ListOptions) { o.LabelSelector = "set=x" }))
	inf := factory.Core().V1().ConfigMaps().Informer()
	seen := make(chan string, 10)
	inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { seen <- "add " + obj.(*corev1.ConfigMap).Name },
		DeleteFunc: func(obj any) { seen <- "delete " + obj.(metav1.Object).GetName() },
	})
	factory.Start(ctx.Done())
	if !cache.WaitForCacheSync(ctx.Done(), inf.HasSynced) {
		t.Fatal("informer did not sync")
	}
	if n := len(inf.GetStore().List()); n != 3 {
		t.Fatalf("%d objects after sync", n)
	}
	create("after")
	if err := cs.CoreV1().ConfigMaps("default").Delete(ctx, "before-0", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{"add after": false, "delete before-0": false}
	for left := len(want); left > 0; {
		select {
		case ev := <-seen:
			if done, ok := want[ev]; ok && !done {
				want[ev] = true
				left--
			}
		case <-ctx.Done():
			t.Fatalf("events missing: %v", want)
		}
	}
}
