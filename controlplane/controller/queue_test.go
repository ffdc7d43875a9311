package controller

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"k8s.io/client-go/tools/cache"
)

// TestQueue: every key added is synced; a failed sync comes back; a key
// added while being synced is synced again, never by two workers at once;
// Run returns when its context ends.
func TestQueue(t *testing.T) {
	var mu sync.Mutex
	synced := map[string]int{}
	busy := map[string]bool{}
	done := make(chan struct{}, 10)
	var q *Queue[string]
	q = NewQueue("test", func(_ context.Context, key string) error {
		mu.Lock()
		if busy[key] {
			t.Errorf("%s synced by two workers", key)
		}
		busy[key] = true
		synced[key]++
		n := synced[key]
		mu.Unlock()
		if key == "again" && n == 1 {
			q.Add(key)
		}
		time.Sleep(5 * time.Millisecond)
		mu.Lock()
		busy[key] = false
		mu.Unlock()
		done <- struct{}{}
		if key == "fails" && n == 1 {
			return errors.New("try again")
		}
		return nil
	})
	ctx, cancel := context.WithCancel(t.Context())
	ran := make(chan struct{})
	go func() {
		q.Run(ctx, 3, func() bool { return true })
		close(ran)
	}()
	for _, k := range []string{"a", "fails", "again"} {
		q.Add(k)
	}
	for range 5 { // a, fails twice, again twice
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatalf("syncs so far: %v", synced)
		}
	}
	cancel()
	select {
	case <-ran:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return")
	}
	mu.Lock()
	defer mu.Unlock()
	if synced["a"] != 1 || synced["fails"] != 2 || synced["again"] != 2 {
		t.Fatalf("synced %v", synced)
	}
}

func TestUnwrap(t *testing.T) {
	type obj struct{ name string }
	if o, ok := Unwrap[*obj](&obj{"x"}); !ok || o.name != "x" {
		t.Fatal("plain object")
	}
	if o, ok := Unwrap[*obj](cache.DeletedFinalStateUnknown{Key: "ns/x", Obj: &obj{"y"}}); !ok || o.name != "y" {
		t.Fatal("tombstone")
	}
	if _, ok := Unwrap[*obj]("other"); ok {
		t.Fatal("another type")
	}
}
