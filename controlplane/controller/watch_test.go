package controller

import (
	"context"
	"errors"
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"
)

// fakeInformer records the handlers added to it. Only AddEventHandler
// and HasSynced are implemented.
type fakeInformer struct {
	cache.SharedIndexInformer
	handlers []cache.ResourceEventHandler
	synced   bool
	err      error
}

func (f *fakeInformer) AddEventHandler(h cache.ResourceEventHandler) (cache.ResourceEventHandlerRegistration, error) {
	if f.err != nil {
		return nil, f.err
	}
	f.handlers = append(f.handlers, h)
	return nil, nil
}

func (f *fakeInformer) HasSynced() bool { return f.synced }

func TestRegister(t *testing.T) {
	watched, read := &fakeInformer{synced: true}, &fakeInformer{}
	h := cache.ResourceEventHandlerFuncs{}
	synced, err := Register(Watch{Informer: watched, Handler: h}, Watch{Informer: read})
	if err != nil {
		t.Fatal(err)
	}
	if len(watched.handlers) != 1 || len(read.handlers) != 0 {
		t.Fatalf("handlers added: %d to the watched informer, %d to the one only read", len(watched.handlers), len(read.handlers))
	}
	if len(synced) != 2 || !synced[0]() || synced[1]() {
		t.Fatal("HasSynced of both informers, in order, expected")
	}
	broken := &fakeInformer{err: errors.New("informer stopped")}
	if _, err := Register(Watch{Informer: broken, Handler: h}); err == nil {
		t.Fatal("the informer's error was lost")
	}
}

// TestHandler: adds, updates (the new state) and deletions, tombstones
// included, queue the key keyOf gives; keyOf's false queues nothing.
func TestHandler(t *testing.T) {
	q := NewQueue("test", func(context.Context, string) error { return nil })
	defer q.queue.ShutDown()
	h := q.Handler(func(obj any) (string, bool) {
		p, ok := Unwrap[*corev1.Pod](obj)
		if !ok || p.Spec.NodeName == "" {
			return "", false
		}
		return p.Spec.NodeName, true
	})
	pod := func(node string) *corev1.Pod {
		return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "p"}, Spec: corev1.PodSpec{NodeName: node}}
	}
	h.OnAdd(pod("added"), false)
	h.OnAdd(pod(""), false)
	h.OnUpdate(pod("old"), pod("updated"))
	h.OnDelete(pod("deleted"))
	h.OnDelete(cache.DeletedFinalStateUnknown{Key: "ns/p", Obj: pod("tombstone")})
	h.OnDelete("not a pod")
	var got []string
	for q.Len() > 0 {
		key, _ := q.queue.Get()
		got = append(got, key)
		q.queue.Done(key)
	}
	slices.Sort(got)
	if want := []string{"added", "deleted", "tombstone", "updated"}; !slices.Equal(got, want) {
		t.Fatalf("queued %v, want %v", got, want)
	}
}
