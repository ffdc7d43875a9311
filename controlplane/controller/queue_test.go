package controller

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
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

// TestQueueBackoff: a key whose sync fails comes back after a back-off
// that doubles with every failure; a success forgets its failures.
func TestQueueBackoff(t *testing.T) {
	const failures = 3
	type attempt struct {
		at       time.Time
		requeues int
	}
	attempts := make(chan attempt, failures+1)
	n := 0 // attempts so far; one worker
	var q *Queue[string]
	q = NewQueue("test", func(_ context.Context, key string) error {
		attempts <- attempt{time.Now(), q.queue.NumRequeues(key)}
		if n++; n <= failures {
			return errors.New("try again")
		}
		return nil
	})
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	go q.Run(ctx, 1)
	q.Add("k")
	var prev time.Time
	for i := range failures + 1 {
		var a attempt
		select {
		case a = <-attempts:
		case <-time.After(5 * time.Second):
			t.Fatalf("attempt %d never came", i+1)
		}
		if a.requeues != i {
			t.Errorf("attempt %d: %d failures counted, want %d", i+1, a.requeues, i)
		}
		// The default back-off: 5 ms, doubled with every failure.
		if i > 0 {
			if want := 5 * time.Millisecond << (i - 1); a.at.Sub(prev) < want {
				t.Errorf("attempt %d came %v after the failure, want at least %v", i+1, a.at.Sub(prev), want)
			}
		}
		prev = a.at
	}
	deadline := time.Now().Add(5 * time.Second)
	for q.queue.NumRequeues("k") != 0 {
		if time.Now().After(deadline) {
			t.Fatal("the success did not forget the failures")
		}
		time.Sleep(time.Millisecond)
	}
}

// TestQueueNamespaceTerminating: a sync refused because the namespace is
// being deleted is not retried.
func TestQueueNamespaceTerminating(t *testing.T) {
	refused := &apierrors.StatusError{ErrStatus: metav1.Status{
		Status: metav1.StatusFailure, Reason: metav1.StatusReasonForbidden,
		Details: &metav1.StatusDetails{Causes: []metav1.StatusCause{{Type: corev1.NamespaceTerminatingCause}}},
	}}
	syncs := make(chan string, 10)
	q := NewQueue("test", func(_ context.Context, key string) error {
		syncs <- key
		return refused
	})
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	go q.Run(ctx, 1)
	q.Add("k")
	<-syncs
	select {
	case <-syncs:
		t.Fatal("retried")
	case <-time.After(100 * time.Millisecond): // a retry would come after 5 ms
	}
}

// TestQueueCancel: when ctx ends, Run waits for the syncs under way, and
// a sync that fails for it is not retried.
func TestQueueCancel(t *testing.T) {
	started := make(chan struct{})
	var finished, retried bool
	var mu sync.Mutex
	q := NewQueue("test", func(ctx context.Context, key string) error {
		mu.Lock()
		if finished {
			retried = true
		}
		mu.Unlock()
		close(started)
		<-ctx.Done()
		time.Sleep(20 * time.Millisecond)
		mu.Lock()
		finished = true
		mu.Unlock()
		return ctx.Err()
	})
	ctx, cancel := context.WithCancel(t.Context())
	ran := make(chan struct{})
	go func() {
		q.Run(ctx, 2)
		close(ran)
	}()
	q.Add("k")
	<-started
	cancel()
	select {
	case <-ran:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return")
	}
	mu.Lock()
	defer mu.Unlock()
	if !finished {
		t.Fatal("Run returned before the sync under way finished")
	}
	if retried || q.queue.NumRequeues("k") != 0 {
		t.Fatal("a sync cut short by the end of ctx was retried")
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
