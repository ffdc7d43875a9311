package registry_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
)

// TestWatchersShareFeed: watchers of one kind, from different revisions
// and namespaces, one of them slower than the shared feed keeps, each get
// exactly their changes, in order.
func TestWatchersShareFeed(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s := newStores(t)
	if _, err := s.ns.Create(ctx, "", &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "other"}}, opts); err != nil {
		t.Fatal(err)
	}
	create := func(ns string, i int) string {
		t.Helper()
		cm, err := s.cm.Create(ctx, ns, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("cm-%04d", i)}}, opts)
		if err != nil {
			t.Fatal(err)
		}
		return cm.(metav1.Object).GetResourceVersion()
	}
	watchFrom := func(ns, rv string) <-chan watch.Event {
		t.Helper()
		ch, err := s.cm.Watch(ctx, ns, &metav1.ListOptions{ResourceVersion: rv})
		if err != nil {
			t.Fatal(err)
		}
		return ch
	}
	var wg sync.WaitGroup
	const n = 1100 // more than a feed keeps
	check := func(name string, ch <-chan watch.Event, want func(i int) bool) {
		defer wg.Done()
		for i := 1; i <= n; i++ {
			if !want(i) {
				continue
			}
			select {
			case ev := <-ch:
				m := ev.Object.(metav1.Object)
				if ev.Type != watch.Added || m.GetName() != fmt.Sprintf("cm-%04d", i) {
					t.Errorf("%s: %s %s/%s, want ADDED cm-%04d", name, ev.Type, m.GetNamespace(), m.GetName(), i)
					return
				}
			case <-ctx.Done():
				t.Errorf("%s: no event for cm-%04d", name, i)
				return
			}
		}
	}
	start := create("default", 0)
	// Both follow the creations as they come: the first starts the
	// feed, the second reads it (or watches by itself if the feed
	// started after its revision).
	wg.Add(2)
	go check("first", watchFrom("", start), func(int) bool { return true })
	go check("second", watchFrom("", start), func(int) bool { return true })
	slow := watchFrom("default", start) // read only at the end: falls off the feed
	for i := 1; i <= n; i++ {
		ns := "default"
		if i%10 == 0 {
			ns = "other"
		}
		create(ns, i)
	}
	late := watchFrom("other", start) // from a revision the feed no longer holds
	wg.Add(2)
	go check("slow", slow, func(i int) bool { return i%10 != 0 })
	go check("late", late, func(i int) bool { return i%10 == 0 })
	wg.Wait()
}
