package storage_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes/scheme"

	"github.com/skiffrt/skiff/controlplane/etcd/etcdtest"
	"github.com/skiffrt/skiff/controlplane/storage"
)

func newStore(t *testing.T) *storage.Store {
	return storage.New(etcdtest.Start(t), storage.NewCodec(scheme.Scheme), "/registry")
}

func cm(name, v string) *corev1.ConfigMap {
	return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns"}, Data: map[string]string{"v": v}}
}

func rv(t *testing.T, obj runtime.Object) int64 {
	t.Helper()
	r, err := storage.ParseRevision(obj.(metav1.Object).GetResourceVersion())
	if err != nil || r == 0 {
		t.Fatalf("resourceVersion %q: %v", obj.(metav1.Object).GetResourceVersion(), err)
	}
	return r
}

func TestCreateGetUpdateDelete(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	key := storage.Key("", "configmaps", "ns", "a")
	if key != "core/configmaps/ns/a" {
		t.Fatalf("key %q", key)
	}
	obj := cm("a", "1")
	if err := s.Create(ctx, key, obj); err != nil {
		t.Fatal(err)
	}
	created := rv(t, obj)
	if err := s.Create(ctx, key, cm("a", "2")); !errors.Is(err, storage.ErrExists) {
		t.Fatalf("second create: %v", err)
	}
	got, err := s.Get(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	if got.(*corev1.ConfigMap).Data["v"] != "1" || rv(t, got) != created {
		t.Fatalf("get: %+v", got)
	}
	upd := cm("a", "2")
	if err := s.Update(ctx, key, upd, created); err != nil {
		t.Fatal(err)
	}
	if err := s.Update(ctx, key, cm("a", "3"), created); !errors.Is(err, storage.ErrConflict) {
		t.Fatalf("stale update: %v", err)
	}
	if _, err := s.Delete(ctx, key, created); !errors.Is(err, storage.ErrConflict) {
		t.Fatalf("stale delete: %v", err)
	}
	gone, err := s.Delete(ctx, key, rv(t, upd))
	if err != nil {
		t.Fatal(err)
	}
	if gone.(*corev1.ConfigMap).Data["v"] != "2" || rv(t, gone) <= rv(t, upd) {
		t.Fatalf("deleted object %+v", gone)
	}
	if _, err := s.Get(ctx, key); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("get after delete: %v", err)
	}
	if err := s.Update(ctx, key, cm("a", "4"), 1); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("update of missing: %v", err)
	}
}

func TestListPagesAndFilters(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	for i := range 7 {
		if err := s.Create(ctx, storage.Key("", "configmaps", "ns", fmt.Sprintf("c%d", i)), cm(fmt.Sprintf("c%d", i), fmt.Sprint(i%2))); err != nil {
			t.Fatal(err)
		}
	}
	// Another namespace shares no prefix.
	if err := s.Create(ctx, storage.Key("", "configmaps", "ns2", "x"), cm("x", "0")); err != nil {
		t.Fatal(err)
	}
	odd := func(o runtime.Object) bool { return o.(*corev1.ConfigMap).Data["v"] == "1" }
	tests := []struct {
		name  string
		limit int64
		match func(runtime.Object) bool
		pages []int
	}{
		{"all", 0, nil, []int{7}},
		{"pages of 3", 3, nil, []int{3, 3, 1}},
		{"filtered pages of 2", 2, odd, []int{2, 1}},
		{"exact fit", 7, nil, []int{7}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			opts := storage.ListOptions{Limit: tc.limit, Match: tc.match}
			var pages []int
			var first int64
			for {
				res, err := s.List(ctx, storage.Key("", "configmaps", "ns", ""), opts)
				if err != nil {
					t.Fatal(err)
				}
				if first == 0 {
					first = res.Revision
				} else if res.Revision != first {
					t.Fatalf("page revision %d, first %d", res.Revision, first)
				}
				pages = append(pages, len(res.Items))
				if res.Continue == "" {
					break
				}
				// A write between pages changes neither the pages nor
				// their revision.
				key := storage.Key("", "configmaps", "ns", fmt.Sprintf("z%d", len(pages)))
				late := cm("z", "1")
				if err := s.Create(ctx, key, late); err != nil {
					t.Fatal(err)
				}
				defer s.Delete(ctx, key, rv(t, late))
				opts.Continue = res.Continue
			}
			if fmt.Sprint(pages) != fmt.Sprint(tc.pages) {
				t.Fatalf("pages %v, want %v", pages, tc.pages)
			}
		})
	}
	if _, err := s.List(ctx, storage.Key("", "configmaps", "ns", ""), storage.ListOptions{Continue: "garbage"}); !errors.Is(err, storage.ErrBadContinue) {
		t.Fatalf("bad continue: %v", err)
	}
}

func TestWatch(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	s := newStore(t)
	key := storage.Key("", "configmaps", "ns", "w")
	start, err := s.Revision(ctx)
	if err != nil {
		t.Fatal(err)
	}
	obj := cm("w", "1")
	if err := s.Create(ctx, key, obj); err != nil {
		t.Fatal(err)
	}
	upd := cm("w", "2")
	if err := s.Update(ctx, key, upd, rv(t, obj)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Delete(ctx, key, rv(t, upd)); err != nil {
		t.Fatal(err)
	}
	events := s.Watch(ctx, storage.Key("", "configmaps", "ns", ""), start)
	want := []struct {
		typ      watch.EventType
		cur, old string
	}{{watch.Added, "1", ""}, {watch.Modified, "2", "1"}, {watch.Deleted, "2", "2"}}
	for _, w := range want {
		ev := <-events
		if ev.Type != w.typ || ev.Object.(*corev1.ConfigMap).Data["v"] != w.cur {
			t.Fatalf("event %+v, want %v %s", ev, w.typ, w.cur)
		}
		if w.old != "" && (ev.Prev == nil || ev.Prev.(*corev1.ConfigMap).Data["v"] != w.old) {
			t.Fatalf("%v event prev %+v", ev.Type, ev.Prev)
		}
		if rv(t, ev.Object) != ev.Revision {
			t.Fatalf("event object rv %d, revision %d", rv(t, ev.Object), ev.Revision)
		}
	}

	// After a compaction, watching from before it is gone.
	now, _ := s.Revision(ctx)
	if err := s.Compact(ctx, now); err != nil {
		t.Fatal(err)
	}
	ev := <-s.Watch(ctx, storage.Key("", "configmaps", "ns", ""), start)
	if ev.Type != watch.Error || !errors.Is(ev.Err, storage.ErrGone) {
		t.Fatalf("watch from compacted revision: %+v", ev)
	}
	if _, err := s.List(ctx, "core/configmaps/", storage.ListOptions{Revision: start}); !errors.Is(err, storage.ErrGone) {
		t.Fatalf("list at compacted revision: %v", err)
	}
}

func TestTTL(t *testing.T) {
	ctx := context.Background()
	s := newStore(t).WithTTL(time.Second)
	for _, name := range []string{"a", "b"} {
		if err := s.Create(ctx, storage.Key("", "events", "ns", name), cm(name, "1")); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		res, err := s.List(ctx, storage.Key("", "events", "ns", ""), storage.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Items) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d objects left after their TTL", len(res.Items))
		}
		time.Sleep(200 * time.Millisecond)
	}
}
